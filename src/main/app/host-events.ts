import type { CoiEvent } from '../../shared/contract';
import { OperationSchema } from '../incus/api-schemas';
import { subscribeEvents, type EventSubscription, type IncusEvent } from '../incus/events';
import type { HostPool } from '../hosts/pool';
import { toOperationSummary } from './operations';

/** The container an Incus resource URL names: `/1.0/instances/NAME[/snapshots/…]`. */
export function containerOf(source: string): string | null {
  const match = /^\/1\.0\/instances\/([^/?]+)/.exec(source);
  return match ? decodeURIComponent(match[1]!) : null;
}

/** One Incus event as the renderer hears it, or nothing for events it has no use for. */
export function toCoiEvent(host: string, event: IncusEvent): CoiEvent | undefined {
  if (event.type === 'lifecycle') {
    const source = typeof event.metadata.source === 'string' ? event.metadata.source : '';
    return { type: 'lifecycle', host, action: String(event.metadata.action ?? ''), source, container: containerOf(source) };
  }
  if (event.type === 'operation') {
    const operation = OperationSchema.safeParse(event.metadata);
    return operation.success ? { type: 'operation', host, operation: toOperationSummary(operation.data) } : undefined;
  }
  return undefined;
}

export interface EventStreamOptions {
  /** The pause before the first new try after a stream ends; it doubles on each failure. */
  firstRetryMs?: number;
  /** The longest pause between two tries. */
  maxRetryMs?: number;
}

/**
 * Listens to each host's `/1.0/events` from the moment it is first online, so lists update within a
 * second of a change made anywhere (a terminal, another app). A stream that ends (a daemon restart, a
 * lost connection) is opened again with backoff, 0.5 s doubling to 15 s and reset once it is open,
 * whatever the host's status does: a restarted local daemon stays "online" all along. The renderer
 * hears `events-unavailable` when a stream is lost (and polls) and `events-restored` when it is back.
 */
export class HostEventStreams {
  private readonly streams = new Map<string, HostStream>();

  constructor(
    private readonly pool: HostPool,
    private readonly emit: (event: CoiEvent) => void,
    private readonly options: EventStreamOptions = {},
  ) {
    pool.on('status', (host, status) => {
      if (status.state === 'online') this.listen(host);
    });
  }

  async close(): Promise<void> {
    const streams = [...this.streams.values()];
    this.streams.clear();
    await Promise.all(streams.map((stream) => stream.close()));
  }

  /**
   * Resolves once `host`'s stream is open and hears every change made from then on (at once when it
   * already is); a stream that is not open yet or is being opened again resolves when it opens.
   */
  whenOpen(host: string): Promise<void> {
    const stream = this.streams.get(host);
    if (!stream) return new Promise((resolve) => this.pool.once('status', () => resolve(this.whenOpen(host))));
    return stream.whenOpen();
  }

  /** Opens a host's stream; one waiting to be tried again is tried at once (the host just answered). */
  private listen(host: string): void {
    const existing = this.streams.get(host);
    if (existing) return existing.retryNow();
    const stream = new HostStream(host, {
      pool: this.pool,
      emit: this.emit,
      firstRetryMs: this.options.firstRetryMs ?? 500,
      maxRetryMs: this.options.maxRetryMs ?? 15_000,
      forget: () => {
        if (this.streams.get(host) === stream) this.streams.delete(host);
      },
    });
    this.streams.set(host, stream);
    stream.open();
  }
}

interface HostStreamDeps {
  pool: HostPool;
  emit: (event: CoiEvent) => void;
  firstRetryMs: number;
  maxRetryMs: number;
  /** The host is no longer configured: its stream is let go. */
  forget: () => void;
}

/** One host's event stream: open, or waiting to be tried again. */
class HostStream {
  private subscription: EventSubscription | undefined;
  private retry: NodeJS.Timeout | undefined;
  private pause: number;
  private lost = false;
  private closed = false;
  private waiting: (() => void)[] = [];

  constructor(
    private readonly host: string,
    private readonly deps: HostStreamDeps,
  ) {
    this.pause = deps.firstRetryMs;
  }

  open(): void {
    this.retry = undefined;
    void Promise.resolve()
      .then(() => this.subscribe())
      .then(
        (subscription) => this.opened(subscription),
        (error: unknown) => this.failed(error instanceof Error ? error.message : String(error)),
      );
  }

  whenOpen(): Promise<void> {
    if (this.subscription) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  retryNow(): void {
    if (!this.retry) return; // open, or being opened
    clearTimeout(this.retry);
    this.pause = this.deps.firstRetryMs;
    this.open();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    await this.subscription?.close();
  }

  private subscribe(): Promise<EventSubscription> {
    return subscribeEvents(this.deps.pool.client(this.host), ['lifecycle', 'operation'], {
      onEvent: (event) => {
        const mapped = toCoiEvent(this.host, event);
        if (mapped) this.deps.emit(mapped);
      },
      onClose: (reason) => {
        this.subscription = undefined;
        this.failed(reason);
      },
    });
  }

  private opened(subscription: EventSubscription): void {
    if (this.closed) return void subscription.close();
    this.subscription = subscription;
    this.pause = this.deps.firstRetryMs;
    for (const resolve of this.waiting.splice(0)) resolve();
    if (!this.lost) return;
    this.lost = false;
    this.deps.emit({ type: 'events-restored', host: this.host });
  }

  /** Says the stream is lost (once per loss) and tries again after the next pause. */
  private failed(reason: string): void {
    if (this.closed) return;
    if (!this.deps.pool.hosts().some((config) => config.name === this.host)) return this.deps.forget();
    if (!this.lost) {
      this.lost = true;
      this.deps.emit({ type: 'events-unavailable', host: this.host, reason });
    }
    this.retry = setTimeout(() => this.open(), this.pause);
    this.pause = Math.min(this.pause * 2, this.deps.maxRetryMs);
  }
}
