// Where Electron's binary is installed, for `npm start` and the Electron end-to-end test.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/**
 * The installed Electron binary, or undefined. Read from the package's `path.txt` rather than by
 * `require('electron')`, which since Electron 45 starts a download when the binary is missing.
 * @returns {string | undefined}
 */
export function electronBinary() {
  try {
    const folder = dirname(require.resolve('electron'));
    const binary = join(folder, 'dist', readFileSync(join(folder, 'path.txt'), 'utf8').trim());
    return existsSync(binary) ? binary : undefined;
  } catch {
    return undefined;
  }
}
