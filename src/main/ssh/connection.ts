import { EventEmitter } from 'node:events';
import { connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import type { AuthHandlerMiddleware, Client, ClientChannel, ConnectConfig } from 'ssh2';
import type { SshEndpoint } from '../../shared/hosts';
import { AppError } from '../errors';
import { hostKeyFromBlob, type HostKey } from './known-hosts';
import { loadSsh2 } from './ssh2';

/** How long a handshake, and the opening of a channel, may take when the host's options do not say. */
const READY_TIMEOUT_MS = 15_000;

/** Resolves when `key` may be trusted for `endpoint`; rejects with the reason otherwise. */
export type HostKeyCheck = (endpoint: SshEndpoint, key: HostKey) => Promise<void>;

export interface SshConnectionOptions {
  /** The host's name, for messages. */
  label: string;
  target: SshEndpoint;
  jump?: SshEndpoint;
  /** A fresh auth handler for one handshake; `tried` collects what was offered. */
  auth: (endpoint: SshEndpoint, tried: string[]) => AuthHandlerMiddleware;
  checkHostKey: HostKeyCheck;
  readyTimeoutMs?: number;
  /** Keepalives this often; two unanswered ones end the session (a frozen host shows within ~8 s). */
  keepaliveIntervalMs?: number;
  /** First and longest wait between reconnection attempts after a dropped connection or a failed dial. */
  backoffMs?: { first: number; max: number };
  /** While the host refuses TCP connections, a cheap TCP probe this often; a full dial as soon as one answers. */
  probeMs?: number;
}

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** What `SshConnection` tells about itself. */
export interface SshConnectionEvents {
  connected: [];
  /** The connection dropped or a reconnection failed; the next attempt is at `nextRetryAt`. */
  lost: [reason: string, nextRetryAt: Date];
  /** A dial was refused in a way that needs the user (a changed host key, keys not accepted): nothing is scheduled after it. */
  refused: [error: unknown];
}

/**
 * One SSH session to one host, shared by every request: Incus HTTP requests ride stream-local
 * channels of it, diagnostics run as exec channels of it. It connects on first use, through one
 * jump host if configured, sends keepalives, and after a drop reconnects with backoff.
 */
export class SshConnection extends EventEmitter<SshConnectionEvents> {
  private client: Client | undefined;
  private jumpClient: Client | undefined;
  private connecting: Promise<Client> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private backoff: number;
  private closed = false;
  /** The last dial failed before any SSH was spoken (refused, no route, TCP timeout). */
  private tcpFailed = false;
  /** When the next reconnection attempt is due, while one is scheduled. */
  nextRetryAt: Date | undefined;

  constructor(private readonly options: SshConnectionOptions) {
    super();
    this.backoff = options.backoffMs?.first ?? 1_000;
  }

  /** The live session, connecting (once, however many callers wait) when there is none. */
  session(): Promise<Client> {
    if (this.closed) return Promise.reject(new AppError('connection-lost', `the connection to ${this.options.label} was closed`));
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.dial().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /**
   * A channel to the unix socket `path` on the host (`direct-streamlocal@openssh.com`). A server that
   * does not answer the open within the handshake's time limit fails it (it answers keepalives, so
   * nothing else would ever end the wait); a channel it opens later is closed at once.
   */
  async openStreamLocal(path: string): Promise<ClientChannel> {
    const client = await this.session();
    const limitMs = this.options.readyTimeoutMs ?? READY_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      let late = false;
      const timer = setTimeout(() => {
        late = true;
        reject(new AppError('host-unreachable', `${this.options.label} accepted the SSH session but did not open a channel to the Incus socket ${path} within ${limitMs / 1000} s: its sshd may be at its session limit (MaxSessions) or stuck; try again later`));
      }, limitMs);
      try {
        client.openssh_forwardOutStreamLocal(path, (error, channel) => {
          clearTimeout(timer);
          if (late) return error ? undefined : channel.close();
          return error ? reject(error) : resolve(channel);
        });
      } catch (error) {
        clearTimeout(timer);
        // ssh2 throws "Not connected" synchronously when the session has just dropped.
        reject(new AppError('connection-lost', `the connection to ${this.options.label} was lost (${(error as Error).message})`));
      }
    });
  }

  /** Runs `command` on the host over this session. */
  async exec(command: string): Promise<ExecResult> {
    const client = await this.session();
    return new Promise((resolve, reject) => {
      const done = (error: Error | undefined, channel: ClientChannel) => {
        if (error) return reject(error);
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        channel.on('data', (chunk: Buffer) => out.push(chunk));
        channel.stderr.on('data', (chunk: Buffer) => err.push(chunk));
        channel.on('close', (code: number | null) => resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
      };
      try {
        client.exec(command, done);
      } catch (error) {
        reject(error as Error);
      }
    });
  }

  /** Ends the session (and the jump host's) and stops reconnecting; a new SSH session starts on next use. */
  disconnect(): void {
    this.stopRetrying();
    const client = this.client;
    this.client = undefined;
    client?.end();
    this.jumpClient?.end();
    this.jumpClient = undefined;
  }

  close(): void {
    this.closed = true;
    this.disconnect();
  }

  /**
   * One connection attempt; a failure worth retrying schedules the next one (backoff, probes) unless
   * one is already scheduled: a request made meanwhile may dial, but never moves the schedule. Any
   * other failure ends the schedule (see `refused`).
   */
  private async dial(): Promise<Client> {
    this.tcpFailed = false;
    try {
      const client = await this.connect();
      this.stopRetrying();
      client.on('close', () => this.onClose(client));
      this.client = client;
      this.backoff = this.options.backoffMs?.first ?? 1_000;
      this.emit('connected');
      return client;
    } catch (error) {
      if (!isRetryable(error)) this.refused(error);
      else if (!this.retryTimer) this.scheduleReconnect(error instanceof Error ? error.message : String(error));
      throw error;
    }
  }

  private async connect(): Promise<Client> {
    const { target, jump } = this.options;
    const sock = jump ? await this.throughJump(jump, target) : undefined;
    return this.handshake(target, sock).catch((error: unknown) => {
      this.jumpClient?.end();
      throw error;
    });
  }

  private async throughJump(jump: SshEndpoint, target: SshEndpoint): Promise<Duplex> {
    const jumpClient = await this.handshake(jump);
    this.jumpClient = jumpClient;
    return new Promise((resolve, reject) => {
      const failed = (error: Error) => {
        jumpClient.end();
        reject(new AppError('host-unreachable', `the jump host ${jump.host} could not reach ${target.host}:${target.port} (${error.message})`));
      };
      try {
        jumpClient.forwardOut('127.0.0.1', 0, target.host, target.port, (error, stream) => (error ? failed(error) : resolve(stream)));
      } catch (error) {
        failed(error as Error); // ssh2 throws "Not connected" when the jump host has just dropped
      }
    });
  }

  private async handshake(endpoint: SshEndpoint, sock?: Duplex): Promise<Client> {
    const { Client } = await loadSsh2();
    return new Promise((resolve, reject) => {
      const client = new Client();
      const tried: string[] = [];
      let refusal: unknown;
      const config: ConnectConfig = {
        host: endpoint.host,
        port: endpoint.port,
        username: endpoint.user,
        ...(sock ? { sock } : {}),
        readyTimeout: this.options.readyTimeoutMs ?? READY_TIMEOUT_MS,
        keepaliveInterval: this.options.keepaliveIntervalMs ?? 2_500,
        keepaliveCountMax: 2,
        authHandler: this.options.auth(endpoint, tried),
        hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
          this.options.checkHostKey(endpoint, hostKeyFromBlob(key)).then(
            () => verify(true),
            (error: unknown) => {
              refusal = error;
              verify(false);
            },
          );
        },
      };
      let settled = false;
      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        client.end();
        reject(refusal ?? error);
      };
      const closed = () => handshakeClosed(endpoint, sock !== undefined);
      // ssh2 may emit more than one error for one failure (a timeout, then the lost socket), and
      // none at all when the server just closes: every way the connection can end settles this.
      client.on('error', (error: Error & { level?: string; code?: string }) => {
        if (!settled && !sock && TCP_FAILURES.has(error.code ?? '')) this.tcpFailed = true;
        fail(error.message === 'Connection lost before handshake' ? closed() : connectError(error, endpoint, tried));
      });
      client.once('end', () => fail(closed()));
      client.once('close', () => fail(closed()));
      client.once('ready', () => {
        settled = true;
        resolve(client);
      });
      client.connect(config);
    });
  }

  /**
   * A dial refused in a way that needs the user, whoever made it: the schedule ends (the next attempt
   * would meet the same refusal) and listeners hear why, so that a status shows it.
   */
  private refused(error: unknown): void {
    this.stopRetrying();
    this.emit('refused', error);
  }

  private onClose(client: Client): void {
    if (client !== this.client) return; // ended on purpose
    this.client = undefined;
    this.jumpClient?.end();
    this.jumpClient = undefined;
    this.scheduleReconnect(`the connection to ${this.options.label} was lost`);
  }

  /**
   * The next attempt after the backoff (1 s doubling to 30 s); while the host refuses TCP, a cheap
   * probe every `probeMs` brings it forward as soon as the port answers. A failure that needs the
   * user (a key, a host key decision) schedules nothing: `dial` only calls this for retryable ones.
   */
  private scheduleReconnect(reason: string): void {
    if (this.closed) return;
    this.stopRetrying();
    const wait = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.options.backoffMs?.max ?? 30_000);
    this.nextRetryAt = new Date(Date.now() + wait);
    this.retryTimer = setTimeout(() => this.retryNow(), wait);
    this.retryTimer.unref();
    if (this.tcpFailed) this.probe();
    this.emit('lost', reason, this.nextRetryAt);
  }

  private retryNow(): void {
    this.stopRetrying();
    // A failure schedules the next attempt itself (in `dial`).
    this.session().catch(() => undefined);
  }

  /** Knocks on the host's SSH port every `probeMs` until it answers, then dials at once. */
  private probe(): void {
    const { host, port } = this.options.target;
    this.probeTimer = setTimeout(() => {
      const socket = netConnect({ host, port, timeout: 2_000 });
      socket.unref();
      const done = (answered: boolean) => {
        socket.destroy();
        if (this.probeTimer === undefined) return; // retrying already, or closed
        if (answered) this.retryNow();
        else this.probe();
      };
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
      socket.once('timeout', () => done(false));
    }, this.options.probeMs ?? 1_000);
    this.probeTimer.unref();
  }

  private stopRetrying(): void {
    clearTimeout(this.retryTimer);
    clearTimeout(this.probeTimer);
    this.retryTimer = undefined;
    this.probeTimer = undefined;
    this.nextRetryAt = undefined;
  }
}

/** Socket errors that mean no SSH server answered at all: worth a cheap TCP probe before a full dial. */
const TCP_FAILURES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT']);

/** Worth retrying on its own: the host was unreachable, not refusing us. */
export function isRetryable(error: unknown): boolean {
  return error instanceof AppError && (error.code === 'host-unreachable' || error.code === 'connection-lost');
}

/** The server (or the jump host carrying the connection) hung up before the session was ready. */
function handshakeClosed(endpoint: SshEndpoint, viaJump: boolean): AppError {
  const who = viaJump ? 'the SSH server (or the jump host in between)' : 'the SSH server';
  return new AppError('host-unreachable', `cannot reach SSH on ${endpoint.host}:${endpoint.port}: ${who} closed the connection during the handshake`);
}

function connectError(error: Error & { level?: string; code?: string }, endpoint: SshEndpoint, tried: string[]): AppError {
  const where = `${endpoint.host}:${endpoint.port}`;
  if (error.level === 'client-authentication') {
    const offered = tried.length > 0 ? tried.join('; ') : 'nothing: no agent (SSH_AUTH_SOCK) and no key files';
    return new AppError(
      'auth-failed',
      `${endpoint.user}@${where} accepted none of our keys. Tried: ${offered}. Add your public key to ~/.ssh/authorized_keys of ${endpoint.user} there, or load the right key into your agent (ssh-add); then test the connection again (Test connection in the app, or coi-desktop host test NAME: reads wait for it).`,
    );
  }
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'connection refused: is sshd running there, and on that port?',
    ENOTFOUND: 'no such host name',
    EAI_AGAIN: 'the host name could not be resolved (no DNS?)',
    EHOSTUNREACH: 'no route to the host',
    ENETUNREACH: 'the network is unreachable',
    ETIMEDOUT: 'the connection timed out',
    ECONNRESET: 'the connection was reset',
  };
  const reason = (error.code && reasons[error.code]) ?? (error.level === 'client-timeout' ? `no SSH answer in time (${error.message})` : error.message);
  return new AppError('host-unreachable', `cannot reach SSH on ${where}: ${reason}`);
}
