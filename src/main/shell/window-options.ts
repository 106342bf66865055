import type { BrowserWindowConstructorOptions } from 'electron';

import type { Rect } from './window-state';

/** The main window: the renderer is untrusted web content with no Node and an isolated bridge. */
export function mainWindowOptions(preloadPath: string, bounds?: Rect): BrowserWindowConstructorOptions {
  return {
    width: 1200,
    height: 800,
    ...bounds,
    minWidth: 720,
    minHeight: 480,
    show: false,
    title: 'COI Desktop',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  };
}

/**
 * Content-Security-Policy of every page the app serves (also set as a meta tag in index.html). Styles
 * come from the app's own files; styles set from script (Svelte's `style:`, bits-ui's menu positions)
 * go through the CSSOM, which CSP does not govern; the one inline style attribute allowed, by its hash, is
 * bits-ui Command's static `display: contents;` item wrapper. No 'unsafe-inline', no 'unsafe-eval'.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-hashes' 'sha256-iaOezIDcQIoxCULa6FBKKuLUu09R7kG+Mlu+JVfU3Rw='; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
