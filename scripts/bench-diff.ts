// The `diff` section of `npm run bench` (issue 11): `coi-desktop snapshot diff` on a container with F
// small files, cold (no cached manifest: the snapshot is packed into a temporary image and read) and
// with the snapshot's manifest cached, beside `diff -rq` of the same two trees on the host as the floor;
// and the first diff against a snapshot coi-desktop took (recorded), with what that adds to `snapshot create`.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DiffBenchRow {
  label: string;
  median: number;
  min: number;
  max: number;
}

export interface DiffBenchOptions {
  cli: string;
  /** Another build's CLI (`--diff-baseline`): each diff row is also timed with it, alternating run by run with `cli`. */
  baseline?: string;
  image: string;
  prefix: string;
  files: number;
  runs: number;
  /** Times `once` after a warm-up (the bench's own `timed`). */
  timed: (label: string, once: () => Promise<unknown>, times: number) => Promise<DiffBenchRow>;
}

/** Runs a command; resolves with its exit code (diff -rq answers 1 when the trees differ), rejects on others. */
function command(file: string, argv: string[], env: NodeJS.ProcessEnv = process.env, allowed = [0]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (allowed.includes(code ?? -1) ? resolve(code ?? 0) : reject(new Error(`${file} ${argv.join(' ')}: exit ${code}: ${err.trim()}`))));
  });
}

/** `count` files of about 200 bytes in folders of 100, as a source tree looks. */
function tree(dir: string, count: number): void {
  for (let i = 0; i < count; i += 1) {
    const folder = join(dir, `src${Math.floor(i / 100)}`);
    if (i % 100 === 0) mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `file${i}.ts`), `export const value${i} = ${i}; // ${'x'.repeat(160)}\n`);
  }
}

/** What an agent did: 50 files edited in place (same size), 50 added, 50 deleted. */
function change(dir: string): void {
  for (let i = 0; i < 50; i += 1) {
    const edited = i * 7;
    writeFileSync(join(dir, `src${Math.floor(edited / 100)}`, `file${edited}.ts`), `export const value${edited} = ${edited}; // ${'y'.repeat(160)}\n`);
    unlinkSync(join(dir, `src${Math.floor((i * 7 + 3) / 100)}`, `file${i * 7 + 3}.ts`));
    writeFileSync(join(dir, `new${i}.ts`), `export const added${i} = true;\n`);
  }
}

/** `change` made in place inside the container, as an agent would: the same bytes, the same files. */
function changeScript(): string {
  const lines = ['cd /work'];
  for (let i = 0; i < 50; i += 1) {
    const edited = i * 7;
    const gone = i * 7 + 3;
    lines.push(`printf '%s\\n' 'export const value${edited} = ${edited}; // ${'y'.repeat(160)}' > src${Math.floor(edited / 100)}/file${edited}.ts`);
    lines.push(`rm src${Math.floor(gone / 100)}/file${gone}.ts`);
    lines.push(`printf '%s\\n' 'export const added${i} = true;' > new${i}.ts`);
  }
  return lines.join('\n');
}

function median(label: string, samples: number[]): DiffBenchRow {
  samples.sort((a, b) => a - b);
  const row = { label, median: samples[Math.floor(samples.length / 2)]!, min: samples[0]!, max: samples.at(-1)! };
  process.stderr.write(`  ${label}: ${row.median.toFixed(1)} ms\n`);
  return row;
}

async function elapsed(once: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await once();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/**
 * The first diff against a snapshot coi-desktop took (it recorded the container right after, see
 * src/main/snapshots/diff/record.ts), and what that record adds to `snapshot create`. Each run: the
 * container's /work is the "before" tree again, written three seconds earlier (older than the
 * record's two-second margin); a fresh config directory; `snapshot create` without the record
 * (COI_DESKTOP_SNAPSHOT_RECORD=off, then deleted) and with it; the agent's change made in place
 * inside the container; the diff; and `snapshot create` again, its record now helped by the hashes
 * the diff kept. A warm-up run first.
 */
async function appSnapshotRows(options: DiffBenchOptions, name: string, work: string, push: () => Promise<unknown>): Promise<{ diff: DiffBenchRow[]; create: DiffBenchRow[] }> {
  const samples = { off: [] as number[], on: [] as number[], diff: [] as number[], again: [] as number[] };
  const baseline: number[] = [];
  for (let run = 0; run <= options.runs; run += 1) {
    if (options.baseline) {
      const diff = await appSnapshotRun(options.baseline, name, work, push);
      if (run > 0) baseline.push(diff.diff);
    }
    const { off, on, diff, again } = await appSnapshotRun(options.cli, name, work, push);
    if (run === 0) continue; // the warm-up
    Object.entries({ off, on, diff, again }).forEach(([key, value]) => samples[key as keyof typeof samples].push(value));
  }
  const label = 'coi-desktop snapshot diff app (cold: snapshot taken by coi-desktop, agent changed files in place)';
  return {
    diff: [median(label, samples.diff), ...(options.baseline ? [median(`${label}, baseline`, baseline)] : [])],
    create: [
      median('coi-desktop snapshot create, COI_DESKTOP_SNAPSHOT_RECORD=off (no record)', samples.off),
      median('coi-desktop snapshot create (record, fresh config: every file hashed)', samples.on),
      median('coi-desktop snapshot create (record, hashes kept from the diff before)', samples.again),
    ],
  };
}

/** One run of `appSnapshotRows` with the CLI `cliPath`: the times of its creates and of its diff. */
async function appSnapshotRun(cliPath: string, name: string, work: string, push: () => Promise<unknown>): Promise<{ off: number; on: number; diff: number; again: number }> {
  const cli = (configDir: string, argv: string[], env: NodeJS.ProcessEnv = {}) =>
    command(process.execPath, [cliPath, 'snapshot', ...argv, '-c', name], { ...process.env, COI_DESKTOP_CONFIG_DIR: configDir, ...env });
  {
    await push();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const configDir = mkdtempSync(join(work, 'app-'));
    const off = await elapsed(() => cli(configDir, ['create', 'app-off'], { COI_DESKTOP_SNAPSHOT_RECORD: 'off' }));
    await command('incus', ['snapshot', 'delete', name, 'app-off']);
    const on = await elapsed(() => cli(configDir, ['create', 'app']));
    await command('incus', ['exec', name, '--', 'sh', '-c', changeScript()]);
    const diff = await elapsed(() => cli(configDir, ['diff', 'app', '--summary']));
    const again = await elapsed(() => cli(configDir, ['create', 'app-again']));
    for (const snapshot of ['app', 'app-again']) await command('incus', ['snapshot', 'delete', name, snapshot]);
    return { off, on, diff, again };
  }
}

/**
 * Times `once(cli)` like the bench's `timed`, and with `--diff-baseline` also `once(baseline)`,
 * alternating run by run (so both see the same load): the row, then the baseline's.
 */
async function alternated(options: DiffBenchOptions, label: string, once: (cli: string) => Promise<unknown>): Promise<DiffBenchRow[]> {
  const { baseline } = options;
  if (!baseline) return [await options.timed(label, () => once(options.cli), options.runs)];
  const samples: number[] = [];
  const before: number[] = [];
  for (let run = 0; run <= options.runs; run += 1) {
    const old = await elapsed(() => once(baseline));
    const now = await elapsed(() => once(options.cli));
    if (run === 0) continue; // the warm-up
    before.push(old);
    samples.push(now);
  }
  return [median(label, samples), median(`${label}, baseline`, before)];
}

/**
 * The rows: `diff -rq` of the two trees on the host (the floor), the diff with a cold cache (every run
 * in a fresh config directory), with the snapshot's manifest cached, two cached snapshots, and the
 * first diff against a snapshot coi-desktop took; and `snapshot create` with and without its record.
 */
export async function diffBench(options: DiffBenchOptions): Promise<{ rows: DiffBenchRow[]; create: DiffBenchRow[]; title: string }> {
  const name = `${options.prefix}diff`;
  const work = mkdtempSync(join(tmpdir(), 'coi-bench-diff-'));
  const before = join(work, 'before');
  const after = join(work, 'after');
  process.stderr.write(`Creating ${name} with ${options.files} small files in /work…\n`);
  tree(before, options.files);
  cpSync(before, after, { recursive: true });
  change(after);
  let made = false;
  try {
    await command('incus', ['launch', options.image, name, '-q']);
    made = true;
    const push = (dir: string) => command('sh', ['-c', `tar -C '${dir}' -cf - . | incus exec ${name} -- sh -c 'rm -rf /work && mkdir /work && tar -C /work -xf -'`]);
    await push(before);
    await command('incus', ['snapshot', 'create', name, 'before']);
    await push(after);
    await command('incus', ['snapshot', 'create', name, 'after']);
    await command('sync', []);
    const diff = (cli: string, configDir: string, ...argv: string[]) =>
      command(process.execPath, [cli, 'snapshot', 'diff', ...argv, '-c', name, '--summary'], { ...process.env, COI_DESKTOP_CONFIG_DIR: configDir });
    /** Each CLI its own warm config directory. */
    const warm = (cli: string) => join(work, cli === options.cli ? 'warm-config' : 'warm-baseline');
    const [floor, ...rest] = [
      await options.timed(`diff -rq of the two trees on the host (${options.files} files each)`, () => command('diff', ['-rq', before, after], process.env, [0, 1]), options.runs),
      ...(await alternated(options, 'coi-desktop snapshot diff before (cold: no cached manifest)', (cli) => diff(cli, mkdtempSync(join(work, 'cold-')), 'before'))),
      ...(await alternated(options, 'coi-desktop snapshot diff before (manifest cached)', (cli) => diff(cli, warm(cli), 'before'))),
      ...(await alternated(options, 'coi-desktop snapshot diff before after (both cached)', (cli) => diff(cli, warm(cli), 'before', 'after'))),
    ];
    const app = await appSnapshotRows(options, name, work, () => push(before));
    // the goals' rows first (diffGoals reads them by position), the baseline's after
    const rows = [floor!, ...[...rest, ...app.diff].sort((a, b) => Number(a.label.endsWith(', baseline')) - Number(b.label.endsWith(', baseline')))];
    const how = options.baseline ? `, each diff alternating run by run with the baseline ${options.baseline}` : '';
    return { rows, create: app.create, title: `a container with ${options.files} files of about 200 bytes (50 edited, 50 added, 50 deleted), median of ${options.runs} runs after a warm-up${how}` };
  } finally {
    if (made) await command('incus', ['delete', '-f', name]).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}

/** The goals of issue 11 against the floor measured in the same run. */
export function diffGoals(rows: DiffBenchRow[]): string {
  const [floor, cold, cached, both, app] = rows.map((row) => row.median) as [number, number, number, number, number];
  return [
    '| goal | figure | target | met |',
    '| --- | ---: | ---: | --- |',
    `| diff, cold ÷ diff -rq (snapshot taken outside coi-desktop) | ${(cold / floor).toFixed(1)}× (${cold.toFixed(0)} vs ${floor.toFixed(0)} ms) | ≤ 3× | ${cold <= 3 * floor ? 'yes' : 'no'} |`,
    `| diff, cold ÷ diff -rq (snapshot taken by coi-desktop) | ${(app / floor).toFixed(1)}× (${app.toFixed(0)} vs ${floor.toFixed(0)} ms) | ≤ 3× | ${app <= 3 * floor ? 'yes' : 'no'} |`,
    `| diff, manifest cached | ${cached.toFixed(0)} ms (${(cached / floor).toFixed(1)}× diff -rq) | < 1000 ms | ${cached < 1000 ? 'yes' : 'no'} |`,
    `| diff, two cached snapshots | ${both.toFixed(0)} ms (${(both / floor).toFixed(1)}× diff -rq) | < 1000 ms | ${both < 1000 ? 'yes' : 'no'} |`,
    '',
  ].join('\n');
}
