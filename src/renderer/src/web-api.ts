import { createCoiApi } from '../../shared/coi-api';
import type { CallName, CallResult, CoiApi, CoiEvent, CoiListener } from '../../shared/contract';

/** Reads server-sent events from a fetch body (EventSource cannot send the token header). */
async function readEvents(base: string, token: string, deliver: (event: CoiEvent) => void, signal: AbortSignal): Promise<void> {
  const response = await fetch(`${base}/api/events`, { headers: { authorization: `Bearer ${token}` }, signal });
  const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const chunk = await reader?.read();
    if (!chunk || chunk.done) return;
    buffer += chunk.value;
    const blocks = buffer.split('\n\n');
    buffer = blocks.pop() ?? '';
    for (const block of blocks) {
      const data = block.split('\n').filter((line) => line.startsWith('data: ')).map((line) => line.slice(6)).join('\n');
      if (data) deliver(JSON.parse(data) as CoiEvent);
    }
  }
}

/** `window.coi` for a browser tab: the same contract, over HTTP to the web-mode server at `base` ('' for this page's). */
export function createWebApi(token: string, base = ''): CoiApi {
  const listeners = new Set<CoiListener>();
  let stream: AbortController | undefined;
  const connect = () => {
    stream = new AbortController();
    const current = stream;
    void readEvents(base, token, (event) => listeners.forEach((listener) => listener(event)), current.signal)
      .catch(() => undefined)
      .finally(() => {
        // Reconnect while anyone listens; the renderer polls meanwhile (events-unavailable).
        if (listeners.size > 0 && stream === current) setTimeout(connect, 2_000);
      });
  };
  return createCoiApi(
    async (name, input) => {
      try {
        const response = await fetch(`${base}/api/call/${name}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify(input),
        });
        return await response.json();
      } catch (error) {
        const message = `COI Desktop's web server did not answer (${String(error)}); is 'coi-desktop web' still running?`;
        return { ok: false, error: { code: 'host-unreachable', message } } satisfies CallResult<CallName>;
      }
    },
    (listener) => {
      listeners.add(listener);
      if (listeners.size === 1) connect();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) stream?.abort();
      };
    },
  );
}
