import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucketOf, planRetention, type RetentionInput } from '../../src/shared/retention-engine';
import { parseStoredPolicy, RETENTION_RULES, snapshotKind, type RetentionPlan, type RetentionPolicy } from '../../src/shared/retention';

const HOUR = 3_600_000;
const pad = (value: number) => String(value).padStart(2, '0');

/** COI's auto name for a time (UTC here, so the test does not depend on the machine's zone). */
function autoName(at: number): string {
  const d = new Date(at);
  return `snap-${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}-${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
}

const snapshotAt = (at: number, expiresAt: string | null = null): RetentionInput => ({ name: autoName(at), createdAt: new Date(at).toISOString(), expiresAt });

/** Hourly snapshots over `hours` hours before `end`, each a few minutes past the hour, some hours skipped. */
function hourlyHistory(end: number, hours: number, skip: (index: number) => boolean, jitterMinutes: number): RetentionInput[] {
  const out: RetentionInput[] = [];
  for (let index = 0; index < hours; index += 1) {
    if (skip(index)) continue;
    out.push(snapshotAt(end - (index + 1) * HOUR + ((index * 7) % (jitterMinutes + 1)) * 60_000));
  }
  return out;
}

const policyArb: fc.Arbitrary<RetentionPolicy> = fc.record({
  keepLast: fc.integer({ min: 1, max: 30 }),
  hourly: fc.integer({ min: 0, max: 72 }),
  daily: fc.integer({ min: 0, max: 60 }),
  weekly: fc.integer({ min: 0, max: 20 }),
  monthly: fc.integer({ min: 0, max: 24 }),
  includeNamed: fc.boolean(),
});

/** A start time anywhere in 2024–2027, so years, leap days and ISO week 53 all come up. */
const endArb = fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2027, 11, 31) });

const historyArb = fc.record({
  end: endArb,
  years: fc.integer({ min: 1, max: 2 }),
  gapEvery: fc.integer({ min: 0, max: 40 }),
  jitter: fc.integer({ min: 0, max: 50 }),
  policy: policyArb,
}).map(({ end, years, gapEvery, jitter, policy }) => {
  const snapshots = hourlyHistory(end, years * 365 * 24, (index) => gapEvery > 0 && index % gapEvery === gapEvery - 1, jitter);
  // `now` somewhat after the newest snapshot, as when an apply runs later.
  return { now: end + (gapEvery * 13 % 300) * 60_000, snapshots, policy };
});

/** Each snapshot's expiry after applying `plan`. */
function expiries(plan: RetentionPlan): Map<string, string | null> {
  return new Map(plan.entries.map((entry) => [entry.name, entry.expiresAt]));
}

describe('the retention engine over synthetic years of hourly snapshots', () => {
  it('always keeps the newest N without an expiry', () => {
    fc.assert(
      fc.property(historyArb, ({ now, snapshots, policy }) => {
        const plan = planRetention('c', policy, snapshots, now);
        const newest = plan.entries.slice(0, policy.keepLast);
        expect(newest.every((entry) => entry.status === 'kept' && entry.expiresAt === null)).toBe(true);
        expect(plan.counts.kept).toBe(Math.min(policy.keepLast, snapshots.length));
      }),
      { numRuns: 6 },
    );
  });

  it('keeps exactly one representative per kept bucket, the oldest of it, and nothing for a bucket no longer kept', () => {
    fc.assert(
      fc.property(historyArb, ({ now, snapshots, policy }) => {
        const plan = planRetention('c', policy, snapshots, now);
        for (const rule of RETENTION_RULES) {
          // Which snapshots the plan names as each bucket's representative.
          const named = new Map<string, string[]>();
          for (const entry of plan.entries) {
            for (const reason of entry.keptBy) if (reason.rule === rule) named.set(reason.bucket, [...(named.get(reason.bucket) ?? []), entry.createdAt]);
          }
          if (policy[rule] === 0) {
            expect(named.size).toBe(0);
            continue;
          }
          const oldest = new Map<number, number>();
          for (const snapshot of snapshots) {
            const at = Date.parse(snapshot.createdAt);
            const start = bucketOf(rule, at).start;
            oldest.set(start, Math.min(oldest.get(start) ?? Infinity, at));
          }
          let keptBuckets = 0;
          for (const [start, first] of oldest) {
            const bucket = bucketOf(rule, start);
            if (bucket.until(policy[rule]) <= now) {
              expect(named.has(bucket.label)).toBe(false);
              continue;
            }
            keptBuckets += 1;
            expect(named.get(bucket.label)?.map((createdAt) => Date.parse(createdAt))).toEqual([first]);
          }
          expect(named.size).toBe(keptBuckets);
        }
      }),
      { numRuns: 6 },
    );
  });

  it('never gives an expiry earlier than its bucket allows, and never a past one to a snapshot it keeps', () => {
    fc.assert(
      fc.property(historyArb, ({ now, snapshots, policy }) => {
        const plan = planRetention('c', policy, snapshots, now);
        for (const entry of plan.entries) {
          for (const reason of entry.keptBy) {
            if (entry.expiresAt !== null && reason.until !== null) expect(Date.parse(entry.expiresAt)).toBeGreaterThanOrEqual(Date.parse(reason.until));
          }
          if (entry.status === 'going') {
            expect(entry.keptBy).toEqual([]);
            expect(Date.parse(entry.expiresAt!)).toBe(now);
          } else if (entry.expiresAt !== null) {
            expect(Date.parse(entry.expiresAt)).toBeGreaterThan(now);
          }
        }
      }),
      { numRuns: 6 },
    );
  });

  it('is idempotent: applying the plan and planning again changes nothing', () => {
    fc.assert(
      fc.property(historyArb, ({ now, snapshots, policy }) => {
        const first = planRetention('c', policy, snapshots, now);
        const after = expiries(first);
        const applied = snapshots.map((snapshot) => ({ ...snapshot, expiresAt: after.get(snapshot.name)! }));
        const second = planRetention('c', policy, applied, now);
        expect(second.entries.map((entry) => entry.expiresAt)).toEqual(first.entries.map((entry) => entry.expiresAt));
        expect(second.counts.changes).toBe(0);
      }),
      { numRuns: 6 },
    );
  });

  it('lets Incus delete nothing the policy still keeps, hour after hour for two months, whether or not an app applies it', () => {
    fc.assert(
      fc.property(endArb, policyArb, fc.integer({ min: 1, max: 48 }), fc.integer({ min: 0, max: 5 }), (start, policy, applyEvery, skipEvery) => {
        let alive: RetentionInput[] = [];
        const everTaken: RetentionInput[] = [];
        for (let hour = 0; hour < 60 * 24; hour += 1) {
          const now = start + hour * HOUR;
          // Incus's pruning pass: every snapshot whose expiry has come is deleted.
          alive = alive.filter((snapshot) => snapshot.expiresAt === null || Date.parse(snapshot.expiresAt) > now);
          if (hour % 7 === 0) {
            // What the policy keeps at this moment, over every snapshot ever taken: all of it must still be there.
            const names = new Set(alive.map((snapshot) => snapshot.name));
            const lost = planRetention('c', policy, everTaken, now).entries.filter((entry) => entry.status !== 'going' && !names.has(entry.name));
            expect(lost.map((entry) => entry.name)).toEqual([]);
          }
          if (skipEvery > 0 && hour % (skipEvery + 7) === skipEvery) continue; // the schedule missed this hour
          const taken = snapshotAt(now + 60_000);
          alive.push(taken);
          everTaken.push(taken);
          // The app re-applies only now and then (it is closed the rest of the time).
          if (hour % applyEvery === 0) {
            const after = expiries(planRetention('c', policy, alive, now + 90_000));
            alive = alive.map((snapshot) => ({ ...snapshot, expiresAt: after.get(snapshot.name)! }));
          }
        }
        // And it does thin out: never more than the policy's buckets plus the snapshots since the last apply.
        const bound = policy.keepLast + policy.hourly + policy.daily + policy.weekly + policy.monthly + applyEvery + 1;
        expect(alive.length).toBeLessThanOrEqual(bound);
      }),
      { numRuns: 3 },
    );
  });
});

describe('what the policy covers', () => {
  const now = Date.UTC(2026, 10, 27, 12);
  const policy: RetentionPolicy = { keepLast: 1, hourly: 0, daily: 0, weekly: 0, monthly: 0, includeNamed: false };
  const snapshots: RetentionInput[] = [
    snapshotAt(now - 1 * HOUR),
    snapshotAt(now - 2 * HOUR),
    { name: 'before-refactor', createdAt: new Date(now - 3 * HOUR).toISOString(), expiresAt: null },
    { name: 'pre-restore-20261127-080000', createdAt: new Date(now - 4 * HOUR).toISOString(), expiresAt: null },
    { ...snapshotAt(now - 5 * HOUR), pinned: true },
    { name: 'snap3', createdAt: new Date(now - 6 * HOUR).toISOString(), expiresAt: null },
  ];

  it('leaves named checkpoints, safety snapshots and pinned ones alone by default, saying why', () => {
    const plan = planRetention('c', policy, snapshots, now);
    expect(plan.entries.map((entry) => [entry.name, entry.status, entry.reason])).toEqual([
      ['snap-20261127-110000', 'kept', undefined],
      ['snap-20261127-100000', 'going', undefined],
      ['before-refactor', 'untouched', 'named checkpoint'],
      ['pre-restore-20261127-080000', 'untouched', 'safety snapshot (pre-restore)'],
      ['snap-20261127-070000', 'untouched', 'pinned'],
      ['snap3', 'going', undefined],
    ]);
    expect(plan.counts).toEqual({ kept: 1, expiring: 0, going: 2, untouched: 3, changes: 2 });
  });

  it('covers named and safety snapshots with includeNamed, never pinned ones', () => {
    const plan = planRetention('c', { ...policy, includeNamed: true }, snapshots, now);
    expect(plan.entries.filter((entry) => entry.status === 'untouched').map((entry) => entry.name)).toEqual(['snap-20261127-070000']);
    expect(plan.counts.going).toBe(4);
  });

  it('names the bucket that keeps each kept snapshot and when it stops', () => {
    const plan = planRetention('c', { ...policy, daily: 2, weekly: 1, monthly: 1 }, [snapshotAt(Date.UTC(2026, 10, 26, 9)), snapshotAt(Date.UTC(2026, 10, 26, 10)), snapshotAt(Date.UTC(2026, 10, 27, 11))], now);
    expect(plan.entries.map((entry) => [entry.name, entry.status, entry.expiresAt, entry.keptBy.map((reason) => `${reason.rule} ${reason.bucket}`)])).toEqual([
      ['snap-20261127-110000', 'kept', null, ['last #1', 'daily 2026-11-27']],
      ['snap-20261126-100000', 'going', new Date(now).toISOString(), []],
      ['snap-20261126-090000', 'expiring', '2026-12-01T00:00:00.000Z', ['daily 2026-11-26', 'weekly 2026-W48', 'monthly 2026-11']],
    ]);
  });

  it('tells auto, safety and named snapshots apart by name', () => {
    expect(['snap-20261127-040000', 'snap-20261127-040000-0', 'snap-20261127-040000-2', 'snap0', 'pre-restore-20261127-040000', 'snap-today', 'x'].map(snapshotKind)).toEqual([
      'auto', 'auto', 'auto', 'auto', 'safety', 'named', 'named',
    ]);
  });

  it('refuses a hand-edited stored policy with a reason instead of guessing', () => {
    expect(parseStoredPolicy(undefined)).toEqual({ policy: null });
    expect(parseStoredPolicy('{"keepLast":3}')).toEqual({ policy: { keepLast: 3, hourly: 0, daily: 0, weekly: 0, monthly: 0, includeNamed: false } });
    expect(parseStoredPolicy('{keepLast: 3')).toMatchObject({ problem: expect.stringMatching(/is not JSON/) });
    expect(parseStoredPolicy('{"keepLast":0}')).toMatchObject({ problem: expect.stringMatching(/not valid \(keepLast: /) });
    expect(parseStoredPolicy('{"keepLast":3,"yearly":1}')).toMatchObject({ problem: expect.stringMatching(/not valid/) });
  });
});
