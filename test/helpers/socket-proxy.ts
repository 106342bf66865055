import { mkdtempSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A unix socket in front of the real daemon's, which a test can cut: `cut()` drops every connection
 * and stops accepting (the daemon went away), `resume()` accepts again (it is back). `holdAnswersAfter`
 * keeps the client waiting for the answer to a chosen request, whatever the daemon's speed, until `release()`;
 * `failRequest` answers a chosen request with an error itself (a failure the real daemon gives only in a race).
 */
export class SocketProxy {
  readonly path = join(mkdtempSync(join(tmpdir(), 'coi-proxy-')), 'unix.socket');
  private server: Server | undefined;
  private readonly open = new Set<Socket>();
  /** Daemon-side sockets with the client-side one they answer, and what the client sent last. */
  private readonly pairs = new Map<Socket, { client: Socket; sent: string }>();
  private watches: { text: string; then?: string; seen: () => void }[] = [];
  /** Requests answered here with an error instead of being sent on; `served` resolves once one was. */
  private failures: { text: string; status: number; error: string; served: () => void }[] = [];
  /** Daemon-side sockets whose answers are withheld. */
  private readonly held = new Set<Socket>();
  /** The request line (`METHOD /target`) of every request a client sent, in order. */
  readonly requests: string[] = [];

  constructor(private readonly target: string) {}

  async resume(): Promise<void> {
    const server = createServer((client) => {
      const daemon = createConnection(this.target);
      for (const socket of [client, daemon]) {
        this.open.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => {
          this.open.delete(socket);
          client.destroy();
          daemon.destroy();
        });
      }
      const pair = { client, sent: '' };
      this.pairs.set(daemon, pair);
      daemon.on('close', () => this.pairs.delete(daemon));
      client.on('data', (chunk: Buffer) => {
        const lines = [...chunk.toString('latin1').matchAll(/(?:^|\r\n)((?:GET|POST|PUT|PATCH|DELETE) \S+) HTTP\/1\.1\r\n/g)].map((match) => match[1]!);
        this.requests.push(...lines);
        const failure = this.failures.find((candidate) => lines.some((line) => line.includes(candidate.text)));
        if (failure) {
          // a whole GET arrives in one chunk: answered here, never sent on. The connection is closed after it: its
          // daemon side, which may have carried nothing, would stay silent, and Incus 6.0.4 accepts no other connection meanwhile
          this.failures.splice(this.failures.indexOf(failure), 1);
          const body = JSON.stringify({ type: 'error', status: '', status_code: 0, operation: '', error_code: failure.status, error: failure.error, metadata: null });
          client.end(`HTTP/1.1 ${failure.status} Error\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
          failure.served();
          return;
        }
        pair.sent = (pair.sent + chunk.toString('latin1')).slice(-64 * 1024);
        this.check(daemon, pair.sent);
        if (!daemon.write(chunk)) {
          client.pause();
          daemon.once('drain', () => client.resume());
        }
      });
      client.on('end', () => daemon.end());
      daemon.pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.path, resolve));
    this.server = server;
  }

  /**
   * Resolves once a client sends a request containing `text` (and, with `then`, once it next sends one
   * containing `then`); the answers on the connection of that last request are withheld from then on
   * (the client goes on waiting), while every other connection is served as usual.
   */
  holdAnswersAfter(text: string, then?: string): Promise<void> {
    return new Promise((seen) => this.watches.push({ text, then, seen }));
  }

  /** Answers the next request whose request line contains `text` with `status` and Incus's error envelope saying `error`; resolves once it has. */
  failRequest(text: string, status: number, error: string): Promise<void> {
    return new Promise((served) => this.failures.push({ text, status, error, served }));
  }

  private check(daemon: Socket, sent: string): void {
    for (const watch of [...this.watches]) {
      if (!sent.includes(watch.text)) continue;
      if (watch.then !== undefined) {
        // Armed: the request to hold is the next one containing `then`, on whichever connection.
        for (const pair of this.pairs.values()) pair.sent = '';
        Object.assign(watch, { text: watch.then, then: undefined });
        continue;
      }
      this.watches.splice(this.watches.indexOf(watch), 1);
      daemon.unpipe(this.pairs.get(daemon)!.client);
      daemon.pause();
      this.held.add(daemon);
      watch.seen();
    }
  }

  /** Lets every withheld answer through (the slow answer arrives when the test says). */
  release(): void {
    for (const daemon of this.held) {
      const pair = this.pairs.get(daemon);
      if (pair) daemon.pipe(pair.client);
      daemon.resume();
    }
    this.held.clear();
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    for (const socket of this.open) socket.destroy();
    await closed;
  }
}
