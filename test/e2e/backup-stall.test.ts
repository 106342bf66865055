import type { Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoiCore } from '../../src/main/app/core';
import { contrastOf, openPage, openWebUi, shot, type WebUi } from '../helpers/browser';
import { FreezingRelay } from '../helpers/freezing-relay';
import { tempHome } from '../helpers/hosts';
import { Fixtures, requireDaemon, testName } from '../helpers/incus';

/**
 * A backup download in web mode whose connection to Incus stalls (it stays open, nothing moves): what
 * the Operations drawer shows while it waits and when it gives up. The core reaches Incus through a
 * relay that freezes the transfer's connection; the wire-level behaviour is tested in
 * test/integration/backup-stall.test.ts, this is what a user sees of it.
 */
// Long enough to look at the stalled drawer in two sizes and both colour schemes before it gives up.
const LIMIT_MS = 6_000;
const relay = new FreezingRelay();
let own: Fixtures | undefined;
let core: CoiCore | undefined;
let ui: WebUi | undefined;
let container: string;

beforeAll(async () => {
  requireDaemon();
  own = await Fixtures.inProject('stall-ui');
  // 16 MB of random data: far more than sockets hold in flight, so the download is still going when frozen.
  container = await own.launch(testName('stall'));
  await own.incus('exec', container, '--', 'dd', 'if=/dev/urandom', 'of=/big', 'bs=1048576', 'count=16');
  await relay.start(LIMIT_MS);
  const home = tempHome();
  core = await CoiCore.open({
    configDir: home.configDir, home: home.home, platform: 'linux',
    env: { ...process.env, SSH_AUTH_SOCK: '', INCUS_SOCKET: relay.path, COI_DESKTOP_REQUEST_TIMEOUT_MS: String(LIMIT_MS) },
  });
  await core.registry.add({ kind: 'local', name: 'local', displayName: 'This machine', project: own.project });
  ui = await openWebUi(core);
}, 90_000);

afterAll(async () => {
  await ui?.close();
  await core?.close();
  await relay.close();
  await own?.cleanup();
});

describe('a stalled backup download in the Operations drawer', () => {
  it('marks it ⚠ Stalled in the warning colour with a still bar, says nothing has moved for how long while it waits, then ends as failed with how far it got', async () => {
    const page = await openPage(ui!, `/host/local/container/${container}`, { acceptDownloads: true });
    // keyboard only: Export…, leave out the snapshots, Download backup
    await tabTo(page.getByRole('button', { name: 'Export…' }));
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: `Export ${container}` });
    await tabTo(dialog.getByLabel(/Leave out the snapshots/));
    await page.keyboard.press('Space');
    const frozen = relay.frozenAfter(2 << 20);
    await tabTo(dialog.getByRole('button', { name: 'Download backup' }));
    await page.keyboard.press('Enter');
    await frozen;

    const drawer = page.getByRole('complementary', { name: 'Operations' });
    await drawer.getByText(/^[0-9.]+ MiB of [0-9.]+ MiB .* · nothing moved for [12] s$/).waitFor({ timeout: 10_000 });
    const operation = drawer.getByRole('listitem').filter({ hasText: /^⚠ Stalled Export of / });
    expect(await drawer.getByRole('status').textContent()).toMatch(/^Export of .* on local has stalled: nothing is moving\.$/);
    // its Cancel is reached from the keyboard, with a focus ring
    const cancel = operation.getByRole('button', { name: 'Cancel' });
    await tabTo(cancel);
    expect(await cancel.evaluate((element) => element.ownerDocument.defaultView!.getComputedStyle(element).outlineStyle)).not.toBe('none');
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      const label = operation.getByText('Stalled');
      expect(await warnColoured(label, 'color'), `${colorScheme} Stalled in the warning colour`).toBe(true);
      expect(await warnColoured(operation, 'border-left-color'), `${colorScheme} the operation's edge`).toBe(true);
      expect(await warnColoured(operation.getByRole('progressbar'), 'border-top-color'), `${colorScheme} the bar`).toBe(true);
      expect(await contrastOf(label), `${colorScheme} Stalled`).toBeGreaterThanOrEqual(4.5);
      // 1280×800, 800×600, and the layout of a 1280×800 window at 200% zoom
      for (const [label, viewport] of [['1280x800', { width: 1280, height: 800 }], ['800x600', { width: 800, height: 600 }], ['zoom200', { width: 640, height: 400 }]] as const) {
        await page.setViewportSize(viewport);
        await operation.getByText('Stalled').waitFor();
        await shot(page, `backup-download-stalled-${label}-${colorScheme}`);
      }
    }

    const results = drawer.getByRole('list', { name: 'Results' });
    await results.getByText(new RegExp(`the download from .* stalled after [0-9.]+ MiB of [0-9.]+ MiB: nothing moved for ${LIMIT_MS / 1000} s`)).waitFor({ timeout: 30_000 });
    await page.emulateMedia({ colorScheme: 'light' });
    await drawer.getByText('Nothing is running.').waitFor();
    await shot(page, 'backup-download-stall-failed');
    await page.close();
  }, 60_000);
});

/** Presses Tab until what `locator` matches has the focus (keyboard only, as a user gets there). */
async function tabTo(locator: Locator): Promise<void> {
  for (let presses = 0; presses < 60; presses += 1) {
    if (await locator.evaluate((element) => element === element.ownerDocument.activeElement)) return;
    await locator.page().keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${String(locator)}`);
}

/** Whether CSS property `property` of what `locator` matches is the page's warning colour (`--warn`, light or dark as the page is). */
function warnColoured(locator: Locator, property: string): Promise<boolean> {
  return locator.evaluate((element, name) => {
    const view = element.ownerDocument.defaultView!;
    const probe = element.ownerDocument.createElement('span');
    probe.style.color = 'var(--warn)';
    element.ownerDocument.body.append(probe);
    const warn = view.getComputedStyle(probe).color;
    probe.remove();
    return view.getComputedStyle(element).getPropertyValue(name) === warn;
  }, property);
}
