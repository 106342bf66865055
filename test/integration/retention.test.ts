import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoiEvent } from '../../src/shared/contract';
import type { CoiCore } from '../../src/main/app/core';
import { subscribeEvents, type IncusEvent } from '../../src/main/incus/events';
import { cli } from '../helpers/cli';
import { tempHome } from '../helpers/hosts';
import { Fixtures, localClient, requireDaemon, testName } from '../helpers/incus';
import { keygenFingerprint, requireSshd, sshdWithKey, type KeyPair, type TestSshd } from '../helpers/sshd';
import { openCore } from '../helpers/transports';

/**
 * Schedules and retention against the real daemon, in a project of this file's own: no other test's
 * running core hears these containers' snapshots (and re-applies their policy behind the test's back).
 * Two tests wait for Incus's own once-a-minute passes (the snapshot scheduler, the pruning of expired
 * snapshots); they run concurrently so the file waits about one minute, not several.
 */

let fixtures: Fixtures;
let configDir: string;
let sshd: TestSshd;
let key: KeyPair;
const events: IncusEvent[] = [];
const waiters = new Set<() => void>();
let stream: { close(): Promise<void> } | undefined;

beforeAll(async () => {
  requireDaemon();
  requireSshd();
  fixtures = await Fixtures.inProject('ret');
  // The CLI's `local` host is this project (as `openCore(project)` registers it).
  const { core, home } = await openCore(fixtures.project);
  await core.close();
  configDir = home.configDir;
  ({ sshd, key } = await sshdWithKey('retention'));
  stream = await subscribeEvents(localClient(fixtures.project), ['lifecycle'], {
    onEvent: (event) => {
      events.push(event);
      for (const wake of waiters) wake();
    },
  });
});
afterAll(async () => {
  await stream?.close();
  await sshd?.stop();
  await fixtures?.cleanup();
});

const env = () => ({ COI_DESKTOP_CONFIG_DIR: configDir, SSH_AUTH_SOCK: '' });
const run = (args: string[]) => cli(args, { env: env() });

/** The lifecycle events of `container`'s snapshots with `action` heard so far: their snapshot names. */
function heard(container: string, action: string): string[] {
  const prefix = `/1.0/instances/${container}/snapshots/`;
  const paths = events.filter((event) => event.metadata.action === action).map((event) => String(event.metadata.source).split('?')[0]!);
  return paths.filter((path) => path.startsWith(prefix)).map((path) => decodeURIComponent(path.slice(prefix.length)));
}

/** Resolves once `heard(container, action)` has `count` names (Incus's events: no polling, no sleep). */
function hear(container: string, action: string, count: number, timeoutMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const names = heard(container, action);
      if (names.length < count) return;
      done();
      resolve(names);
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`heard ${heard(container, action).length} of ${count} ${action} events for ${container} within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      waiters.delete(check);
    };
    waiters.add(check);
    check();
  });
}

async function snapshots(container: string): Promise<{ name: string; expires: string }[]> {
  const out = await fixtures.incus('snapshot', 'list', container, '--format', 'csv', '-c', 'nE');
  return out.split('\n').filter(Boolean).map((line) => {
    const [name = '', expires = ''] = line.split(',');
    return { name, expires: expires.replace(/"/g, '').trim() };
  });
}

/** A stopped container with `count` auto-named snapshots (oldest first) and one named checkpoint. */
async function withSnapshots(label: string, count: number): Promise<{ name: string; auto: string[] }> {
  const name = await fixtures.launch(testName(label), { stopped: true });
  const auto = Array.from({ length: count }, (_, index) => `snap-20261127-0400${String(index).padStart(2, '0')}`);
  for (const snapshot of auto.slice(0, Math.ceil(count / 2))) await fixtures.incus('snapshot', 'create', name, snapshot);
  await fixtures.incus('snapshot', 'create', name, 'before-refactor');
  for (const snapshot of auto.slice(Math.ceil(count / 2))) await fixtures.incus('snapshot', 'create', name, snapshot);
  return { name, auto };
}

describe("waiting for Incus's once-a-minute passes (concurrently)", () => {
  it.concurrent("makes Incus take a snapshot named snap-YYYYMMDD-HHMMSS within two minutes (waits for Incus's scheduler)", async () => {
    const name = await fixtures.launch(testName('sched'), { stopped: true });
    const set = await run(['snapshot', 'schedule', 'set', '-c', name, '--every', '* * * * *', '--stopped', '--expiry', '1h']);
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/every minute \(\* \* \* \* \*\), stopped or not\n {2}each snapshot expires after: 1h\n {2}names: snap-YYYYMMDD-HHMMSS/);
    const [taken] = await hear(name, 'instance-snapshot-created', 1, 130_000);
    expect(taken).toMatch(/^snap-\d{8}-\d{6}$/);
    const [made] = await snapshots(name);
    expect(made?.name).toBe(taken);
    expect(made?.expires).not.toBe('');
    expect((await run(['snapshot', 'schedule', 'off', '-c', name])).code).toBe(0);
    expect((await run(['snapshot', 'schedule', 'show', '-c', name])).stdout).toMatch(/no automatic snapshots/);
  }, 150_000);

  it.concurrent("apply on 15 auto snapshots with --keep-last 3 leaves 3 and the named one after Incus's pruning", async () => {
    const { name, auto } = await withSnapshots('keep3', 15);
    expect((await run(['retention', 'set', '-c', name, '--keep-last', '3'])).code).toBe(0);

    const unconfirmed = await run(['retention', 'apply', '-c', name]);
    expect(unconfirmed).toMatchObject({ code: 1, stderr: expect.stringMatching(/refusing to apply the retention policy without confirmation/) });
    expect((await snapshots(name)).every((snapshot) => snapshot.expires === '')).toBe(true);

    const applied = await run(['retention', 'apply', '-c', name, '-f']);
    expect(applied.code).toBe(0);
    expect(applied.stderr).toMatch(new RegExp(`${name}: 12/12 `));
    expect(applied.stderr).toContain(`${name}: 12 expiries written; 12 going (Incus deletes them within a minute), 0 expiring, 3 kept, 1 left alone`);
    const deleted = await hear(name, 'instance-snapshot-deleted', 12, 130_000);
    expect(deleted.sort()).toEqual(auto.slice(0, 12).sort());
    expect((await snapshots(name)).map((snapshot) => snapshot.name).sort()).toEqual(['before-refactor', ...auto.slice(12)].sort());

    const again = await run(['retention', 'apply', '-c', name, '-f']);
    expect(again.stderr).toContain('0 expiries written; 0 going');
  }, 150_000);

  it.concurrent('works the same over SSH: schedule, policy and apply on a host reached through the real sshd', async () => {
    const home = tempHome();
    const sshEnv = { HOME: home.home, COI_DESKTOP_CONFIG_DIR: home.configDir, SSH_AUTH_SOCK: '' };
    const fingerprint = await keygenFingerprint(`${sshd.hostKey}.pub`);
    const project = ['--project', fixtures.project!];
    expect((await cli(['host', 'add', 'box', '--ssh', `root@${sshd.host}:${sshd.port}`, '-i', key.file, ...project, '--trust-fingerprint', fingerprint], { env: sshEnv })).code).toBe(0);
    const { name, auto } = await withSnapshots('ssh', 5);
    const over = (args: string[]) => cli([...args, '-c', name, '--host', 'box'], { env: sshEnv });

    expect((await over(['snapshot', 'schedule', 'set', '--every', '@daily'])).stdout).toMatch(/daily at 00:00 \(0 0 \* \* \*\)/);
    expect(await fixtures.incus('config', 'get', name, 'snapshots.schedule')).toBe('0 0 * * *\n');
    expect((await over(['retention', 'set', '--keep-last', '2'])).code).toBe(0);
    const before = await snapshots(name);
    expect((await over(['retention', 'apply', '--dry-run'])).stdout).toContain('2 kept, 0 expiring, 3 going, 1 left alone');
    expect(await snapshots(name)).toEqual(before);
    expect((await over(['retention', 'apply', '-f'])).code).toBe(0);
    const deleted = await hear(name, 'instance-snapshot-deleted', 3, 130_000);
    expect(deleted.sort()).toEqual(auto.slice(0, 3).sort());
    expect((await snapshots(name)).map((snapshot) => snapshot.name).sort()).toEqual(['before-refactor', ...auto.slice(3)].sort());
  }, 150_000);
});

describe('snapshot schedule', () => {
  it('shows the next three runs, and refuses a schedule Incus could not run with the reason', async () => {
    const name = await fixtures.launch(testName('schedshow'), { stopped: true });
    expect((await run(['snapshot', 'schedule', 'set', '-c', name, '--every', '2h'])).code).toBe(0);
    const shown = await run(['snapshot', 'schedule', 'show', '-c', name, '--format', 'json']);
    const { schedule } = JSON.parse(shown.stdout) as { schedule: { cron: string; nextRuns: string[]; stopped: boolean; coiPattern: boolean } };
    expect(schedule).toMatchObject({ cron: '0 */2 * * *', stopped: false, coiPattern: true });
    expect(schedule.nextRuns.map((at) => new Date(at).getUTCHours() % 2)).toEqual([0, 0, 0]);
    expect(await fixtures.incus('config', 'get', name, 'snapshots.pattern')).toBe("snap-{{ creation_date|date:'20060102-150405' }}\n");

    for (const [every, message] of [
      ['45m', /45m has no cron form: pick one that divides an hour evenly/],
      ['61 * * * *', /not a valid cron expression/],
      ['every day', /not a schedule: use a cron expression with five fields/],
    ] as const) {
      const refused = await run(['snapshot', 'schedule', 'set', '-c', name, '--every', every]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(message);
    }
    expect((await run(['snapshot', 'schedule', 'set', '-c', name, '--every', '1h', '--expiry', '30x'])).stderr).toMatch(/'30x' is not a duration/);
    expect(await fixtures.incus('config', 'get', name, 'snapshots.schedule')).toBe('0 */2 * * *\n');
  });
});

describe('retention', () => {
  it('--dry-run lists what would go and changes nothing', async () => {
    const { name, auto } = await withSnapshots('dry', 6);
    expect((await run(['retention', 'set', '-c', name, '--keep-last', '2', '--hourly', '1'])).code).toBe(0);
    const before = await snapshots(name);
    const dry = await run(['retention', 'apply', '-c', name, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`${name}: last 2, 1 hourly — 2 kept, 1 expiring, 3 going, 1 left alone`);
    expect(dry.stdout).toMatch(new RegExp(`${auto[0]}\\s+\\S+ \\S+\\s+expiring .* hourly \\d{4}-\\d\\d-\\d\\d \\d\\d:00`));
    expect(dry.stdout).toMatch(/before-refactor\s+\S+ \S+\s+untouched\s+-\s+left alone: named checkpoint/);
    const json = JSON.parse((await run(['retention', 'apply', '-c', name, '--dry-run', '--format', 'json'])).stdout) as { counts: { going: number } }[];
    expect(json[0]?.counts.going).toBe(3);
    expect(await snapshots(name)).toEqual(before);
  });

  it('refuses a hand-edited policy with a clear error and deletes nothing', async () => {
    const { name } = await withSnapshots('bad', 3);
    await fixtures.incus('config', 'set', name, 'user.coi-desktop.retention', '{"keepLast": 0}');
    const before = await snapshots(name);
    for (const args of [['retention', 'show', '-c', name], ['retention', 'apply', '-c', name, '-f']]) {
      const refused = await run(args);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/the retention policy stored in user\.coi-desktop\.retention is not valid \(keepLast: .*\): set it again with 'coi-desktop retention set' or remove it with 'retention off'/);
    }
    const all = await run(['retention', 'apply', '--all', '-f']);
    expect(all.code).toBe(1);
    expect(all.stderr).toContain(`the policy of ${name} could not be read`);
    expect(await snapshots(name)).toEqual(before);
    expect((await run(['retention', 'off', '-c', name])).code).toBe(0);
    expect((await run(['retention', 'show', '-c', name])).stdout).toMatch(/no retention policy/);
  });

});

describe('restore', () => {
  it('keeps the schedule and the retention policy set since the snapshot, and drops none it did not have', async () => {
    const { name } = await withSnapshots('restore', 1);
    expect((await run(['snapshot', 'schedule', 'set', '-c', name, '--every', '1h'])).code).toBe(0);
    expect((await run(['retention', 'set', '-c', name, '--keep-last', '5'])).code).toBe(0);
    const restored = await run(['snapshot', 'restore', 'before-refactor', '-c', name, '-f', '--no-safety-snapshot']);
    expect(restored.code).toBe(0);
    expect((await run(['snapshot', 'schedule', 'show', '-c', name])).stdout).toMatch(/hourly \(0 \* \* \* \*\)/);
    expect((await run(['retention', 'show', '-c', name])).stdout).toBe(`${name}: last 5\n`);

    // A snapshot taken with a schedule, restored after the schedule was turned off: it stays off.
    await fixtures.incus('snapshot', 'create', name, 'scheduled');
    expect((await run(['snapshot', 'schedule', 'off', '-c', name])).code).toBe(0);
    expect((await run(['snapshot', 'restore', 'scheduled', '-c', name, '-f', '--no-safety-snapshot'])).code).toBe(0);
    expect((await run(['snapshot', 'schedule', 'show', '-c', name])).stdout).toMatch(/no automatic snapshots/);
  });
});

describe('the running app', () => {
  let core: CoiCore;
  beforeAll(async () => {
    ({ core } = await openCore(fixtures.project));
    await core.pool.test('local');
    await core.liveEventsOpen('local');
  });
  afterAll(async () => core?.close());

  it('re-applies the policy after each new snapshot, and says so', async () => {
    const { name } = await withSnapshots('keeper', 2);
    await fixtures.incus('config', 'set', name, 'user.coi-desktop.retention', '{"keepLast":1}');
    const applied = new Promise<CoiEvent>((resolve) => {
      core.events.on('event', (event) => {
        if (event.type === 'retention-applied' && event.container === name) resolve(event);
      });
    });
    await fixtures.incus('snapshot', 'create', name, 'snap-20261127-050000');
    expect(await applied).toEqual({ type: 'retention-applied', host: 'local', container: name, applied: 2, going: 2 });
    // The two older ones are going (Incus may already have pruned them): only the newest and the named one keep no expiry.
    const kept = (await snapshots(name)).filter((snapshot) => snapshot.expires === '').map((snapshot) => snapshot.name);
    expect(kept.sort()).toEqual(['before-refactor', 'snap-20261127-050000']);
  });
});
