import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where the restore journal lives in the config directory (see app/restore-journal.ts): one file per restore under way. */
export const RESTORES_DIR = 'restores';

/** The product name Electron derives its `userData` folder from (package.json `productName`). */
export const PRODUCT_NAME = 'COI Desktop';

export interface PathEnv {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  home: string;
}

const here = (): PathEnv => ({ env: process.env, platform: process.platform, home: homedir() });

/**
 * Where the app keeps its files: `COI_DESKTOP_CONFIG_DIR` if set, else the folder Electron's
 * `app.getPath('userData')` names on this OS, so the CLI and the desktop app share one registry.
 */
export function configDir({ env, platform, home }: PathEnv = here()): string {
  if (env.COI_DESKTOP_CONFIG_DIR) return env.COI_DESKTOP_CONFIG_DIR;
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', PRODUCT_NAME);
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), PRODUCT_NAME);
  return join(env.XDG_CONFIG_HOME ?? join(home, '.config'), PRODUCT_NAME);
}

/** The user's OpenSSH folder (`~/.ssh`, `%USERPROFILE%\.ssh` on Windows). */
export function sshDir({ home }: PathEnv = here()): string {
  return join(home, '.ssh');
}
