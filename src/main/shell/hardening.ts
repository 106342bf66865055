import { pathToFileURL } from 'node:url';
import { isAllowedExternalUrl } from './external-links';
import { isAppUrl } from './ipc';
import { CONTENT_SECURITY_POLICY } from './window-options';

/** Opens a link in the system browser (Electron's `shell.openExternal`). */
export type OpenExternal = (url: string) => Promise<void>;

/** The one permission the window gets: writing text to the clipboard (*Copy name*, *Copy JSON*). */
export const ALLOWED_PERMISSIONS: readonly string[] = ['clipboard-sanitized-write'];

/**
 * The page the window loads: the built renderer file, or in development (`electron-vite dev`, never
 * in a packaged app) the dev server that `ELECTRON_RENDERER_URL` names.
 */
export function rendererUrl(isPackaged: boolean, env: NodeJS.ProcessEnv, rendererFile: string): string {
  return !isPackaged && env.ELECTRON_RENDERER_URL ? env.ELECTRON_RENDERER_URL : pathToFileURL(rendererFile).href;
}

/** Opens `url` in the system browser if it is on the allow-list; says whether it did. */
export function openAllowedLink(url: string, openExternal: OpenExternal): boolean {
  if (!isAllowedExternalUrl(url)) return false;
  openExternal(url).catch((error: unknown) => console.warn(`COI Desktop: could not open ${url} in the browser: ${error instanceof Error ? error.message : String(error)}`));
  return true;
}

interface Preventable {
  preventDefault(): void;
}

/** What `guardWebContents` uses of Electron's `WebContents`. */
export interface GuardableContents {
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
  on(event: 'will-navigate', listener: (event: Preventable, url: string) => void): unknown;
  on(event: 'will-redirect', listener: (event: Preventable, url: string) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: Preventable) => void): unknown;
}

/**
 * The page never leaves the app: no new windows, no navigation, no redirects, no webviews. A link to
 * an allowed https page (window.open or a click) opens in the system browser instead.
 */
export function guardWebContents(contents: GuardableContents, openExternal: OpenExternal): void {
  contents.setWindowOpenHandler(({ url }) => {
    openAllowedLink(url, openExternal);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event, url) => {
    event.preventDefault();
    openAllowedLink(url, openExternal);
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/** Guards every web contents the app ever creates (`app.on('web-contents-created')`). */
export function guardAllWebContents(app: { on(event: 'web-contents-created', listener: (event: unknown, contents: GuardableContents) => void): unknown }, openExternal: OpenExternal): void {
  app.on('web-contents-created', (_event, contents) => guardWebContents(contents, openExternal));
}

type HeadersCallback = (response: { responseHeaders: Record<string, string | string[]> }) => void;

/** What `hardenSession` uses of Electron's `Session`. */
export interface HardenableSession {
  webRequest: { onHeadersReceived(listener: (details: { responseHeaders?: Record<string, string | string[]> }, callback: HeadersCallback) => void): void };
  setPermissionRequestHandler(handler: (contents: unknown, permission: string, callback: (granted: boolean) => void, details: { requestingUrl?: string }) => void): void;
  setPermissionCheckHandler(handler: (contents: unknown, permission: string, requestingOrigin: string) => boolean): void;
}

/**
 * Every response carries the app's Content-Security-Policy; every permission (camera, notifications
 * from the page, geolocation, …) is refused except `ALLOWED_PERMISSIONS` for the app's own page.
 */
export function hardenSession(session: HardenableSession, appUrl: string): void {
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  const allowed = (permission: string, url: string | undefined) => ALLOWED_PERMISSIONS.includes(permission) && isAppPage(url, appUrl);
  session.setPermissionRequestHandler((_contents, permission, callback, details) => callback(allowed(permission, details.requestingUrl)));
  session.setPermissionCheckHandler((_contents, permission, origin) => allowed(permission, origin));
}

/** A page or origin of the app: its own file (a file page's origin is just `file:///`), or the dev server. */
function isAppPage(url: string | undefined, appUrl: string): boolean {
  if (!url) return false;
  if (appUrl.startsWith('file:') && (url === 'file://' || url === 'file:///')) return true;
  return isAppUrl(url, appUrl);
}
