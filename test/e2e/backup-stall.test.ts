import { afterAll, beforeAll, describe, it } from 'vitest';
import { CoiCore } from '../../src/main/app/core';
import { openPage, openWebUi, shot, type WebUi } from '../helpers/browser';
import { FreezingRelay } from '../helpers/freezing-relay';
import { tempHome } from '../helpers/hosts';
import { Fixtures, requireDaemon, testName } from '../helpers/incus';

/**
 * A backup download in web mode whose connection to Incus stalls (it stays open, nothing moves): what
 * the Operations drawer shows while it waits and when it gives up. The core reaches Incus through a
 * relay that freezes the transfer's connection; the wire-level behaviour is tested in
 * test/integration/backup-stall.test.ts, this is what a user sees of it.
 */
const LIMIT_MS = 3_000;
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
  it('says nothing has moved for how long while it waits, then ends as failed with how far it got', async () => {
    const page = await openPage(ui!, `/host/local/container/${container}`, { acceptDownloads: true });
    await page.getByRole('button', { name: 'Export…' }).click();
    const dialog = page.getByRole('dialog', { name: `Export ${container}` });
    await dialog.getByLabel(/Leave out the snapshots/).check();
    const frozen = relay.frozenAfter(2 << 20);
    await dialog.getByRole('button', { name: 'Download backup' }).click();
    await frozen;

    const drawer = page.getByRole('complementary', { name: 'Operations' });
    await drawer.getByText(/^[0-9.]+ MiB of [0-9.]+ MiB .* · nothing moved for [12] s$/).waitFor({ timeout: 10_000 });
    await shot(page, 'backup-download-stalled');

    const results = drawer.getByRole('list', { name: 'Results' });
    await results.getByText(/the download from .* stalled after [0-9.]+ MiB of [0-9.]+ MiB: nothing moved for 3 s/).waitFor({ timeout: 30_000 });
    await drawer.getByText('Nothing is running.').waitFor();
    await shot(page, 'backup-download-stall-failed');
    await page.close();
  }, 60_000);
});
