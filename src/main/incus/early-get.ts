import { request as httpRequest } from 'node:http';

/** A daemon's answer as the client reads it: the status and the body as text. */
export interface Answer {
  statusCode: number;
  text: string;
}

/** A request on the local socket started before the client that will read it exists. */
export interface EarlyGet {
  answer: Promise<Answer>;
  /**
   * Resolves once the request is handed to the socket (or has failed). The connection opens on a later
   * turn of the event loop, which a process loading modules does not give it: a command waits for
   * this before it loads its modules, or the request leaves only once they are loaded.
   */
  written: Promise<void>;
  /**
   * Undoes what the request left when nobody took it: closes a GET's connection (the answer then
   * fails); for a request that made something (an exec's output logs), what its starter gave.
   */
  abandon: () => Promise<void> | void;
}

/** Started requests nobody has taken yet, by socket, method, request target and body. */
const pending = new Map<string, EarlyGet>();
const key = (socketPath: string, target: string, method = 'GET', body = '') => `${socketPath}\n${method} ${target}\n${body}`;

/**
 * Sends `GET target` on the Incus socket at `socketPath` now, with node:http (loaded with Node itself),
 * for the client to take later (`takeEarlyGet`): the CLI starts the request its command will make
 * before loading its own modules, whose loading the daemon's answer then hides. The request is
 * written as soon as the connection opens (Incus 6.0.4 freezes its local API while an accepted
 * connection stays silent) and the connection closes after the answer. Its failures carry the codes
 * the client maps: the socket's own (ENOENT, EACCES, ECONNREFUSED…) and undici's timeout codes.
 */
export function startEarlyGet(socketPath: string, target: string, timeoutMs: number): EarlyGet {
  const started = pending.get(key(socketPath, target));
  if (started) return started;
  const request = sendRequest(socketPath, 'GET', target, undefined, timeoutMs);
  const early = { answer: request.answer, written: request.written, abandon: request.destroy };
  pending.set(key(socketPath, target), early);
  return early;
}

/**
 * Sends `POST target` with `body` (JSON) the same way, for the client to take when it sends exactly
 * that request; `undo` is what abandoning it does (it made something the command would have removed).
 */
export function startEarlyPost(socketPath: string, target: string, body: unknown, timeoutMs: number, undo: (answer: Promise<Answer>) => Promise<void>): EarlyGet {
  const text = JSON.stringify(body);
  const request = sendRequest(socketPath, 'POST', target, text, timeoutMs);
  const early = { answer: request.answer, written: request.written, abandon: () => undo(request.answer) };
  pending.set(key(socketPath, target, 'POST', text), early);
  return early;
}

/** One request on the socket, its connection closed after the answer; the answer's failures carry the client's codes (see startEarlyGet). */
export function sendRequest(socketPath: string, method: string, target: string, body: string | undefined, timeoutMs: number): { answer: Promise<Answer>; written: Promise<void>; destroy: () => void } {
  const headers: Record<string, string> = { host: 'incus.local', connection: 'close' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const request = httpRequest({ socketPath, path: target, method, agent: false, headers });
  const answer = new Promise<Answer>((resolve, reject) => {
    let answered = false;
    request.setTimeout(timeoutMs, () => {
      request.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: answered ? 'UND_ERR_BODY_TIMEOUT' : 'UND_ERR_HEADERS_TIMEOUT' }));
    });
    request.on('error', reject);
    request.on('response', (response) => {
      answered = true;
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('close', () => {
        if (!response.complete) reject(Object.assign(new Error('the connection closed before the whole answer arrived'), { code: 'UND_ERR_SOCKET' }));
        else resolve({ statusCode: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
  });
  answer.catch(() => undefined); // read (and reported) by whoever takes it
  // handed to the socket (or failed): see EarlyGet.written
  const written = new Promise<void>((resolve) => {
    request.once('finish', resolve);
    request.once('close', resolve);
  });
  request.end(body);
  return { answer, written, destroy: () => request.destroy() };
}

/** The request started early for `method target` (with exactly `body`, JSON) on `socketPath`, if there is one; each is taken once. */
export function takeEarlyGet(socketPath: string, target: string, method = 'GET', body?: string): EarlyGet | undefined {
  const early = pending.get(key(socketPath, target, method, body));
  pending.delete(key(socketPath, target, method, body));
  return early;
}

/**
 * The GET started early for `target` on `socketPath`, left for the client to take: the CLI's local
 * listing (cli/local-list.ts) reads it, and hands the command to the full CLI, which takes it, when
 * the answer is anything but a plain success.
 */
export function peekEarlyGet(socketPath: string, target: string): EarlyGet | undefined {
  return pending.get(key(socketPath, target));
}

/**
 * The metadata of a daemon's successful synchronous answer (HTTP 200, `type: sync`), parsed once;
 * undefined for anything else (an error, something that is not JSON), which is the client's to report.
 */
export function syncMetadata(answer: Answer): unknown {
  if (answer.statusCode !== 200) return undefined;
  try {
    const envelope = JSON.parse(answer.text) as Record<string, unknown> | null;
    if (envelope?.type !== 'sync') return undefined;
    // The fields the client's envelope schema checks: an answer it would refuse is left to it.
    const typed = (field: string, type: string) => envelope[field] === undefined || typeof envelope[field] === type;
    const valid = typed('status_code', 'number') && typed('error_code', 'number') && typed('error', 'string') && typed('operation', 'string');
    return valid ? envelope.metadata : undefined;
  } catch {
    return undefined;
  }
}

/** The id of the operation a daemon's answer started (`type: async`); undefined for anything else. */
export function asyncOperationId(answer: Answer): string | undefined {
  try {
    const envelope = JSON.parse(answer.text) as { type?: unknown; metadata?: { id?: unknown } | null } | null;
    const id = envelope?.type === 'async' ? envelope.metadata?.id : undefined;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Abandons the early requests nobody took (the command ended another way): GETs are closed, so they
 * keep the process no longer; what a POST made is removed. Resolves once that is done.
 */
export async function abandonEarlyGets(): Promise<void> {
  const left = [...pending.values()];
  pending.clear();
  await Promise.all(left.map(async (early) => early.abandon()));
}
