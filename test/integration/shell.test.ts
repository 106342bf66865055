import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoiCore } from '../../src/main/app/core';
import type { Notice, Target } from '../../src/main/app/quick-snapshot';
import { registerIpc } from '../../src/main/shell/ipc';
import { TrayController } from '../../src/main/shell/tray-controller';
import type { TrayAction, TrayItem } from '../../src/main/shell/tray-menu';
import type { CoiApi } from '../../src/shared/contract';
import { exposeCoi } from '../../src/preload/bridge';
import { Fixtures, incus, requireDaemon, snapshotNames, testName } from '../helpers/incus';
import { fakeElectronIpc, openCore } from '../helpers/transports';

const fixtures = new Fixtures();
let core: CoiCore;

beforeAll(async () => {
  requireDaemon();
  ({ core } = await openCore());
});
afterAll(async () => {
  await core?.close();
  await fixtures.cleanup();
});

/** A fake of what the tray uses from Electron: the menu it was given, the notifications it showed. */
function fakeTray() {
  const shown: Notice[] = [];
  const used: Target[] = [];
  let menu: TrayItem[] = [];
  let onAction: (action: TrayAction) => void = () => undefined;
  const opened: string[] = [];
  const deps = {
    setMenu: (items: TrayItem[], act: (action: TrayAction) => void) => {
      menu = items;
      onAction = act;
    },
    notify: (notice: Notice) => void shown.push(notice),
    openWindow: () => void opened.push('window'),
    quit: () => void opened.push('quit'),
    used: (target: Target) => void used.push(target),
  };
  const find = (label: string, items = menu): TrayItem | undefined =>
    items.map((item) => (item.label === label ? item : item.submenu ? find(label, item.submenu) : undefined)).find(Boolean);
  return { deps, shown, used, opened, menu: () => menu, find, click: (action: TrayAction) => onAction(action) };
}

describe('the tray, with a fake of Electron, against the real daemon', () => {
  it('lists running containers and takes a quick snapshot in one click', async () => {
    const name = await fixtures.launch(testName('tray'));
    const tray = fakeTray();
    const controller = new TrayController(core, tray.deps);
    await controller.refresh();
    const item = tray.find(name);
    expect(item?.submenu?.[0]?.label).toBe('Quick snapshot');
    await controller.act(item!.submenu![0]!.action!);
    const [notice] = tray.shown;
    expect(notice).toMatchObject({ ok: true, title: 'Snapshot created', body: expect.stringMatching(new RegExp(`^Snapshot snap-\\d{8}-\\d{6} of ${name} on local created$`)) });
    expect(await snapshotNames(name)).toEqual([/(snap-\S+)/.exec(notice!.body)![1]]);
    expect(tray.used).toEqual([{ host: 'local', container: name }]);
    controller.dispose();
  });

  it('says why a quick snapshot failed', async () => {
    const name = await fixtures.launch(testName('traygone'));
    const tray = fakeTray();
    const controller = new TrayController(core, tray.deps);
    await controller.refresh();
    await incus('delete', '-f', name); // gone between the menu being built and the click
    await controller.act({ kind: 'quick-snapshot', host: 'local', container: name });
    expect(tray.shown).toEqual([{ ok: false, title: 'Snapshot failed', body: `No snapshot of ${name} on local: container '${name}' not found` }]);
    expect(tray.used).toEqual([]);
    controller.dispose();
  });

  it('snapshots every running container at once, and opens and quits', async () => {
    // A project of its own: "every running container" must not reach other test files' containers.
    const own = await Fixtures.inProject('trayall');
    const { core: scoped } = await openCore();
    try {
      await scoped.registry.add({ kind: 'local', name: 'local', project: own.project });
      const names = [await own.launch(testName('trayall')), await own.launch(testName('trayall')), await own.launch(testName('trayoff'), { stopped: true })];
      const tray = fakeTray();
      const controller = new TrayController(scoped, tray.deps);
      await controller.refresh();
      await controller.act({ kind: 'quick-snapshot-all' });
      expect(tray.shown).toEqual([{ ok: true, title: 'Snapshots created', body: '2 running containers snapshotted' }]);
      const counts = await Promise.all(names.map(async (name) => (await own.incus('snapshot', 'list', name, '--format', 'csv')).split('\n').filter(Boolean).length));
      expect(counts).toEqual([1, 1, 0]);
      await controller.act({ kind: 'open' });
      await controller.act({ kind: 'quit' });
      expect(tray.opened).toEqual(['window', 'quit']);
      controller.dispose();
    } finally {
      await scoped.close();
      await own.cleanup();
    }
  });

  it('rebuilds the menu when a container starts elsewhere', async () => {
    const name = await fixtures.launch(testName('trayev'), { stopped: true });
    const tray = fakeTray();
    const controller = new TrayController(core, tray.deps, 50);
    await controller.refresh();
    expect(tray.find(name)).toBeUndefined();
    await core.pool.test('local'); // online: the event stream is opened
    await new Promise((resolve) => setTimeout(resolve, 300));
    await incus('start', name);
    await expect.poll(() => tray.find(name)?.label, { timeout: 5_000 }).toBe(name);
    controller.dispose();
  });
});

describe('the IPC glue', () => {
  it('refuses calls from a frame that is not the app window', async () => {
    const electron = fakeElectronIpc();
    registerIpc(electron.ipcMain, core.handlers, () => false);
    exposeCoi(electron.contextBridge, electron.ipcRenderer);
    const result = await (electron.world.coi as CoiApi)['hosts.list']({});
    expect(result).toEqual({ ok: false, error: { code: 'invalid-input', message: 'call refused: it did not come from the app window' } });
  });

  it('exposes exactly the contract and an event subscription, nothing of Electron or Node', () => {
    const electron = fakeElectronIpc();
    exposeCoi(electron.contextBridge, electron.ipcRenderer);
    const api = electron.world.coi as Record<string, unknown>;
    expect(Object.keys(electron.world)).toEqual(['coi']);
    expect(Object.keys(api).filter((key) => key !== 'on').sort()).toEqual(Object.keys(core.handlers).sort());
    expect(Object.values(api).every((value) => typeof value === 'function')).toBe(true);
  });
});
