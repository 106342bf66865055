import { findLocalSocket } from '../../src/main/incus/local-socket';
import { CoiCore } from '../../src/main/app/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, openWebUi, type WebUi } from '../helpers/browser';
import { tempHome } from '../helpers/hosts';
import { Fixtures, requireDaemon, testName } from '../helpers/incus';
import { SocketProxy } from '../helpers/socket-proxy';

// The overview paints before the daemon's slow answer: names and states from the fast request
// (recursion=1), then the snapshot counts. The slow answer (recursion=2) is held back by a proxy in
// front of the real daemon's socket until the test has seen the first phase.
let own: Fixtures;
let core: CoiCore;
let ui: WebUi;
let proxy: SocketProxy;
/** A container with two snapshots and one with none: "0" is a real count only once it is read. */
let two: string;
let none: string;

beforeAll(async () => {
  requireDaemon();
  own = await Fixtures.inProject('ovp');
  two = await own.launch(testName('ovp2'), { stopped: true });
  none = await own.launch(testName('ovp0'), { stopped: true });
  for (const snapshot of ['s0', 's1']) await own.incus('snapshot', 'create', two, snapshot);
  proxy = new SocketProxy(findLocalSocket());
  await proxy.resume();
  const home = tempHome();
  core = await CoiCore.open({ configDir: home.configDir, home: home.home, env: { ...process.env, INCUS_SOCKET: proxy.path, SSH_AUTH_SOCK: '' }, platform: 'linux' });
  await core.registry.add({ kind: 'local', name: 'local', displayName: 'This machine', project: own.project });
  ui = await openWebUi(core);
});
afterAll(async () => {
  proxy?.release();
  await ui?.close();
  await core?.close();
  await proxy?.cut();
  await own?.cleanup();
});

describe('the overview before the daemon has counted the snapshots', () => {
  it('lists names and states first, says the snapshot counts are loading (never 0), then shows the real counts', async () => {
    const held = proxy.holdAnswersAfter('/1.0/instances?recursion=2');
    // Every text the snapshot cells and the host card show from the first render until the slow answer is let through.
    const record = `
      window.__seen = [];
      new MutationObserver(() => {
        if (window.__released) return;
        for (const cell of document.querySelectorAll('[role="cell"].col-snapshots, ul[aria-label="Hosts"] > li')) window.__seen.push(cell.textContent);
      }).observe(document, { subtree: true, childList: true, characterData: true });`;
    const page = await openPage(ui, '', { init: record });
    await held; // the slow request has reached the daemon; its answer waits for release()
    await page.getByRole('checkbox', { name: 'All instances' }).check();

    const row = (name: string) => page.getByRole('table', { name: 'Containers' }).getByRole('row').filter({ has: page.getByRole('button', { name, exact: true }) });
    const snapshots = (name: string) => row(name).locator('[role="cell"].col-snapshots');
    for (const name of [two, none]) {
      await row(name).waitFor();
      expect(await row(name).locator('[role="cell"].col-state').textContent()).toBe('Stopped');
      expect(await snapshots(name).textContent()).toBe('loading…');
      expect(await snapshots(name).getAttribute('aria-busy')).toBe('true');
    }
    const card = page.getByRole('list', { name: 'Hosts' }).getByRole('listitem', { name: 'This machine' });
    await card.getByText('2 containers (0 running) · snapshots loading…').waitFor();
    expect(await card.getByText('Newest snapshot: loading…').isVisible()).toBe(true);

    await page.evaluate(() => ((globalThis as unknown as { __released: boolean }).__released = true));
    proxy.release();
    await expect.poll(() => snapshots(two).textContent(), { timeout: 15_000 }).toBe('2');
    expect(await snapshots(none).textContent()).toBe('0');
    expect(await snapshots(two).getAttribute('aria-busy')).toBeNull();
    await card.getByText('2 containers (0 running) · 2 snapshots').waitFor();

    // Before the slow answer, no cell or card ever claimed a number of snapshots.
    const seen = await page.evaluate(() => (globalThis as unknown as { __seen: string[] }).__seen);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((text) => /^\d+$|\b\d+ snapshots?\b/.test(text))).toEqual([]);
    await page.close();
  });
});
