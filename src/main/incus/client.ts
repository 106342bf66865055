import { request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import { EnvelopeSchema, OperationSchema, type Envelope, type Operation } from './api-schemas';
import { IncusError, IncusOperationError, IncusProtocolError, IncusUnreachableError } from './errors';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface IncusClientOptions {
  dispatcher: Dispatcher;
  /** Where the daemon is, for messages: a socket path or `ssh host`. */
  endpoint: string;
  /** Incus project; the daemon's default project when absent. */
  project?: string;
  /** What a failed request means for this transport (SSH: a lost connection, a refused key…). */
  transportError?: (error: unknown) => Error;
  /** How long a wait on a running operation keeps trying to re-attach after a lost connection. */
  reattachMs?: number;
}

export interface WaitOptions {
  /** Called with the operation whenever it is still running after an interval. */
  onProgress?: (operation: Operation) => void;
  /** Aborting cancels the operation on the daemon where it allows that. */
  signal?: AbortSignal;
  /** Called with the daemon's reason when it refuses to cancel; the wait goes on until the operation ends. */
  onCancelRefused?: (reason: string) => void;
  /** Seconds one wait request may last before progress is read again. */
  intervalSeconds?: number;
}

const ORIGIN = 'http://incus.local';
const DEADLINE = 'context deadline exceeded';

/** REST client for one Incus daemon; the dispatcher decides the transport (local socket, SSH). */
export class IncusClient {
  constructor(private readonly options: IncusClientOptions) {}

  get endpoint(): string {
    return this.options.endpoint;
  }

  /** The transport every request of this client rides (events use it too). */
  get dispatcher(): Dispatcher {
    return this.options.dispatcher;
  }

  /** The URL of `path` on this daemon, in this client's project. */
  url(path: string, protocol: 'http:' | 'ws:' = 'http:'): URL {
    const url = new URL(path, ORIGIN);
    url.protocol = protocol;
    if (this.options.project) url.searchParams.set('project', this.options.project);
    return url;
  }

  /** A synchronous request whose metadata is parsed with `schema`. */
  async query<S extends z.ZodType>(method: HttpMethod, path: string, schema: S, body?: unknown): Promise<z.infer<S>> {
    const envelope = await this.send(method, path, body);
    if (envelope.type !== 'sync') {
      throw new IncusProtocolError(`${method} ${path}: expected a synchronous answer, got '${envelope.type}'`);
    }
    return parseOrThrow(schema, envelope.metadata, `${method} ${path}`);
  }

  /** A request that starts a background operation, waited for until it ends. */
  async run(method: HttpMethod, path: string, body?: unknown, wait: WaitOptions = {}): Promise<Operation> {
    const envelope = await this.send(method, path, body);
    if (envelope.type === 'sync') {
      return parseOrThrow(OperationSchema, envelope.metadata, `${method} ${path}`);
    }
    const operation = parseOrThrow(OperationSchema, envelope.metadata, `${method} ${path}`);
    return this.waitOperation(operation.id, wait);
  }

  /**
   * Waits for operation `id`. `/wait` answers HTTP 200 even when the operation failed (an error
   * envelope carrying its `err`) and when the wait timed out (`context deadline exceeded`); a
   * finished operation vanishes after a few seconds (404).
   */
  async waitOperation(id: string, options: WaitOptions = {}): Promise<Operation> {
    const interval = options.intervalSeconds ?? (options.onProgress ? 1 : 30);
    const onAbort = () =>
      void this.cancelOperation(id).catch((error: unknown) => options.onCancelRefused?.(error instanceof Error ? error.message : String(error)));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        const envelope = await this.reattaching(id, () => this.exchange('GET', `/1.0/operations/${encodeURIComponent(id)}/wait?timeout=${interval}`));
        if (envelope.type === 'sync') return finished(parseOrThrow(OperationSchema, envelope.metadata, `wait ${id}`));
        if (envelope.error_code === 404) {
          throw new IncusOperationError(id, 'lost', `operation ${id} ended before its result could be read; check the container's state`);
        }
        if (envelope.error !== DEADLINE) throw new IncusOperationError(id, 'failed', envelope.error ?? 'operation failed');
        const current = await this.reattaching(id, () => this.operation(id));
        if (current.status_code >= 200) return finished(current);
        options.onProgress?.(current);
      }
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Runs `read` (a request about operation `id`); when the connection drops, tries again until
   * `reattachMs` has passed: the operation goes on in Incus and is re-attached by its id, never repeated.
   */
  private async reattaching<T>(id: string, read: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + (this.options.reattachMs ?? 60_000);
    for (let pause = 250; ; pause = Math.min(pause * 2, 4_000)) {
      try {
        return await read();
      } catch (error) {
        if (!(error instanceof IncusUnreachableError) || Date.now() + pause > deadline) {
          if (error instanceof IncusUnreachableError) {
            throw new IncusUnreachableError(error.endpoint, error.code, `${error.message}; operation ${id} may still be running there: check it with 'incus operation show ${id}'`);
          }
          throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  }

  async operation(id: string): Promise<Operation> {
    return this.query('GET', `/1.0/operations/${encodeURIComponent(id)}`, OperationSchema);
  }

  async cancelOperation(id: string): Promise<void> {
    await this.send('DELETE', `/1.0/operations/${encodeURIComponent(id)}`);
  }

  async close(): Promise<void> {
    await this.options.dispatcher.close();
  }

  /** Sends a request and throws the daemon's error, if it answered with one. */
  private async send(method: HttpMethod, path: string, body?: unknown): Promise<Envelope> {
    const envelope = await this.exchange(method, path, body);
    if (envelope.type === 'error') {
      throw new IncusError(envelope.error_code ?? 0, envelope.error || 'unknown Incus error', `${method} ${path}`);
    }
    return envelope;
  }

  /** Sends a request and returns the daemon's answer as it is, errors included. */
  private async exchange(method: HttpMethod, path: string, body?: unknown): Promise<Envelope> {
    const url = this.url(path);
    let response: Dispatcher.ResponseData;
    let text: string;
    try {
      response = await request(url, {
        dispatcher: this.options.dispatcher,
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      text = await response.body.text(); // the connection can drop between the headers and the body
    } catch (error) {
      throw this.options.transportError?.(error) ?? unreachable(this.options.endpoint, error);
    }
    const envelope = parseOrThrow(EnvelopeSchema, safeJson(text, `${method} ${path}`), `${method} ${path}`);
    return envelope.type === 'error' && !envelope.error_code ? { ...envelope, error_code: response.statusCode } : envelope;
  }
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

function safeJson(text: string, label: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new IncusProtocolError(`Incus answered ${label} with something that is not JSON: ${text.slice(0, 120)}`);
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
          ? 'the daemon is not accepting connections: start it (systemctl start incus)'
          : (error as Error | undefined)?.message ?? String(error);
  return new IncusUnreachableError(endpoint, code, `cannot reach Incus at ${endpoint}: ${hint}`);
}
