import type { CoiEvent } from '../../shared/contract';
import type { HostStatus } from '../../shared/hosts';
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

/**
 * Listens to each host's `/1.0/events` while it is online, so lists update within a second of a
 * change made anywhere (a terminal, another app). When a stream ends the renderer is told to poll
 * until the host is online again, when the stream is opened anew.
 */
export class HostEventStreams {
  private readonly streams = new Map<string, Promise<EventSubscription | undefined>>();

  constructor(
    private readonly pool: HostPool,
    private readonly emit: (event: CoiEvent) => void,
  ) {
    pool.on('status', (host, status) => this.onStatus(host, status));
  }

  async close(): Promise<void> {
    const streams = [...this.streams.values()];
    this.streams.clear();
    await Promise.all(streams.map(async (stream) => (await stream)?.close()));
  }

  private onStatus(host: string, status: HostStatus): void {
    if (status.state !== 'online' || this.streams.has(host)) return;
    const stream = subscribeEvents(this.pool.client(host), ['lifecycle', 'operation'], {
      onEvent: (event) => {
        const mapped = toCoiEvent(host, event);
        if (mapped) this.emit(mapped);
      },
      onClose: (reason) => this.lost(host, stream, reason),
    }).catch((error: unknown) => {
      this.lost(host, stream, error instanceof Error ? error.message : String(error));
      return undefined;
    });
    this.streams.set(host, stream);
  }

  private lost(host: string, stream: Promise<EventSubscription | undefined>, reason: string): void {
    if (this.streams.get(host) !== stream) return; // closed on purpose
    this.streams.delete(host);
    this.emit({ type: 'events-unavailable', host, reason });
  }
}
