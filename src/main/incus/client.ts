import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import { EnvelopeSchema, OperationSchema, type Envelope, type Operation } from './api-schemas';
import { IncusError, IncusInterruptedError, IncusOperationError, IncusProtocolError, IncusUnreachableError, isNotFound } from './errors';
import { projectMissing } from '../errors';
import type { Answer, EarlyGet } from './early-get';
import { AnswerItems } from './answer-items';
import { request } from './http';
import { DEFAULT_REQUEST_TIMEOUT_MS, incusUrl, requestTarget, requestTimeoutMs } from './request-target';
import { socketProblem } from './local-socket';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface IncusClientOptions {
  dispatcher: Dispatcher;
  /** Where the daemon is, for messages: a socket path, `ssh host` or an https URL. */
  endpoint: string;
  /** Incus project; the daemon's default project when absent. */
  project?: string;
  /** What a failed request means for this transport (SSH: a lost connection, a refused key…). */
  transportError?: (error: unknown) => Error;
  /** How long a wait on a running operation keeps trying to re-attach after a lost connection. */
  reattachMs?: number;
  /** How long a request may go unanswered (default: `requestTimeoutMs(process.env)`); waits add their own `?timeout=`. */
  requestTimeoutMs?: number;
  /** Aborting abandons every pending request of this client at once (Ctrl-C in the CLI). */
  signal?: AbortSignal;
  /** Where requests go: `https://host:port` for a server over HTTPS; a placeholder for a socket (default). */
  origin?: string;
  /** The answer to this request (method, target and JSON body) that was started before the client existed (early-get.ts), if any. */
  early?: (target: string, method: HttpMethod, body: string | undefined) => EarlyGet | undefined;
}

export interface WaitOptions {
  /** Called with the operation whenever it is still running after an interval. */
  onProgress?: (operation: Operation) => void;
  /** Called once the daemon has answered the request with its running operation, before the wait. */
  onStarted?: (operation: Operation) => void;
  /**
   * Aborting ends the wait: the operation is cancelled on the daemon where it allows that, and the
   * wait throws an IncusInterruptedError that says whether it was.
   */
  signal?: AbortSignal;
  /** Seconds one wait request may last before progress is read again. */
  intervalSeconds?: number;
  /**
   * The request and the wait ignore the client's own signal: clean-up after an interruption (deleting
   * a server-side backup once Ctrl-C has aborted everything else).
   */
  detached?: boolean;
}

/** A response body being streamed: its declared length, when the daemon sent one. */
export interface Download {
  size: number | undefined;
  body: Readable;
  /** The response's headers (the file API puts a file's type, mode and owner there). */
  headers: Record<string, string | string[] | undefined>;
}

const DEADLINE = 'context deadline exceeded';
/**
 * Incus 6.0.4's answer to a read of an instance (or a listing with its state) while it stops or
 * starts: `Invalid PID '\0'` (its init process is gone or not there yet; the NUL arrives mangled).
 * Nothing is wrong: a read is asked again every CHANGING_STATE_PAUSE_MS for up to CHANGING_STATE_MS,
 * then said in words (`changingStateMessage`).
 */
const CHANGING_STATE = /^Invalid PID\b/;
const CHANGING_STATE_MS = 5_000;
const CHANGING_STATE_PAUSE_MS = 250;

/** What an `Invalid PID` answer to `request` means, and what to do. */
function changingStateMessage(request: string): string {
  const name = /\/1\.0\/instances\/([^/?]+)/.exec(request)?.[1];
  const which = name ? `container '${decodeURIComponent(name)}'` : 'a container';
  return `Incus could not read ${which} while it was stopping or starting (another operation on it is under way: a stop, a start or a restore); try again once it has ended (Incus answered 'Invalid PID' for ${CHANGING_STATE_MS / 1000} s)`;
}
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
export { DEFAULT_REQUEST_TIMEOUT_MS, requestTimeoutMs };

interface Exchange {
  method: HttpMethod;
  path: string;
  body?: unknown;
  /** How long the daemon may take to answer; the client's request timeout when absent. */
  timeoutMs?: number;
  /** Abandons the request; the client's own signal when absent, none when null. */
  signal?: AbortSignal | null;
  /** Takes each item of the answer's `metadata` list as it arrives (answer-items.ts); the envelope then holds an empty list. */
  onItem?: (value: unknown, index: number) => void;
}

/** An answer as the client reads it; `head`: its first characters, when `text` is not all of it. */
type Received = Answer & { head?: string };

/** REST client for one Incus daemon; the dispatcher decides the transport (local socket, SSH). */
export class IncusClient {
  /**
   * @param transport shared by the clients made from this one (same dispatcher): `closed` is set by
   * `close()`, after which requests still under way are not tried again.
   */
  constructor(
    private readonly options: IncusClientOptions,
    private readonly transport = { closed: false },
  ) {}

  get endpoint(): string {
    return this.options.endpoint;
  }

  /** The transport every request of this client rides (events use it too). */
  get dispatcher(): Dispatcher {
    return this.options.dispatcher;
  }

  /**
   * The same daemon and transport without this client's abort signal: the clean-up that follows an
   * interruption (Ctrl-C) must still reach the daemon.
   */
  detached(): IncusClient {
    return new IncusClient({ ...this.options, signal: undefined }, this.transport);
  }

  /** The same daemon and transport, its requests going to Incus project `project`. */
  inProject(project: string): IncusClient {
    return new IncusClient({ ...this.options, project, early: undefined }, this.transport);
  }

  /** How long one request may go unanswered. */
  /** The Incus project this client's requests go to ('default' when none is set). */
  get project(): string {
    return this.options.project ?? 'default';
  }

  get requestTimeoutMs(): number {
    return this.options.requestTimeoutMs ?? requestTimeoutMs(process.env);
  }

  /** The URL of `path` on this daemon, in this client's project. */
  url(path: string, protocol: 'http:' | 'ws:' = 'http:'): URL {
    return incusUrl(path, this.options.project, protocol, this.options.origin);
  }

  /** A synchronous request whose metadata is parsed with `schema`. */
  query<S extends z.ZodType>(method: HttpMethod, path: string, schema: S, body?: unknown, signal?: AbortSignal): Promise<z.infer<S>> {
    return this.read(method, path, (metadata, label) => parseOrThrow(schema, metadata, label), body, signal);
  }

  /** A synchronous request whose metadata `parse` checks (it throws an IncusProtocolError for a wrong answer). */
  async read<T>(method: HttpMethod, path: string, parse: (metadata: unknown, label: string) => T, body?: unknown, signal?: AbortSignal): Promise<T> {
    const envelope = await this.send({ method, path, body, signal });
    if (envelope.type !== 'sync') {
      throw new IncusProtocolError(`${method} ${path}: expected a synchronous answer, got '${envelope.type}'`);
    }
    return parse(envelope.metadata, `${method} ${path}`);
  }

  /**
   * A synchronous GET whose metadata is a list, each item checked by `item` as soon as it has arrived
   * (`path` is its index, as in a checker's messages): a big answer (45 MB for 500 containers × 50
   * snapshots) is never held whole, as text or parsed. The first wrong item is reported once the
   * answer is known to be a success, as `read` reports a wrong list. An item `item` gives undefined
   * for is left out (nothing holds it while the rest arrives).
   */
  async readItems<T>(path: string, item: (value: unknown, path: string) => T | undefined, signal?: AbortSignal): Promise<T[]> {
    const label = `GET ${path}`;
    const items: T[] = [];
    let wrong: unknown;
    const onItem = (value: unknown, index: number) => {
      if (wrong !== undefined) return;
      try {
        const kept = item(value, String(index));
        if (kept !== undefined) items.push(kept);
      } catch (error) {
        wrong = error;
      }
    };
    const envelope = await this.send({ method: 'GET', path, signal, onItem });
    if (envelope.type !== 'sync') throw new IncusProtocolError(`${label}: expected a synchronous answer, got '${envelope.type}'`);
    if (!Array.isArray(envelope.metadata)) throw new IncusProtocolError(`unexpected answer from Incus to ${label}: expected array`);
    if (wrong !== undefined) throw wrong;
    return items;
  }

  /** A request that starts a background operation, waited for until it ends. */
  async run(method: HttpMethod, path: string, body?: unknown, wait: WaitOptions = {}): Promise<Operation> {
    const envelope = await this.send({ method, path, body, signal: wait.detached ? null : undefined });
    if (envelope.type === 'sync') {
      return parseOrThrow(OperationSchema, envelope.metadata, `${method} ${path}`);
    }
    const operation = parseOrThrow(OperationSchema, envelope.metadata, `${method} ${path}`);
    wait.onStarted?.(operation);
    return this.waitOperation(operation.id, wait);
  }

  /**
   * Waits for operation `id`. `/wait` answers HTTP 200 even when the operation failed (an error
   * envelope carrying its `err`) and when the wait timed out (`context deadline exceeded`); a
   * finished operation vanishes after a few seconds (404), and one that failed with a "not found"
   * error is answered 404 too (Incus maps the error to the status), so a 404 is looked up.
   */
  async waitOperation(id: string, options: WaitOptions = {}): Promise<Operation> {
    const interval = options.intervalSeconds ?? (options.onProgress ? 1 : 30);
    const signal = options.detached ? options.signal : anySignal(this.options.signal, options.signal);
    const timeoutMs = interval * 1000 + this.requestTimeoutMs;
    const path = `/1.0/operations/${encodeURIComponent(id)}`;
    try {
      for (;;) {
        const envelope = await this.reattaching(id, signal, () => this.exchange({ method: 'GET', path: `${path}/wait?timeout=${interval}`, timeoutMs, signal: signal ?? null }));
        if (envelope.type === 'sync') return finished(parseOrThrow(OperationSchema, envelope.metadata, `wait ${id}`));
        if (envelope.error_code === 404) {
          // Also the answer for an operation that failed with an error Incus files as "not found"
          // (`lstat …: no such file or directory` when a snapshot is deleted while it is packed): the operation tells.
          const current = await this.reattaching(id, signal, () => this.send({ method: 'GET', path, signal: signal ?? null })).catch((error: unknown) => {
            if (isNotFound(error)) return undefined;
            throw error;
          });
          const ended = current?.type === 'sync' ? OperationSchema.safeParse(current.metadata) : undefined;
          if (ended?.success && ended.data.status_code >= 200) return finished(ended.data);
          throw new IncusOperationError(id, 'lost', `operation ${id} ended before its result could be read; check the container's state`);
        }
        if (envelope.error !== DEADLINE) throw new IncusOperationError(id, 'failed', envelope.error ?? 'operation failed');
        const current = await this.reattaching(id, signal, async () => parseOrThrow(OperationSchema, (await this.send({ method: 'GET', path, signal: signal ?? null })).metadata, `GET ${path}`));
        if (current.status_code >= 200) return finished(current);
        options.onProgress?.(current);
      }
    } catch (error) {
      if (error instanceof IncusInterruptedError) throw await this.interruptOperation(id);
      throw error;
    }
  }

  /** After an interruption: asks the daemon to cancel operation `id`, and says how that went. */
  private async interruptOperation(id: string): Promise<IncusInterruptedError> {
    try {
      const envelope = await this.exchange({ method: 'DELETE', path: `/1.0/operations/${encodeURIComponent(id)}`, signal: null });
      if (envelope.type !== 'error') return new IncusInterruptedError(`Interrupted: operation ${id} was cancelled in Incus`, id);
      return new IncusInterruptedError(
        `Interrupted: Incus cannot cancel operation ${id} (${envelope.error || 'no reason given'}); it goes on there: see 'incus operation show ${id}'`,
        id,
      );
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return new IncusInterruptedError(`Interrupted: operation ${id} could not be cancelled (${reason}); it may still be running: see 'incus operation show ${id}'`, id);
    }
  }

  /**
   * Runs `read` (a request about operation `id`); when the connection drops, tries again until
   * `reattachMs` has passed: the operation goes on in Incus and is re-attached by its id, never repeated.
   */
  private async reattaching<T>(id: string, signal: AbortSignal | undefined, read: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + (this.options.reattachMs ?? 60_000);
    for (let pause = 250; ; pause = Math.min(pause * 2, 4_000)) {
      try {
        return await read();
      } catch (error) {
        // a client closed meanwhile (its command has ended) is not a dropped connection: nothing will come back
        const retry = !this.transport.closed && error instanceof IncusUnreachableError && error.code !== 'timeout';
        if (!retry || Date.now() + pause > deadline) {
          if (error instanceof IncusUnreachableError) {
            throw new IncusUnreachableError(error.endpoint, error.code, `${error.message}; operation ${id} may still be running there: check it with 'incus operation show ${id}'`);
          }
          throw error;
        }
        await pauseUnlessAborted(pause, signal);
      }
    }
  }

  /**
   * Starts a download of `path` and returns its body as a stream, nothing read yet: the caller pipes it
   * (backpressure keeps memory flat) or destroys it. `signal` abandons it. An error answer is thrown as
   * the daemon's error; the connection dropping mid-body fails the stream with this transport's error.
   */
  async download(path: string, signal?: AbortSignal): Promise<Download> {
    const combined = anySignal(this.options.signal, signal);
    const response = await this.streamed({ method: 'GET', path, signal: combined ?? null }, {});
    if (response.statusCode >= 400) throw await this.errorAnswer(response, 'GET', path);
    const length = Number(response.headers['content-length']);
    return { size: Number.isSafeInteger(length) && length >= 0 ? length : undefined, body: this.mapBodyErrors(response.body, combined, 'GET', path), headers: response.headers };
  }

  /**
   * Sends `body` (a stream, read as the connection takes it) as the request's body to `path`, with
   * `headers`, and waits for the operation the daemon starts with it.
   */
  async upload(path: string, body: Readable, headers: Record<string, string>, wait: WaitOptions = {}): Promise<Operation> {
    const combined = anySignal(this.options.signal, wait.signal);
    const response = await this.streamed({ method: 'POST', path, signal: combined ?? null }, { body, headers });
    const text = await response.body.text().catch((error: unknown) => {
      throw this.failure(error, combined, 'POST', path, this.requestTimeoutMs);
    });
    const envelope = parseOrThrow(EnvelopeSchema, safeJson(text, `POST ${path}`), `POST ${path}`);
    if (envelope.type === 'error') throw this.daemonError(envelope.error_code || response.statusCode, envelope.error || 'unknown Incus error', `POST ${path}`);
    const operation = parseOrThrow(OperationSchema, envelope.metadata, `POST ${path}`);
    return envelope.type === 'sync' ? operation : this.waitOperation(operation.id, wait);
  }

  async operation(id: string): Promise<Operation> {
    return this.query('GET', `/1.0/operations/${encodeURIComponent(id)}`, OperationSchema);
  }

  async cancelOperation(id: string): Promise<void> {
    await this.send({ method: 'DELETE', path: `/1.0/operations/${encodeURIComponent(id)}` });
  }

  async close(): Promise<void> {
    this.transport.closed = true;
    await this.options.dispatcher.close();
  }


  /**
   * Sends a request and throws the daemon's error, if it answered with one. A read Incus cannot answer
   * while an instance changes state (`Invalid PID`, see CHANGING_STATE) is asked again for a while.
   */
  private async send(exchange: Exchange): Promise<Envelope> {
    const signal = exchange.signal === undefined ? this.options.signal : (exchange.signal ?? undefined);
    for (let waited = 0; ; waited += CHANGING_STATE_PAUSE_MS) {
      const envelope = await this.exchange(exchange);
      if (envelope.type !== 'error') return envelope;
      const message = envelope.error || 'unknown Incus error';
      if (exchange.method !== 'GET' || !CHANGING_STATE.test(message) || waited >= CHANGING_STATE_MS || signal?.aborted) {
        throw this.daemonError(envelope.error_code ?? 0, message, `${exchange.method} ${exchange.path}`);
      }
      await pauseUnlessAborted(CHANGING_STATE_PAUSE_MS, signal);
    }
  }

  /** Sends a request and returns the daemon's answer as it is, errors included. */
  private async exchange(exchange: Exchange): Promise<Envelope> {
    const { method, path } = exchange;
    const { statusCode, text, head } = await this.transfer(exchange);
    const envelope = parseOrThrow(EnvelopeSchema, safeJson(text, `${method} ${path}`, head), `${method} ${path}`);
    return envelope.type === 'error' && !envelope.error_code ? { ...envelope, error_code: statusCode } : envelope;
  }

  /** One HTTP exchange: the status and the body as text; a transport failure becomes this client's error. */
  private async transfer({ method, path, body, timeoutMs = this.requestTimeoutMs, signal = this.options.signal, onItem }: Exchange): Promise<Received> {
    const url = this.url(path);
    const text = body === undefined ? undefined : JSON.stringify(body);
    const early = this.options.early?.(requestTarget(url), method, text);
    try {
      if (early) {
        const answer = await unlessAborted(early, signal ?? undefined);
        return onItem ? { statusCode: answer.statusCode, ...(await itemsOf([Buffer.from(answer.text)], onItem)) } : answer;
      }
      const response = await request(this.options.dispatcher, url, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: text,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: signal ?? undefined,
      });
      // the connection can drop between the headers and the body
      if (onItem) return { statusCode: response.statusCode, ...(await itemsOf(response.body as AsyncIterable<Buffer>, onItem)) };
      return { statusCode: response.statusCode, text: await bodyText(response.body) };
    } catch (error) {
      throw this.failure(error, signal ?? undefined, method, path, timeoutMs);
    }
  }

  /** A request whose body is left unread (or whose request body is a stream); transport failures become this client's errors. */
  private async streamed(exchange: Exchange, extra: { body?: Readable; headers?: Record<string, string> }): Promise<Dispatcher.ResponseData> {
    const { method, path, timeoutMs = this.requestTimeoutMs } = exchange;
    const signal = exchange.signal ?? undefined;
    try {
      return await request(this.options.dispatcher, this.url(path), { method, headers: extra.headers ?? {}, body: extra.body, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, signal });
    } catch (error) {
      throw this.failure(error, signal, method, path, timeoutMs);
    }
  }

  /** The daemon's error answer to a streamed request, read from its (small) JSON body. */
  private async errorAnswer(response: Dispatcher.ResponseData, method: HttpMethod, path: string): Promise<Error> {
    const text = await response.body.text().catch(() => '');
    const envelope = EnvelopeSchema.safeParse(safeJsonOrNull(text));
    return this.daemonError(response.statusCode, (envelope.success && envelope.data.error) || `HTTP ${response.statusCode}`, `${method} ${path}`);
  }

  /**
   * The daemon's error answer as an error. A project it does not have is said so, naming it: Incus
   * answers 404 "Project not found" to most requests there (which would read as "container not
   * found") and lists no instances at all (see `inProjectThatExists` in instances.ts).
   */
  private daemonError(status: number, message: string, request: string): Error {
    if (CHANGING_STATE.test(message)) return new IncusError(status, changingStateMessage(request), request);
    return status === 404 && /^project not found$/i.test(message) ? projectMissing(this.project) : new IncusError(status, message, request);
  }

  /** `body`, whose errors (a dropped connection, an abort, a silent daemon) become this client's errors. */
  private mapBodyErrors(body: Readable, signal: AbortSignal | undefined, method: HttpMethod, path: string): Readable {
    const destroy = body.destroy.bind(body);
    body.destroy = (error?: Error) => destroy(error && !(error.name in CLIENT_ERRORS) ? this.failure(error, signal, method, path, this.requestTimeoutMs) : error);
    return body;
  }

  /** What a failed request means to the user: interrupted, a silent daemon, or this transport's failure. */
  private failure(error: unknown, signal: AbortSignal | undefined, method: HttpMethod, path: string, timeoutMs: number): Error {
    if (signal?.aborted) return interrupted(this.options.endpoint, method, path);
    if (TIMEOUT_CODES.has((error as { code?: string }).code ?? '')) return silent(this.options.endpoint, method, path, timeoutMs);
    return this.options.transportError?.(error) ?? unreachable(this.options.endpoint, error);
  }
}

/** The errors this client makes itself: passed on as they are. */
const CLIENT_ERRORS = { IncusInterruptedError: 1, IncusUnreachableError: 1, IncusError: 1, IncusProtocolError: 1, IncusOperationError: 1 };

/**
 * A body as text. undici's `body.text()` keeps every chunk until the end and then copies them into one
 * buffer: for the 45 MB answer of a host with 500 containers × 50 snapshots, read 4 hosts at a time,
 * that left ~180 MB of freed small buffers the C allocator kept. Here each chunk is copied into one
 * buffer that doubles as it fills (large blocks, which go back to the system when freed) and let go.
 */
async function bodyText(body: Readable): Promise<string> {
  let buffer = Buffer.allocUnsafeSlow(64 * 1024);
  let length = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (length + chunk.length > buffer.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(buffer.length * 2, length + chunk.length));
      buffer.copy(grown, 0, 0, length);
      buffer = grown;
    }
    chunk.copy(buffer, length);
    length += chunk.length;
  }
  return buffer.toString('utf8', 0, length);
}

/** A body read item by item (answer-items.ts): the envelope left, and the answer's first characters. */
async function itemsOf(body: AsyncIterable<Buffer> | Iterable<Buffer>, onItem: (value: unknown, index: number) => void): Promise<{ text: string; head: string }> {
  const items = new AnswerItems(onItem);
  for await (const chunk of body) items.write(chunk);
  return { text: items.end(), head: items.head };
}

/** The early GET's answer; aborting `signal` abandons it (the caller then reports the interruption). */
function unlessAborted(early: EarlyGet, signal: AbortSignal | undefined): Promise<Answer> {
  if (!signal) return early.answer;
  return new Promise((resolve, reject) => {
    const abandon = () => {
      void early.abandon();
      reject(signal.reason);
    };
    if (signal.aborted) return abandon();
    signal.addEventListener('abort', abandon, { once: true });
    early.answer.then(resolve, reject).finally(() => signal.removeEventListener('abort', abandon));
  });
}

/** A signal that aborts when any of `signals` does; undefined when there is none. */
function anySignal(...signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const present = signals.filter((signal): signal is AbortSignal => signal !== undefined);
  return present.length <= 1 ? present[0] : AbortSignal.any(present);
}

/** Waits `ms`, or less when `signal` aborts (the caller's next request then says it was interrupted). */
function pauseUnlessAborted(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function interrupted(endpoint: string, method: HttpMethod, path: string): IncusInterruptedError {
  const maybeDone = method === 'GET' ? '' : `; the change may still happen there: check with 'incus operation list'`;
  return new IncusInterruptedError(`Interrupted while waiting for Incus at ${endpoint} to answer ${method} ${path}${maybeDone}`);
}

function silent(endpoint: string, method: HttpMethod, path: string, timeoutMs: number): IncusUnreachableError {
  return new IncusUnreachableError(
    endpoint,
    'timeout',
    `Incus at ${endpoint} accepted the connection but did not answer ${method} ${path} within ${timeoutMs / 1000} s` +
      (method === 'GET' ? '' : `; the change may have been made all the same, so look before trying again`) +
      `: is the daemon stuck? Check it with 'incus info' and restart it if that hangs too; set COI_DESKTOP_REQUEST_TIMEOUT_MS to wait longer`,
  );
}

function finished(operation: Operation): Operation {
  if (operation.status === 'Success') return operation;
  const outcome = operation.status === 'Cancelled' ? 'cancelled' : 'failed';
  throw new IncusOperationError(operation.id, outcome, operation.err || `operation ${operation.status.toLowerCase()}`);
}

function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, label: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
  throw new IncusProtocolError(`unexpected answer from Incus to ${label}${where}: ${issue?.message ?? 'invalid'}`);
}

function safeJson(text: string, label: string, head = text): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new IncusProtocolError(`Incus answered ${label} with something that is not JSON: ${head.slice(0, 120)}`);
  }
}

function safeJsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function unreachable(endpoint: string, error: unknown): IncusUnreachableError {
  const code = (error as { code?: string } | undefined)?.code;
  const hint =
    code === 'ENOENT'
      ? 'no Incus socket there: is Incus installed and its daemon running?'
      : code === 'EACCES'
        ? 'permission denied: add your user to the incus-admin group (sudo usermod -aG incus-admin $USER) and log in again'
        : code === 'ECONNREFUSED'
          ? socketProblem(endpoint) ?? 'the daemon is not accepting connections: start it (systemctl start incus)'
          : (error as Error | undefined)?.message ?? String(error);
  return new IncusUnreachableError(endpoint, code, `cannot reach Incus at ${endpoint}: ${hint}`);
}
