// The `diff` section of `npm run bench` (issue 11): `coi-desktop snapshot diff` on a container with F
// small files, cold (no cached manifest: the snapshot is packed into a temporary image and read) and
// with the snapshot's manifest cached, beside `diff -rq` of the same two trees on the host as the floor.
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

/**
 * The rows: `diff -rq` of the two trees on the host (the floor), the diff with a cold cache (every run
 * in a fresh config directory), with the snapshot's manifest cached, and two cached snapshots.
 */
export async function diffBench(options: DiffBenchOptions): Promise<{ rows: DiffBenchRow[]; title: string }> {
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
    const diff = (configDir: string, ...argv: string[]) =>
      command(process.execPath, [options.cli, 'snapshot', 'diff', ...argv, '-c', name, '--summary'], { ...process.env, COI_DESKTOP_CONFIG_DIR: configDir });
    const warm = join(work, 'warm-config');
    const rows = [
      await options.timed(`diff -rq of the two trees on the host (${options.files} files each)`, () => command('diff', ['-rq', before, after], process.env, [0, 1]), options.runs),
      await options.timed('coi-desktop snapshot diff before (cold: no cached manifest)', () => diff(mkdtempSync(join(work, 'cold-')), 'before'), options.runs),
      await options.timed('coi-desktop snapshot diff before (manifest cached)', () => diff(warm, 'before'), options.runs),
      await options.timed('coi-desktop snapshot diff before after (both cached)', () => diff(warm, 'before', 'after'), options.runs),
    ];
    return { rows, title: `a container with ${options.files} files of about 200 bytes (50 edited, 50 added, 50 deleted), median of ${options.runs} runs after a warm-up` };
  } finally {
    if (made) await command('incus', ['delete', '-f', name]).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}

/** The goals of issue 11 against the floor measured in the same run. */
export function diffGoals(rows: DiffBenchRow[]): string {
  const [floor, cold, cached, both] = rows.map((row) => row.median) as [number, number, number, number];
  return [
    '| goal | figure | target | met |',
    '| --- | ---: | ---: | --- |',
    `| diff, cold ÷ diff -rq | ${(cold / floor).toFixed(1)}× (${cold.toFixed(0)} vs ${floor.toFixed(0)} ms) | ≤ 3× | ${cold <= 3 * floor ? 'yes' : 'no'} |`,
    `| diff, manifest cached | ${cached.toFixed(0)} ms (${(cached / floor).toFixed(1)}× diff -rq) | < 1000 ms | ${cached < 1000 ? 'yes' : 'no'} |`,
    `| diff, two cached snapshots | ${both.toFixed(0)} ms (${(both / floor).toFixed(1)}× diff -rq) | < 1000 ms | ${both < 1000 ? 'yes' : 'no'} |`,
    '',
  ].join('\n');
}
