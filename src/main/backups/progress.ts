import { Transform, type TransformCallback } from 'node:stream';
import { createHash, type Hash } from 'node:crypto';
import { humanSize } from '../../shared/size';
import { IncusUnreachableError } from '../incus/errors';

/** How far a transfer is: bytes so far, the total when known, the rate over the last seconds and the time left. */
export interface TransferProgress {
  bytes: number;
  total: number | null;
  bytesPerSecond: number;
  etaSeconds: number | null;
  /** Whole seconds since the last byte moved, once that is at least `STALL_SHOWN_MS`; else 0. */
  stalledSeconds: number;
}

const WINDOW_MS = 3_000;
/** A transfer that moved nothing for this long says so in its progress (rate falling, "nothing moved for N s"). */
const STALL_SHOWN_MS = 1_000;

/**
 * Counts the bytes that flow through it, hashes them (SHA-256, unless `hash` is false: an upload
 * needs no hash, and hashing 500 MB takes ~0.4 s of CPU) and reports progress at most every
 * `everyMs`: a pass-through stage of a pipeline, holding nothing but the chunk in hand.
 */
export class TransferMeter extends Transform {
  bytes = 0;
  private readonly hash: Hash | undefined;
  private readonly samples: { at: number; bytes: number }[] = [];
  private lastReport = 0;
  private lastByte: number;
  /** Reports while nothing arrives, so a stalled transfer shows it (cleared when the stream ends). */
  private readonly ticker: NodeJS.Timeout | undefined;

  constructor(
    private readonly total: number | null,
    private readonly onProgress?: (progress: TransferProgress) => void,
    { hash = true, everyMs = 250, now = Date.now }: { hash?: boolean; everyMs?: number; now?: () => number } = {},
  ) {
    super();
    this.hash = hash ? createHash('sha256') : undefined;
    this.everyMs = everyMs;
    this.now = now;
    this.samples.push({ at: now(), bytes: 0 });
    this.lastByte = now();
    this.ticker = onProgress ? setInterval(() => this.reportIfStalled(), STALL_SHOWN_MS) : undefined;
    this.ticker?.unref();
  }

  private readonly everyMs: number;
  private readonly now: () => number;

  /** The SHA-256 of every byte that went through, hex; call once the stream has ended. */
  digest(): string {
    if (!this.hash) throw new Error('this transfer was not hashed');
    return this.hash.digest('hex');
  }

  progress(): TransferProgress {
    const at = this.now();
    const oldest = this.samples[0]!;
    const seconds = (at - oldest.at) / 1000;
    const bytesPerSecond = seconds > 0 ? (this.bytes - oldest.bytes) / seconds : 0;
    const left = this.total === null ? null : Math.max(0, this.total - this.bytes);
    const idle = at - this.lastByte;
    return {
      bytes: this.bytes,
      total: this.total,
      bytesPerSecond,
      etaSeconds: left === null || bytesPerSecond <= 0 ? null : left / bytesPerSecond,
      stalledSeconds: idle >= STALL_SHOWN_MS ? Math.floor(idle / 1000) : 0,
    };
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash?.update(chunk);
    const at = this.now();
    this.lastByte = at;
    if (this.onProgress && at - this.lastReport >= this.everyMs) this.report(at);
    done(null, chunk);
  }

  private report(at: number): void {
    this.lastReport = at;
    this.samples.push({ at, bytes: this.bytes });
    while (this.samples.length > 2 && at - this.samples[1]!.at > WINDOW_MS) this.samples.shift();
    this.onProgress?.(this.progress());
  }

  /** Nothing arrived for a while (the other end or the link stalled): a report with the rate falling, saying so. */
  private reportIfStalled(): void {
    const at = this.now();
    if (at - this.lastByte >= STALL_SHOWN_MS) this.report(at);
  }

  /** The last report says every byte: the final count, not the one of the last interval. */
  override _flush(done: TransformCallback): void {
    clearInterval(this.ticker);
    this.onProgress?.(this.progress());
    done();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    clearInterval(this.ticker);
    done(error);
  }
}

/** `12.0 MiB of 40.0 MiB (30%) · 8.1 MiB/s · 4 s left`, or `… · 1.2 MiB/s · nothing moved for 5 s` */
export function progressLine(progress: TransferProgress): string {
  const of = progress.total === null ? '' : ` of ${humanSize(progress.total)} (${Math.floor((progress.bytes / Math.max(progress.total, 1)) * 100)}%)`;
  const eta = progress.etaSeconds === null ? '' : ` · ${Math.ceil(progress.etaSeconds)} s left`;
  const stalled = progress.stalledSeconds > 0 ? ` · nothing moved for ${progress.stalledSeconds} s` : '';
  return `${humanSize(progress.bytes)}${of} · ${humanSize(Math.round(progress.bytesPerSecond))}/s${stalled || eta}`;
}

/**
 * A transfer's transport failure, saying how far it got: `the upload stalled after 2.0 MiB of 48.0
 * MiB: nothing moved for 30 s` for a connection that stayed open while no byte moved for the request
 * time limit (`COI_DESKTOP_REQUEST_TIMEOUT_MS`: undici's timers run between bytes), `…; after 2.0 MiB
 * of 48.0 MiB` added to a lost connection's message. Other errors (the daemon's answers, Ctrl-C) and
 * a transfer that had sent every byte are returned as they are.
 */
export function transportFailure(error: unknown, direction: 'upload' | 'download', bytes: number, total: number | null, limitMs: number): unknown {
  if (!(error instanceof IncusUnreachableError) || (total !== null && bytes >= total)) return error;
  const sofar = `${humanSize(bytes)}${total === null ? '' : ` of ${humanSize(total)}`}`;
  if (error.code !== 'timeout') {
    error.message = `${error.message}; the ${direction} had reached ${sofar}`;
    return error;
  }
  const hint = `set COI_DESKTOP_REQUEST_TIMEOUT_MS to wait longer on a slow link`;
  return new IncusUnreachableError(error.endpoint, 'timeout', `the ${direction} ${direction === 'upload' ? 'to' : 'from'} ${error.endpoint} stalled after ${sofar}: nothing moved for ${limitMs / 1000} s (the connection stayed open; ${hint})`);
}
