import { describe, expect, it } from 'vitest';
import type { HostOverview } from '../../src/shared/model';
import type { Container } from '../../src/shared/model';
import { createdNotice, failedNotice, summaryNotice } from '../../src/main/app/quick-snapshot';
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
