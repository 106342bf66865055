import { randomUUID } from 'node:crypto';
import type { CoiEvent } from '../../shared/contract';
import { AppError } from '../errors';

/**
 * Turns a key's passphrase prompt into a request event the window answers (`hosts.answerPassphrase`).
 * The passphrase lives only in memory, for the one handshake that asked for it.
 */
export class PassphraseBroker {
  private readonly pending = new Map<string, (passphrase: string | null) => void>();

  constructor(
    private readonly emit: (event: CoiEvent) => void,
    private readonly timeoutMs = 5 * 60_000,
  ) {}

  ask = (keyFile: string, attempt: number, host: string): Promise<string | null> => {
    const requestId = randomUUID();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle(requestId, null), this.timeoutMs);
      timer.unref();
      this.pending.set(requestId, (passphrase) => {
        clearTimeout(timer);
        resolve(passphrase);
      });
      this.emit({ type: 'passphrase-request', requestId, host, keyFile, attempt });
    });
  };

  answer(requestId: string, passphrase: string | null): void {
    if (!this.pending.has(requestId)) throw new AppError('not-found', 'no passphrase is being asked for under that request (it may have timed out); connect again');
    this.settle(requestId, passphrase);
  }

  /** Declines every open request (the window went away). */
  cancelAll(): void {
    for (const requestId of [...this.pending.keys()]) this.settle(requestId, null);
  }

  private settle(requestId: string, passphrase: string | null): void {
    const resolve = this.pending.get(requestId);
    this.pending.delete(requestId);
    resolve?.(passphrase);
  }
}
