import { mkdtempSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A unix socket in front of the real daemon's, which a test can cut: `cut()` drops every connection
 * and stops accepting (the daemon went away), `resume()` accepts again (it is back).
 */
export class SocketProxy {
  readonly path = join(mkdtempSync(join(tmpdir(), 'coi-proxy-')), 'unix.socket');
  private server: Server | undefined;
  private readonly open = new Set<Socket>();

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
      client.pipe(daemon).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.path, resolve));
    this.server = server;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    for (const socket of this.open) socket.destroy();
    await closed;
  }
}
