import { fireEvent, render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Container, Snapshot } from '../../src/shared/model';
import { timestampedName } from '../../src/shared/names';
import RetentionPanel from '../../src/renderer/src/components/RetentionPanel.svelte';
import SchedulePanel from '../../src/renderer/src/components/SchedulePanel.svelte';
import { fateText, presetFor, previewRows, readDraft, toDraft } from '../../src/renderer/src/lib/automation';
import { scheduleBadge } from '../../src/renderer/src/lib/format';
import { COI_SNAPSHOT_PATTERN } from '../../src/shared/schedule';
import { planRetention } from '../../src/shared/retention-engine';
import { pageTitle, parseRoute, routeHash } from '../../src/renderer/src/lib/router.svelte';
import { Failure, installFakeCoi } from './fake-coi';

const HOUR = 3_600_000;
const container = (snapshots: Snapshot[] = [], extra: Partial<Container> = {}): Container => ({ name: 'coi-ab12cd34-1', status: 'Running', type: 'container', createdAt: '', coi: true, statefulCapable: false, snapshots, ...extra });
const snapshot = (name: string, createdAt: string): Snapshot => ({ name, createdAt, expiresAt: null, stateful: false, sizeBytes: null, description: '' });
/** One auto snapshot an hour for `hours` hours, newest first (each in its own hour), and a named checkpoint. */
function hourly(hours: number): Snapshot[] {
  const now = Date.now();
  const autos = Array.from({ length: hours }, (_, back) => snapshot(timestampedName('snap', new Date(now - back * HOUR)), new Date(now - back * HOUR).toISOString()));
  return [...autos, snapshot('before-refactor', new Date(now - 90 * 60_000).toISOString())];
}
const schedule = (cron: string) => ({ cron, summary: `cron ${cron}`, stopped: false, expiry: null, pattern: COI_SNAPSHOT_PATTERN, coiPattern: true, nextRuns: [] });
const emptyPlan = { container: 'coi-ab12cd34-1', policy: { keepLast: 1, hourly: 0, daily: 0, weekly: 0, monthly: 0, includeNamed: false }, now: new Date().toISOString(), entries: [], counts: { kept: 0, expiring: 0, going: 0, untouched: 0, changes: 0 } };

describe('the Schedule panel', () => {
  it('explains a bad cron expression or interval as it is typed, shows the next three runs of a good one, and saves what the user chose', async () => {
    const calls = installFakeCoi({ 'schedule.get': schedule('*/20 8-18 * * 1-5'), 'schedule.set': schedule('*/15 * * * *'), 'containers.list': [] });
    render(SchedulePanel, { host: 'local', container: container() });
    const field = (await screen.findByLabelText('Cron expression or interval')) as HTMLInputElement;
    expect(field.value).toBe('*/20 8-18 * * 1-5');
    const save = screen.getByRole('button', { name: 'Save schedule' });
    expect(save.hasAttribute('disabled')).toBe(true); // nothing changed yet

    await userEvent.clear(field);
    await userEvent.type(field, '61 * * * *');
    expect(screen.getByText(/^'61 \* \* \* \*' is not a valid cron expression/)).toBeTruthy();
    expect(field.getAttribute('aria-invalid')).toBe('true');
    expect(save.hasAttribute('disabled')).toBe(true);
    await userEvent.clear(field);
    await userEvent.type(field, '7m');
    expect(screen.getByText(/an interval of 7m has no cron form/)).toBeTruthy();
    await userEvent.clear(field);
    expect(screen.getByText(/type a cron expression/)).toBeTruthy();

    await userEvent.type(field, '*/15 * * * *');
    expect(field.getAttribute('aria-invalid')).toBe('false');
    const runs = within(screen.getByRole('list', { name: 'Next snapshots once saved' })).getAllByRole('listitem');
    expect(runs.map((run) => run.textContent)).toHaveLength(3);
    for (const run of runs) expect(run.textContent).toMatch(/^\d{4}-\d\d-\d\d \d\d:(00|15|30|45)$/);
    await userEvent.click(screen.getByLabelText('Also while the container is stopped'));
    await fireEvent.click(save);
    expect(calls.find((entry) => entry.name === 'schedule.set')?.input).toEqual({ host: 'local', container: 'coi-ab12cd34-1', every: '*/15 * * * *', stopped: true, expiry: null });
  });

  it('offers to turn on a schedule where there is none, hourly by default', async () => {
    installFakeCoi({ 'schedule.get': null, 'containers.list': [] });
    render(SchedulePanel, { host: 'local', container: container() });
    await screen.findByText('No schedule: snapshots are taken only by hand.');
    expect(screen.getByRole('combobox', { name: /How often/ }).textContent).toContain('Every hour');
    expect(screen.getByRole('button', { name: 'Turn on schedule' }).hasAttribute('disabled')).toBe(false);
    expect(within(screen.getByRole('list', { name: 'Next snapshots once turned on' })).getAllByRole('listitem').map((run) => run.textContent?.slice(-2))).toEqual(['00', '00', '00']);
  });
});

describe('the Retention panel', () => {
  it('says what is wrong with each number and previews nothing until it is fixed', async () => {
    installFakeCoi({ 'retention.get': null, 'retention.preview': emptyPlan, 'containers.list': [] });
    render(RetentionPanel, { host: 'local', container: container(hourly(3)) });
    await screen.findByText(/^No policy/);
    const keepLast = screen.getByLabelText('Keep the last') as HTMLInputElement;
    await userEvent.clear(keepLast);
    await userEvent.type(keepLast, '0');
    expect(screen.getByRole('alert').textContent).toBe('Keep the last: at least 1 (the newest snapshot is always kept)');
    expect(keepLast.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByRole('button', { name: 'Save and apply…' }).hasAttribute('disabled')).toBe(true);
    expect(screen.getByText('Correct the numbers above to see what the policy does.')).toBeTruthy();
    await userEvent.clear(keepLast);
    expect(screen.getByRole('alert').textContent).toBe('Keep the last: a whole number, such as 10');
    await userEvent.type(keepLast, '2');
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('previews the policy as a timeline while it is edited: kept, expiring with the bucket that keeps it, going, left alone', async () => {
    installFakeCoi({ 'retention.get': null, 'retention.preview': emptyPlan, 'containers.list': [] });
    const snapshots = hourly(8);
    render(RetentionPanel, { host: 'local', container: container(snapshots) });
    await screen.findByText(/^No policy/);
    const set = async (label: string, value: string) => {
      const input = screen.getByLabelText(label);
      await userEvent.clear(input);
      await userEvent.type(input, value);
    };
    await set('Keep the last', '3');
    for (const rule of ['Hourly', 'Daily', 'Weekly']) await set(rule, '0');
    const legend = () => screen.getByRole('list', { name: 'What the policy does' }).textContent;
    expect(legend()).toBe('3 kept 0 expiring 5 going 1 left alone');

    await set('Hourly', '5');
    expect(legend()).toBe('3 kept 2 expiring 3 going 1 left alone');
    const fate = (name: string) => document.querySelector(`[data-snapshot="${name}"] .fate`)?.textContent;
    expect(fate(snapshots[0]!.name)).toMatch(/^kept · newest #1, the hour \d{4}-\d\d-\d\d \d\d:00$/);
    expect(fate(snapshots[4]!.name)).toMatch(/^kept until \d{4}-\d\d-\d\d \d\d:\d\d · the hour \d{4}-\d\d-\d\d \d\d:00$/);
    expect(fate(snapshots[5]!.name)).toBe("goes at Incus's next pruning · in no kept bucket");
    expect(fate('before-refactor')).toBe('left alone · named checkpoint');
    expect(document.querySelector(`[data-snapshot="${snapshots[5]!.name}"]`)?.classList.contains('status-going')).toBe(true);

    await userEvent.click(screen.getByLabelText('Also thin out named checkpoints and safety snapshots'));
    // The named checkpoint now counts (one of the newest three, or its hour's oldest): nothing is left alone.
    const counts = /^(\d+) kept (\d+) expiring (\d+) going\s*$/.exec(legend() ?? '');
    expect(counts?.slice(1).map(Number).reduce((sum, value) => sum + value, 0)).toBe(9);
  });

  it('says what to do about a stored policy that is not one, or a host that does not answer', async () => {
    const stored = "the retention policy stored in user.coi-desktop.retention is not JSON ('keep 3'): set it again with 'coi-desktop retention set' or remove it with 'retention off'";
    installFakeCoi({ 'retention.get': new Failure({ code: 'invalid-input', message: stored }), 'retention.preview': emptyPlan, 'containers.list': [] });
    const bad = render(RetentionPanel, { host: 'local', container: container(hourly(2)) });
    expect((await screen.findByRole('alert')).textContent).toBe(`The stored policy cannot be used: ${stored}. Save a new policy below, or turn it off.`);
    expect(screen.getByRole('button', { name: 'Turn off' }).hasAttribute('disabled')).toBe(false);
    expect(screen.getByRole('button', { name: 'Save and apply…' }).hasAttribute('disabled')).toBe(false);
    bad.unmount();

    installFakeCoi({ 'retention.get': new Failure({ code: 'host-unreachable', message: 'lab: connection refused' }), 'retention.preview': emptyPlan, 'containers.list': [] });
    render(RetentionPanel, { host: 'lab', container: container(hourly(2)) });
    expect((await screen.findByRole('alert')).textContent).toBe('Could not read the retention policy of coi-ab12cd34-1: lab: connection refused. Check that lab is reachable, then open this tab again.');
    expect(screen.queryByRole('button', { name: 'Turn off' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Save and apply…' }).hasAttribute('disabled')).toBe(true);
  });

  it('asks before applying, naming how many snapshots go, then stores and applies the policy and shows the counts', async () => {
    const snapshots = hourly(4);
    const policy = { keepLast: 1, hourly: 0, daily: 0, weekly: 0, monthly: 0, includeNamed: false };
    const plan = planRetention('coi-ab12cd34-1', policy, snapshots, Date.now());
    const calls = installFakeCoi({ 'retention.get': null, 'retention.preview': plan, 'retention.set': policy, 'retention.apply': { plan, applied: 3, failed: [] }, 'containers.list': [] });
    render(RetentionPanel, { host: 'local', container: container(snapshots) });
    await screen.findByText(/^No policy/);
    for (const [label, value] of [['Keep the last', '1'], ['Hourly', '0'], ['Daily', '0'], ['Weekly', '0']] as const) {
      await userEvent.clear(screen.getByLabelText(label));
      await userEvent.type(screen.getByLabelText(label), value);
    }
    await fireEvent.click(screen.getByRole('button', { name: 'Save and apply…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Apply retention to coi-ab12cd34-1' });
    await within(dialog).findByText('3 snapshots will be deleted');
    expect(within(dialog).getAllByRole('listitem').map((item) => item.textContent)).toEqual(snapshots.slice(1, 4).map((entry) => entry.name));
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Apply and delete 3 snapshots' }));
    await within(dialog).findByText(/^Applied: 3 expiries written\. Now 1 kept, 0 expiring, 3 going, 1 left alone\.$/);
    const names = calls.map((entry) => entry.name).filter((name) => name.startsWith('retention.'));
    expect(names.slice(-2)).toEqual(['retention.set', 'retention.apply']);
    expect(calls.find((entry) => entry.name === 'retention.set')?.input).toEqual({ host: 'local', container: 'coi-ab12cd34-1', policy });
  });
});

describe('applying a policy that partly fails', () => {
  it('says which writes failed and that applying again retries them, with the policy already stored', async () => {
    const snapshots = hourly(3);
    const policy = { keepLast: 1, hourly: 0, daily: 0, weekly: 0, monthly: 0, includeNamed: false };
    const plan = planRetention('coi-ab12cd34-1', policy, snapshots, Date.now());
    installFakeCoi({ 'retention.get': policy, 'retention.preview': plan, 'retention.set': policy, 'retention.apply': { plan, applied: 1, failed: [{ name: snapshots[2]!.name, error: 'Instance is busy running a "snapshot" operation' }] }, 'containers.list': [] });
    render(RetentionPanel, { host: 'local', container: container(snapshots) });
    await fireEvent.click(await screen.findByRole('button', { name: 'Apply again…' }));
    const dialog = await screen.findByRole('dialog');
    await fireEvent.click(await within(dialog).findByRole('button', { name: 'Apply and delete 2 snapshots' }));
    expect((await within(dialog).findByText(/^The policy is stored, but applying it failed/)).textContent).toBe(
      `The policy is stored, but applying it failed: 1 of 2 kept their old expiry: ${snapshots[2]!.name}: Instance is busy running a "snapshot" operation. No snapshot goes earlier than the policy says. Apply again to retry; it writes only what still differs.`,
    );
    expect(within(dialog).getByRole('button', { name: 'Apply again' }).hasAttribute('disabled')).toBe(false);
  });
});

describe('the words of schedules and retention', () => {
  it('gives the Schedule and retention tab an address and a window title of its own', () => {
    const route = { page: 'container', host: 'lab', container: 'coi-1', tab: 'schedule' } as const;
    expect(routeHash(route)).toBe('#/host/lab/container/coi-1/schedule');
    expect(parseRoute(routeHash(route))).toEqual(route);
    expect(pageTitle(route)).toBe('Schedule and retention · coi-1 · lab · COI Desktop');
  });

  it('matches a stored cron to its preset, and shortens a schedule for list rows', () => {
    expect(presetFor('0 * * * *').value).toBe('hourly');
    expect(presetFor('*/30 * * * *').value).toBe('30m');
    expect(presetFor('0 0 * * 0').value).toBe('weekly');
    expect(presetFor('5 4 * * *').value).toBe('custom');
    expect(scheduleBadge(container([], { schedule: 'every 30 minutes' } as Partial<Container>))).toEqual({ short: '30 min', full: 'snapshots every 30 minutes' });
    expect(scheduleBadge(container([], { schedule: 'hourly' } as Partial<Container>))?.short).toBe('hourly');
    expect(scheduleBadge(container([], { schedule: 'weekly on Sunday at 00:00' } as Partial<Container>))).toEqual({ short: 'weekly', full: 'snapshots weekly on Sunday at 00:00' });
    expect(scheduleBadge(container())).toBeNull();
  });

  it('reads the policy form with the contract schema and names the bucket that keeps a snapshot', () => {
    expect(readDraft({ ...toDraft({ keepLast: 5, hourly: 0, daily: 7, weekly: 0, monthly: 0, includeNamed: false }), daily: '1.5' }).problems).toEqual({ daily: 'Daily: a whole number, such as 7' });
    expect(readDraft({ ...toDraft({ keepLast: 5, hourly: 0, daily: 7, weekly: 0, monthly: 0, includeNamed: false }), monthly: '5000' }).problems).toEqual({ monthly: 'Monthly: at most 1200' });
    const now = Date.UTC(2026, 10, 27, 12, 30);
    const snapshots = [snapshot('snap-20261125-123000', new Date(now - 2 * 86_400_000).toISOString()), snapshot('snap-20261127-120000', new Date(now - 30 * 60_000).toISOString())];
    const plan = planRetention('c', { keepLast: 1, hourly: 0, daily: 7, weekly: 0, monthly: 0, includeNamed: false }, snapshots, now);
    expect(plan.entries.map(fateText)).toEqual([
      `kept · newest #1, the day 2026-11-27`,
      expect.stringMatching(/^kept until 2026-12-0[12] \d\d:\d\d · the day 2026-11-25$/),
    ]);
    const rows = previewRows(plan.entries, new Date(now));
    expect(rows.filter((row) => row.kind === 'day')).toHaveLength(2);
  });
});
