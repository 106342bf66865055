import { WebSocket } from 'undici';
import { z } from 'zod';
import type { IncusClient } from './client';

/** One message of `/1.0/events`: lifecycle (`instance-snapshot-created`, …), operation or logging. */
export const IncusEventSchema = z.object({
  type: z.string(),
  timestamp: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  project: z.string().optional(),
  location: z.string().optional(),
});
export type IncusEvent = z.infer<typeof IncusEventSchema>;

export interface EventHandlers {
  onEvent: (event: IncusEvent) => void;
  /** The stream ended (daemon restart, lost connection, close()); `reason` says why. */
  onClose?: (reason: string) => void;
}

export interface EventSubscription {
  /** Resolves once the websocket has really closed. */
  close(): Promise<void>;
}

/**
 * Listens to the daemon's event stream over the client's own transport (the local socket, or the
 * host's SSH session): the websocket upgrade request is written as soon as the connection opens.
 * Rejects when the stream cannot be opened, or is not within the client's request timeout (a
 * daemon that accepts and stays silent); `onClose` is heard only for a stream that was open.
 */
export function subscribeEvents(client: IncusClient, types: readonly string[], handlers: EventHandlers): Promise<EventSubscription> {
  const socket = new WebSocket(client.url(`/1.0/events?type=${types.join(',')}`, 'ws:'), { dispatcher: client.dispatcher });
  let open = false;
  const closed = new Promise<void>((resolve) => {
    socket.addEventListener('close', (event) => {
      if (open) handlers.onClose?.(event.reason || `the event stream of ${client.endpoint} ended (code ${event.code})`);
      resolve();
    });
  });
  socket.addEventListener('message', (message) => {
    const parsed = IncusEventSchema.safeParse(typeof message.data === 'string' ? safeParse(message.data) : undefined);
    if (parsed.success) handlers.onEvent(parsed.data);
  });
  return new Promise((resolve, reject) => {
    const limit = client.requestTimeoutMs;
    const timer = setTimeout(() => {
      reject(new Error(`${client.endpoint} did not open its event stream within ${limit / 1000} s`));
      socket.close();
    }, limit);
    socket.addEventListener(
      'open',
      () => {
        clearTimeout(timer);
        open = true;
        resolve({ close: () => (socket.close(), closed) });
      },
      { once: true },
    );
    socket.addEventListener(
      'error',
      () => {
        clearTimeout(timer);
        reject(new Error(`cannot listen to the events of ${client.endpoint}`));
      },
      { once: true },
    );
  });
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
