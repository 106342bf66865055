import { mkdtempSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SilentSocket {
  path: string;
  /** Resolves when a client has written a request (and got no answer). */
  requested: Promise<void>;
  close(): Promise<void>;
}

/** A unix socket that accepts connections, reads what is sent and never answers: a stuck daemon. */
export async function silentSocket(): Promise<SilentSocket> {
  const path = join(mkdtempSync(join(tmpdir(), 'coi-silent-')), 'unix.socket');
  const clients = new Set<Socket>();
  let onRequest: () => void = () => undefined;
  const requested = new Promise<void>((resolve) => (onRequest = resolve));
  const server = createServer((socket) => {
    clients.add(socket);
    socket.on('data', () => onRequest());
    socket.on('error', () => undefined);
    socket.on('close', () => clients.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    path,
    requested,
    close: () => {
      for (const socket of clients) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
