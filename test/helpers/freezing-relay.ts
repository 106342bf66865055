import { mkdtempSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IncusClient } from '../../src/main/incus/client';
import { createLocalDispatcher } from '../../src/main/incus/http';
import { findLocalSocket } from '../../src/main/incus/local-socket';

/**
 * A unix-socket relay to the daemon that can freeze the connection carrying a transfer: it stays open,
 * nothing moves either way (a frozen relay, an sshd session stopped with SIGSTOP). Point a client at
 * it (`start`) or a process or core at `path` (`INCUS_SOCKET`).
 */
export class FreezingRelay {
  readonly path = join(mkdtempSync(join(tmpdir(), 'coi-freeze-')), 'unix.socket');
  private server: Server | undefined;
  private readonly pairs: { client: Socket; daemon: Socket; bytes: number }[] = [];
  private freezeAt: { bytes: number; frozen: () => void } | undefined;

  /** Listens at `path`; a client through it that gives a request `requestTimeoutMs` before it gives up. */
  async start(requestTimeoutMs: number): Promise<IncusClient> {
    this.server = createServer((client) => {
      const daemon = createConnection(findLocalSocket());
      const pair = { client, daemon, bytes: 0 };
      for (const socket of [client, daemon]) {
        socket.on('error', () => undefined);
        socket.on('data', (chunk: Buffer) => {
          pair.bytes += chunk.length;
          if (this.freezeAt && pair.bytes >= this.freezeAt.bytes) this.freeze(pair);
        });
      }
      client.on('close', () => daemon.destroy());
      daemon.on('close', () => client.destroy());
      client.pipe(daemon).pipe(client);
      this.pairs.push(pair);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.path, resolve));
    return new IncusClient({ dispatcher: createLocalDispatcher(this.path), endpoint: this.path, requestTimeoutMs });
  }

  /** Freezes the connection that has carried the most bytes (the transfer's); the others and new ones go on. */
  freezeTransfer(): void {
    this.freeze(this.pairs.reduce((most, candidate) => (candidate.bytes > most.bytes ? candidate : most)));
  }

  /** Resolves once a connection has carried `bytes` and has been frozen. */
  frozenAfter(bytes: number): Promise<void> {
    return new Promise((frozen) => (this.freezeAt = { bytes, frozen }));
  }

  private freeze(pair: { client: Socket; daemon: Socket }): void {
    const frozen = this.freezeAt?.frozen;
    this.freezeAt = undefined;
    frozen?.();
    pair.client.unpipe(pair.daemon);
    pair.daemon.unpipe(pair.client);
    pair.client.pause();
    pair.daemon.pause();
  }

  async close(): Promise<void> {
    for (const pair of this.pairs) for (const socket of [pair.client, pair.daemon]) socket.destroy();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}
