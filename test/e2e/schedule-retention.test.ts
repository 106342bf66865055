import { describe, expect, it } from 'vitest';
import { COI_SNAPSHOT_PATTERN } from '../../src/shared/schedule';
import { shot, useWebWorld, WINDOW_SIZES } from '../helpers/browser';
import { incus, testName } from '../helpers/incus';

const world = useWebWorld('sched');

const { open } = world;

/** The instance as the Incus API returns it (`incus query`, the REST API itself, not the code under test). */
async function instance(name: string): Promise<{ config: Record<string, string> }> {
  return JSON.parse(await incus('query', `/1.0/instances/${name}?project=${world.own.project}`)) as { config: Record<string, string> };
}

async function snapshotsOf(name: string): Promise<{ name: string; expires_at: string }[]> {
  return JSON.parse(await incus('query', `/1.0/instances/${name}/snapshots?recursion=1&project=${world.own.project}`)) as { name: string; expires_at: string }[];
}

/** Incus writes "no expiry" as the zero time. */
const NEVER = /^0001-01-01T00:00:00Z$/;

/** Six auto-named snapshots (oldest first) and one named checkpoint, on a stopped container. */
async function withSnapshots(): Promise<{ name: string; autos: string[] }> {
  const name = await world.own.launch(testName('sr'), { stopped: true });
  const autos = ['snap-20261120-080000', 'snap-20261121-080000', 'snap-20261122-080000', 'snap-20261123-080000', 'snap-20261124-080000', 'snap-20261125-080000'];
  for (const snapshot of autos.slice(0, 3)) await world.own.incus('snapshot', 'create', name, snapshot);
  await world.own.incus('snapshot', 'create', name, 'before-refactor');
  for (const snapshot of autos.slice(3)) await world.own.incus('snapshot', 'create', name, snapshot);
  return { name, autos };
}

describe('schedule and retention in the UI', () => {
  it('sets a schedule and a policy from the keyboard, previews the policy, and both land on the instance', async () => {
    const { name, autos } = await withSnapshots();
    const page = await open(`/host/local/container/${name}`);
    await page.getByRole('heading', { name, level: 1 }).waitFor();

    // The tabs: arrows move between them (bits-ui), and the route follows.
    await page.getByRole('tab', { name: 'Snapshots' }).focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Schedule', level: 2 }).waitFor();
    expect(await page.title()).toBe(`Schedule and retention · ${name} · local · COI Desktop`);
    await page.getByText('No schedule: snapshots are taken only by hand.').waitFor();

    // Schedule: "Every 30 minutes" picked from the bits-ui select with the keyboard, also while stopped.
    const often = page.getByRole('combobox', { name: /How often/ });
    await often.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('option', { name: 'Every 30 minutes' }).waitFor();
    await page.keyboard.type('Every 3'); // typeahead
    await page.keyboard.press('Enter');
    await expect.poll(() => often.textContent()).toContain('Every 30 minutes');
    const runs = page.getByRole('list', { name: 'Next snapshots once turned on' }).getByRole('listitem');
    await expect.poll(() => runs.count()).toBe(3);
    for (const run of await runs.allTextContents()) expect(run).toMatch(/^\d{4}-\d\d-\d\d \d\d:(00|30)$/);
    await page.getByLabel('Also while the container is stopped').check();
    await page.getByRole('button', { name: 'Turn on schedule' }).click();
    await page.getByText(/^Incus takes a snapshot every 30 minutes, also while the container is stopped/).waitFor();
    const config = (await instance(name)).config;
    expect(config['snapshots.schedule']).toBe('*/30 * * * *');
    expect(config['snapshots.schedule.stopped']).toBe('true');
    expect(config['snapshots.pattern']).toBe(COI_SNAPSHOT_PATTERN);
    await page.getByRole('button', { name: 'Schedule: snapshots every 30 minutes' }).waitFor(); // in the page header

    // A custom cron that is wrong says why, and cannot be saved.
    await often.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('option', { name: 'Custom: cron or interval' }).click();
    const cron = page.getByLabel('Cron expression or interval');
    await cron.fill('0 25 * * *');
    await page.getByText(/is not a valid cron expression/).waitFor();
    expect(await page.getByRole('button', { name: 'Save schedule' }).isDisabled()).toBe(true);
    await cron.fill('*/30 * * * *');
    expect(await page.getByRole('button', { name: 'Save schedule' }).isDisabled()).toBe(true); // the same as stored

    // Retention: keep the last 2 and no buckets; the preview shows what goes before anything changes.
    for (const [label, value] of [['Keep the last', '2'], ['Hourly', '0'], ['Daily', '0'], ['Weekly', '0']] as const) await page.getByLabel(label, { exact: true }).fill(value);
    const legend = page.getByRole('list', { name: 'What the policy does', exact: true });
    await expect.poll(() => legend.textContent()).toMatch(/2 kept\s*0 expiring\s*4 going\s*1 left alone/);
    const preview = page.getByRole('list', { name: `Preview: what the policy does to each snapshot of ${name}` });
    expect(await preview.locator(`[data-snapshot="${autos[5]}"] .fate`).textContent()).toBe('kept · newest #1');
    expect(await preview.locator(`[data-snapshot="${autos[0]}"] .fate`).textContent()).toBe("goes at Incus's next pruning · in no kept bucket");
    expect(await preview.locator('[data-snapshot="before-refactor"] .fate').textContent()).toBe('left alone · named checkpoint');
    await shot(page, 'schedule-retention-preview');
    expect((await snapshotsOf(name)).every((snapshot) => NEVER.test(snapshot.expires_at))).toBe(true); // a preview changes nothing

    await page.getByRole('button', { name: 'Save and apply…' }).click();
    const dialog = page.getByRole('dialog', { name: `Apply retention to ${name}` });
    await dialog.getByText('4 snapshots will be deleted').waitFor();
    expect(await dialog.getByRole('list', { name: 'Snapshots that go' }).getByRole('listitem').allTextContents()).toEqual([autos[3], autos[2], autos[1], autos[0]]);
    await shot(page, 'retention-apply-confirm');
    await dialog.getByRole('button', { name: 'Apply and delete 4 snapshots' }).click();
    await dialog.getByText(/^Applied: 4 expiries written\. Now 2 kept, 0 expiring, 4 going, 1 left alone\.$/).waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    expect(JSON.parse((await instance(name)).config['user.coi-desktop.retention'] ?? 'null')).toEqual({ keepLast: 2, hourly: 0, daily: 0, weekly: 0, monthly: 0, includeNamed: false });
    const after = await snapshotsOf(name);
    const expiry = (snapshot: string) => after.find((candidate) => candidate.name === snapshot)?.expires_at;
    // Pruned already, or given an expiry no later than now; the newest two and the named one keep none.
    for (const gone of autos.slice(0, 4)) expect(expiry(gone) === undefined || Date.parse(expiry(gone)!) <= Date.now()).toBe(true);
    for (const kept of [...autos.slice(4), 'before-refactor']) expect(expiry(kept)).toMatch(NEVER);
    await page.getByText(/^Stored policy: last 2\./).waitFor();

    // The overview's row shows the schedule.
    await page.getByRole('navigation', { name: 'Hosts' }).getByRole('button', { name: 'Overview' }).click();
    const row = page.getByRole('row').filter({ has: page.getByRole('button', { name, exact: true }) });
    await row.getByText('30 min', { exact: true }).waitFor();
    expect(await row.locator('.badge.schedule').getAttribute('title')).toBe('Incus takes snapshots every 30 minutes');
    expect(page.violations).toEqual([]);
    await page.close();
  });

  it('keeps what the user is typing when the schedule or the policy changes elsewhere, says so, and saves the user\'s', async () => {
    const { name } = await withSnapshots();
    await world.core.handlers['schedule.set']({ host: 'local', container: name, every: '@daily', stopped: false, expiry: null });
    await world.core.handlers['retention.set']({ host: 'local', container: name, policy: { keepLast: 3, hourly: 0, daily: 7, weekly: 0, monthly: 0, includeNamed: false } });
    const page = await open(`/host/local/container/${name}/schedule`);
    await page.getByText(/^Incus takes a snapshot daily/).waitFor();
    await page.getByText(/^Stored policy: last 3, 7 daily\./).waitFor();

    // The user starts editing both forms…
    const often = page.getByRole('combobox', { name: /How often/ });
    await often.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('option', { name: 'Custom: cron or interval' }).click();
    const cron = page.getByLabel('Cron expression or interval');
    await cron.fill('0 */2 * * *');
    const keepLast = page.getByLabel('Keep the last', { exact: true });
    await keepLast.fill('5');

    // …when another window (or a terminal) changes what is stored: Incus's events bring it here.
    await world.core.handlers['schedule.set']({ host: 'local', container: name, every: '@weekly', stopped: false, expiry: null });
    await world.core.handlers['retention.set']({ host: 'local', container: name, policy: { keepLast: 4, hourly: 0, daily: 0, weekly: 2, monthly: 0, includeNamed: false } });
    await page.getByText('The schedule was changed elsewhere while you edited it; your changes are kept.', { exact: false }).waitFor();
    await page.getByText('The policy was changed elsewhere while you edited it; your numbers are kept.', { exact: false }).waitFor();
    await page.getByText(/^Incus takes a snapshot weekly on Sunday at 00:00/).waitFor();
    await page.getByText(/^Stored policy: last 4, 2 weekly\./).waitFor();
    expect(await cron.inputValue()).toBe('0 */2 * * *');
    expect(await keepLast.inputValue()).toBe('5');
    await shot(page, 'schedule-changed-elsewhere');
    await page.setViewportSize({ width: 800, height: 600 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.getByText('The policy was changed elsewhere', { exact: false }).scrollIntoViewIfNeeded();
    await shot(page, 'schedule-changed-elsewhere-800x600-dark');

    // Save writes the user's schedule over the other one; Discard puts the stored policy back in the form.
    await page.getByRole('button', { name: 'Save schedule' }).click();
    await page.getByText(/^Incus takes a snapshot every 2 hours/).waitFor();
    expect((await instance(name)).config['snapshots.schedule']).toBe('0 */2 * * *');
    expect(await page.getByText('The schedule was changed elsewhere', { exact: false }).count()).toBe(0);
    // From the keyboard: Shift+Tab back from the policy's first field reaches its Discard button.
    await keepLast.focus();
    await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { textContent: string } } }).document.activeElement.textContent)).toBe('Discard my changes');
    await page.keyboard.press('Enter');
    expect(await keepLast.inputValue()).toBe('4');
    expect(page.violations).toEqual([]);
    await page.close();
  });

  it('holds at 1280×800, 800×600 and 200% zoom, light and dark: nothing scrolls sideways, every control is inside the window', async () => {
    const { name } = await withSnapshots();
    await world.core.handlers['schedule.set']({ host: 'local', container: name, every: '@daily', stopped: false, expiry: '2w' });
    await world.core.handlers['retention.set']({ host: 'local', container: name, policy: { keepLast: 3, hourly: 24, daily: 7, weekly: 4, monthly: 0, includeNamed: false } });
    for (const { label, options } of WINDOW_SIZES) {
      for (const colorScheme of ['light', 'dark'] as const) {
        const page = await open(`/host/local/container/${name}/schedule`, { ...options, colorScheme });
        await page.getByText(/^Incus takes a snapshot daily/).waitFor();
        await page.getByText(/^Stored policy: last 3, 24 hourly, 7 daily, 4 weekly\./).waitFor();
        const sideways = await page.evaluate(() => {
          const root = (globalThis as unknown as { document: { scrollingElement: { scrollWidth: number; clientWidth: number } } }).document.scrollingElement;
          return root.scrollWidth - root.clientWidth;
        });
        expect(sideways, `${label} ${colorScheme}`).toBe(0);
        const viewport = page.viewportSize()!;
        for (const control of [page.getByRole('combobox', { name: /How often/ }), page.getByRole('button', { name: 'Save schedule' }), page.getByLabel('Monthly', { exact: true }), page.getByRole('button', { name: 'Apply again…' })]) {
          await control.scrollIntoViewIfNeeded();
          const box = (await control.boundingBox())!;
          expect(box.x >= 0 && box.x + box.width <= viewport.width + 0.5, `${label} ${colorScheme}: ${await control.textContent()} at ${JSON.stringify(box)}`).toBe(true);
        }
        await shot(page, `schedule-retention-${label}-${colorScheme}`);
        expect(page.violations).toEqual([]);
        await page.close();
      }
    }
  });
});
