import type { Dispatcher } from 'undici';
import Agent from 'undici/lib/dispatcher/agent.js';
import requestWith from 'undici/lib/api/api-request.js';
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
 * silent, so this app never pre-connects or probes.
 */
export function createLocalDispatcher(socketPath: string): Agent {
  return new Agent({ connect: { socketPath }, keepAliveTimeout: 10_000 });
}
