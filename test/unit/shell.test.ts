import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { HostOverview } from '../../src/shared/model';
import type { Container } from '../../src/shared/model';
import { createdNotice, failedNotice, summaryNotice, unknownNotice } from '../../src/main/app/quick-snapshot';
import { isAllowedExternalUrl } from '../../src/main/shell/external-links';
import { guardAllWebContents, guardWebContents, hardenSession, rendererUrl, type GuardableContents, type HardenableSession } from '../../src/main/shell/hardening';
import { isAppUrl } from '../../src/main/shell/ipc';
import { trayTemplate } from '../../src/main/shell/tray-menu';
import { CONTENT_SECURITY_POLICY, mainWindowOptions } from '../../src/main/shell/window-options';
import { restorableBounds } from '../../src/main/shell/window-state';

const container = (name: string, status = 'Running'): Container => ({ name, status, type: 'container', createdAt: '', coi: true, statefulCapable: false, snapshots: [] });
const host = (name: string, containers: Container[], state: 'online' | 'offline' = 'online'): HostOverview => ({
  host: name,
  status: state === 'online' ? { state, latencyMs: 3 } : { state, reason: 'down', nextRetryAt: null },
  containers,
});
const labels = (items: ReturnType<typeof trayTemplate>) => items.map((item) => item.type === 'separator' ? '---' : item.label);

describe('the tray menu', () => {
  it('with no hosts: says so, and only open and quit do anything', () => {
    const items = trayTemplate([]);
    expect(labels(items)).toEqual(['No hosts', '---', 'Quick snapshot of all running containers', '---', 'Open COI Desktop', 'Quit']);
    expect(items[2]?.enabled).toBe(false);
  });

  it('with one host: its running containers, each with a quick snapshot', () => {
    const items = trayTemplate([host('local', [container('coi-ab12cd34-1'), container('stopped-one', 'Stopped')])]);
    expect(labels(items)).toEqual(['local', 'coi-ab12cd34-1', '---', 'Quick snapshot of all running containers', '---', 'Open COI Desktop', 'Quit']);
    expect(items[1]?.submenu).toEqual([{ label: 'Quick snapshot', action: { kind: 'quick-snapshot', host: 'local', container: 'coi-ab12cd34-1' } }]);
    expect(items[3]).toMatchObject({ enabled: true, action: { kind: 'quick-snapshot-all' } });
  });

  it('with many hosts: one section each, an offline host marked, an idle one said to have nothing running', () => {
    const items = trayTemplate([host('local', [container('a'), container('b')]), host('buildbox', [], 'offline'), host('gpu', [container('c', 'Stopped')])]);
    expect(labels(items)).toEqual(['local', 'a', 'b', '---', 'buildbox (offline)', 'Unavailable', '---', 'gpu', 'No running containers', '---', 'Quick snapshot of all running containers', '---', 'Open COI Desktop', 'Quit']);
  });
});

describe('notification texts', () => {
  it('say what was made where, or why not', () => {
    expect(createdNotice({ host: 'buildbox', container: 'coi-ab12-1' }, 'snap-20261125-101500')).toEqual({ ok: true, title: 'Snapshot created', body: 'Snapshot snap-20261125-101500 of coi-ab12-1 on buildbox created' });
    expect(failedNotice({ host: 'buildbox', container: 'coi-ab12-1' }, 'disk full').body).toBe('No snapshot of coi-ab12-1 on buildbox: disk full');
    expect(unknownNotice({ host: 'buildbox', container: 'coi-ab12-1' }, "snapshot 'snap-1' may have been created")).toMatchObject({ ok: false, title: 'Snapshot outcome unknown', body: "Snapshot of coi-ab12-1 on buildbox: snapshot 'snap-1' may have been created" });
    const ok = createdNotice({ host: 'h', container: 'a' }, 's');
    expect(summaryNotice([ok, ok]).body).toBe('2 running containers snapshotted');
    expect(summaryNotice([ok, failedNotice({ host: 'h', container: 'b' }, 'no')])).toMatchObject({ ok: false, body: '1 of 2 created. No snapshot of b on h: no' });
    expect(summaryNotice([]).title).toBe('Nothing to snapshot');
  });
});

describe('the main window', () => {
  it('isolates the renderer: context isolation, sandbox, no Node, no webviews', () => {
    const options = mainWindowOptions('/app/preload.js');
    expect(options.webPreferences).toMatchObject({ preload: '/app/preload.js', contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false, allowRunningInsecureContent: false });
    expect(CONTENT_SECURITY_POLICY).toMatch(/^default-src 'none'; script-src 'self';/);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval/);
  });

  it('reopens where it was, unless that is off every display now', () => {
    const saved = { x: 100, y: 100, width: 1000, height: 700, maximized: false };
    expect(restorableBounds(saved, [{ x: 0, y: 0, width: 1920, height: 1080 }])).toEqual({ x: 100, y: 100, width: 1000, height: 700 });
    expect(restorableBounds({ ...saved, x: 3000 }, [{ x: 0, y: 0, width: 1920, height: 1080 }])).toBeUndefined();
    expect(mainWindowOptions('/p', { x: 5, y: 6, width: 900, height: 600 })).toMatchObject({ x: 5, y: 6, width: 900, height: 600 });
  });

  it("trusts IPC only from the app's own page", () => {
    expect(isAppUrl('file:///opt/coi/out/renderer/index.html', 'file:///opt/coi/out/renderer/index.html')).toBe(true);
    expect(isAppUrl('file:///tmp/evil.html', 'file:///opt/coi/out/renderer/index.html')).toBe(false);
    expect(isAppUrl('http://localhost:5173/x', 'http://localhost:5173/')).toBe(true);
    expect(isAppUrl('https://evil.example/', 'http://localhost:5173/')).toBe(false);
    expect(isAppUrl(undefined, 'http://localhost:5173/')).toBe(false);
  });
});

describe('links that leave the app', () => {
  it.each([
    ['https://linuxcontainers.org/incus/docs/main/', true],
    ['https://github.com/lxc/incus', true],
    ['https://github.com/lxc/incus/issues/1', true],
    ['https://github.com/mensfeld/code-on-incus/blob/master/README.md', true],
    ['http://linuxcontainers.org/', false],
    ['https://github.com/lxc/incus-evil', false],
    ['https://github.com/evil/repo', false],
    ['https://linuxcontainers.org.evil.example/', false],
    ['https://user:pw@github.com/lxc/incus', false],
    ['https://github.com:8443/lxc/incus', false],
    ['file:///etc/passwd', false],
    ['javascript:alert(1)', false],
    ['ms-msdt:/id PCWDiagnostic', false],
    ['not a url', false],
  ])('%s is opened in the browser: %s', (url, allowed) => {
    expect(isAllowedExternalUrl(url)).toBe(allowed);
  });
});

describe('the page the window loads', () => {
  it('is the built file, and the dev server of ELECTRON_RENDERER_URL only when not packaged', () => {
    const env = { ELECTRON_RENDERER_URL: 'http://localhost:5173/' };
    expect(rendererUrl(true, env, '/opt/COI Desktop/resources/app.asar/out/renderer/index.html')).toBe('file:///opt/COI%20Desktop/resources/app.asar/out/renderer/index.html');
    expect(rendererUrl(false, env, '/app/out/renderer/index.html')).toBe('http://localhost:5173/');
    expect(rendererUrl(false, {}, '/app/out/renderer/index.html')).toBe('file:///app/out/renderer/index.html');
  });
});

/** A fake of Electron's WebContents: its listeners and window-open handler, to fire by hand. */
function fakeContents() {
  const emitter = new EventEmitter();
  let openHandler: (details: { url: string }) => { action: string } = () => ({ action: 'allow' });
  const contents = {
    setWindowOpenHandler: (handler: typeof openHandler) => void (openHandler = handler),
    on: (event: string, listener: (...args: unknown[]) => void) => emitter.on(event, listener),
  } as GuardableContents;
  /** Fires `name` as Electron would; says whether a listener prevented it. */
  const fire = (name: string, url?: string) => {
    let prevented = false;
    emitter.emit(name, { preventDefault: () => (prevented = true) }, url);
    return prevented;
  };
  return { contents, fire, open: (url: string) => openHandler({ url }) };
}

describe('every page of the app', () => {
  const opener = () => {
    const opened: string[] = [];
    return { opened, openExternal: async (url: string) => void opened.push(url) };
  };

  it('opens no window: an allowed https link goes to the system browser, anything else nowhere', () => {
    const { opened, openExternal } = opener();
    const page = fakeContents();
    guardWebContents(page.contents, openExternal);
    expect(page.open('https://github.com/lxc/incus')).toEqual({ action: 'deny' });
    expect(page.open('https://evil.example/')).toEqual({ action: 'deny' });
    expect(page.open('file:///bin/sh')).toEqual({ action: 'deny' });
    expect(opened).toEqual(['https://github.com/lxc/incus']);
  });

  it('never navigates, redirects or attaches a webview; a navigation to an allowed link opens the browser instead', () => {
    const { opened, openExternal } = opener();
    const page = fakeContents();
    guardWebContents(page.contents, openExternal);
    expect(page.fire('will-navigate', 'https://linuxcontainers.org/incus/')).toBe(true);
    expect(page.fire('will-navigate', 'https://evil.example/')).toBe(true);
    expect(page.fire('will-redirect', 'https://evil.example/')).toBe(true);
    expect(page.fire('will-attach-webview')).toBe(true);
    expect(opened).toEqual(['https://linuxcontainers.org/incus/']);
  });

  it('is guarded as soon as Electron creates it', () => {
    const { opened, openExternal } = opener();
    const app = new EventEmitter();
    guardAllWebContents(app as unknown as Parameters<typeof guardAllWebContents>[0], openExternal);
    const page = fakeContents();
    app.emit('web-contents-created', {}, page.contents);
    expect(page.fire('will-navigate', 'https://evil.example/')).toBe(true);
    expect(page.open('https://github.com/mensfeld/code-on-incus')).toEqual({ action: 'deny' });
    expect(opened).toEqual(['https://github.com/mensfeld/code-on-incus']);
  });
});

describe('the session', () => {
  /** A fake of Electron's Session: the handlers hardenSession installs. */
  function fakeSession() {
    const installed: { headers?: Parameters<HardenableSession['webRequest']['onHeadersReceived']>[0]; request?: Parameters<HardenableSession['setPermissionRequestHandler']>[0]; check?: Parameters<HardenableSession['setPermissionCheckHandler']>[0] } = {};
    const session: HardenableSession = {
      webRequest: { onHeadersReceived: (listener) => void (installed.headers = listener) },
      setPermissionRequestHandler: (handler) => void (installed.request = handler),
      setPermissionCheckHandler: (handler) => void (installed.check = handler),
    };
    const request = (permission: string, requestingUrl: string) => {
      let granted: boolean | undefined;
      installed.request!({}, permission, (answer) => (granted = answer), { requestingUrl });
      return granted;
    };
    return { session, installed, request };
  }
  const appUrl = 'file:///app/out/renderer/index.html';

  it('adds the Content-Security-Policy to every response, keeping its other headers', () => {
    const { session, installed } = fakeSession();
    hardenSession(session, appUrl);
    let headers: Record<string, string | string[]> = {};
    installed.headers!({ responseHeaders: { 'Content-Type': ['text/html'] } }, (response) => (headers = response.responseHeaders));
    expect(headers).toEqual({ 'Content-Type': ['text/html'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
  });

  it('refuses every permission but clipboard writes from the app\'s own page', () => {
    const { session, installed, request } = fakeSession();
    hardenSession(session, appUrl);
    for (const permission of ['media', 'geolocation', 'notifications', 'openExternal', 'hid', 'clipboard-read', 'fullscreen']) {
      expect(request(permission, appUrl)).toBe(false);
      expect(installed.check!({}, permission, 'file:///')).toBe(false);
    }
    expect(request('clipboard-sanitized-write', appUrl)).toBe(true);
    expect(request('clipboard-sanitized-write', 'https://evil.example/')).toBe(false);
    expect(request('clipboard-sanitized-write', 'file:///tmp/evil.html')).toBe(false);
    expect(installed.check!({}, 'clipboard-sanitized-write', 'file:///')).toBe(true);
    expect(installed.check!({}, 'clipboard-sanitized-write', 'https://evil.example')).toBe(false);
  });
});
