import { channel } from 'node:diagnostics_channel';
import type { buildConnector as BuildConnector, Dispatcher } from 'undici';
import Agent from 'undici/lib/dispatcher/agent.js';
import requestWith from 'undici/lib/api/api-request.js';
import buildConnector from 'undici/lib/core/connect.js';
import { requestTarget } from './request-target';

/**
 * The two parts of undici the Incus client needs, required by their paths: undici's index also loads
 * fetch, the WebSocket, cookies, mocks… and, by touching `globalThis.Headers`, Node's own copy of
 * undici: about 100 ms of CPU before a one-shot command could send its first request. The event
 * stream imports undici's WebSocket when it opens.
 */
export { Agent };

export type RequestOptions = Omit<Dispatcher.RequestOptions, 'origin' | 'path'>;

/** undici's `request(url, { dispatcher, … })`, on `dispatcher` (any undici dispatcher). */
export function request(dispatcher: Dispatcher, url: URL, options: RequestOptions): Promise<Dispatcher.ResponseData> {
  return requestWith.call(dispatcher, { ...options, origin: url.origin, path: requestTarget(url) });
}

/**
 * One keep-alive dispatcher per host. undici connects only when it has a request to write, and
 * writes it at once: Incus 6.0.4 freezes its whole local API while an accepted connection stays
 * silent, so this app never pre-connects or probes (and `closingSilent` closes what undici leaves silent).
 */
export function createLocalDispatcher(socketPath: string): Agent {
  return new Agent({ connect: closingSilent(buildConnector({ socketPath })), keepAliveTimeout: 10_000 });
}

/** How long a new connection may go without a request written on it before `closingSilent` closes it. */
const SILENT_MS = 100;

/** Connections undici has written a request on: its `undici:client:sendHeaders` channel names each one. */
const used = new WeakSet<object>();
channel('undici:client:sendHeaders').subscribe((message) => used.add((message as { socket: object }).socket));

/**
 * `connect`, each connection it opens closed unless undici writes a request on it within SILENT_MS.
 * After an aborted request undici can open a connection for a request another connection then
 * serves, and keep it unused until its keep-alive timeout: Incus 6.0.4 accepts no other connection
 * while one it accepted is silent, so its whole local API (every client's, on a remote host over SSH
 * too) froze for 10 s after a cancel. undici writes a request as soon as its connection opens.
 */
export function closingSilent(connect: BuildConnector.connector): BuildConnector.connector {
  return (options, callback) =>
    connect(options, (...[error, socket]: Parameters<BuildConnector.Callback>) => {
      if (socket) setTimeout(() => used.has(socket) || socket.destroy(), SILENT_MS).unref();
      if (error) callback(error, null);
      else callback(null, socket!);
    });
}
