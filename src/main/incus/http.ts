import type { Dispatcher } from 'undici';
import Agent from 'undici/lib/dispatcher/agent.js';
import requestWith from 'undici/lib/api/api-request.js';

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
  return requestWith.call(dispatcher, { ...options, origin: url.origin, path: `${url.pathname}${url.search}` });
}
