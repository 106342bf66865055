import { mkdirSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * Calls `onChange` when `path` may have changed (written, replaced, removed), by watching its
 * folder, so that a file replaced by a rename is followed too. Bursts of changes within `debounceMs`
 * make one call. The watcher does not keep the process alive. Returns the function that stops it.
 */
export function watchFile(path: string, onChange: () => void, onError: (error: Error) => void, debounceMs = 100): () => void {
  const name = basename(path);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let timer: NodeJS.Timeout | undefined;
  const watcher = watch(dirname(path), { persistent: false }, (_event, filename) => {
    if (filename && filename !== name) return; // some platforms give no name: then it may be ours
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  });
  watcher.on('error', onError);
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
}
