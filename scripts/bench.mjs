// `npm run bench`: how fast COI Desktop lists snapshots, measured against the real Incus daemon.
// Creates N containers × M snapshots of its own (prefix bench-…), times each way of listing them
// R times, prints medians and ratios side by side, and removes what it made.
//   node scripts/bench.mjs [--containers 50] [--snapshots 10] [--runs 7]
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    containers: { type: 'string', default: '50' },
    snapshots: { type: 'string', default: '10' },
    runs: { type: 'string', default: '7' },
  },
});
const N = Number(args.containers);
const M = Number(args.snapshots);
const RUNS = Number(args.runs);
const IMAGE = process.env.COI_TEST_IMAGE ?? 'coi-test-busybox';
const SOCKET = process.env.INCUS_SOCKET ?? '/var/lib/incus/unix.socket';
const PREFIX = `bench-${randomBytes(2).toString('hex')}-`;
const CLI = join(root, 'bin', 'coi-desktop.cjs');

/** Runs `worker` over `items`, `limit` at a time. */
async function pool(items, limit, worker) {
  const queue = [...items];
  await Promise.all(Array.from({ length: limit }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await worker(item);
  }));
}

/** Runs a command to its end, discarding output; rejects on a non-zero exit. */
function quiet(command, argv, env = process.env) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ['ignore', 'ignore', 'pipe'], env });
    let err = '';
    child.stderr.on('data', (chunk) => (err += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${argv.join(' ')}: ${err.trim()}`))));
  });
}

async function timed(label, once) {
  const samples = [];
  await once(); // warm-up: file caches, the daemon's own caches
  for (let i = 0; i < RUNS; i += 1) {
    const started = process.hrtime.bigint();
    await once();
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)];
  process.stderr.write(`  ${label}: ${median.toFixed(1)} ms\n`);
  return { label, median, min: samples[0], max: samples.at(-1) };
}

const names = Array.from({ length: N }, (_, i) => `${PREFIX}${String(i).padStart(8, '0')}-1`);

async function setUp() {
  process.stderr.write(`Creating ${N} containers × ${M} snapshots (prefix ${PREFIX})…\n`);
  await pool(names, 4, async (name) => {
    await quiet('incus', ['init', IMAGE, name, '-q']);
    for (let s = 0; s < M; s += 1) await quiet('incus', ['snapshot', 'create', name, `snap-${s}`]);
  });
}

async function tearDown() {
  process.stderr.write('Removing the benchmark containers…\n');
  for (let i = 0; i < names.length; i += 25) {
    await quiet('incus', ['delete', '-f', ...names.slice(i, i + 25)]).catch(() => undefined);
  }
}

async function measure() {
  const env = { ...process.env, COI_CONTAINER_PREFIX: PREFIX };
  const ours = await timed('coi-desktop snapshot list --all --format json', async () => {
    const { stdout } = await run(process.execPath, [CLI, 'snapshot', 'list', '--all', '--format', 'json'], { env, maxBuffer: 1 << 28 });
    const listed = JSON.parse(stdout);
    if (Object.keys(listed).length !== N || Object.values(listed).some((snaps) => snaps.length !== M)) {
      throw new Error('coi-desktop listed something other than what the benchmark made');
    }
  });
  const raw = await timed('curl --unix-socket … /1.0/instances?recursion=2', () =>
    run('curl', ['-sf', '--unix-socket', SOCKET, 'http://incus/1.0/instances?recursion=2', '-o', '/dev/null']));
  const perContainer = await timed(`incus snapshot list, once per container (${N} calls)`, () =>
    pool(names, 1, (name) => run('incus', ['snapshot', 'list', name, '--format', 'json'])));
  return [ours, raw, perContainer];
}

function report(rows) {
  const [ours] = rows;
  const lines = [
    `Snapshot listing, ${N} containers × ${M} snapshots, median of ${RUNS} runs (Incus ${incusVersion}):`,
    '',
    `| way of listing | median ms | min–max ms | vs coi-desktop |`,
    `| --- | ---: | ---: | ---: |`,
    ...rows.map((r) => `| ${r.label} | ${r.median.toFixed(1)} | ${r.min.toFixed(1)}–${r.max.toFixed(1)} | ${(r.median / ours.median).toFixed(2)}× |`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (!existsSync(join(root, 'out', 'main', 'cli.js'))) {
  process.stderr.write('The CLI is not built: run `npm run bench` (it builds first).\n');
  process.exit(1);
}
const incusVersion = (await run('incus', ['version'])).stdout.match(/Server version: (\S+)/)?.[1] ?? '?';
process.on('SIGINT', () => void tearDown().finally(() => process.exit(130)));
try {
  await setUp();
  process.stderr.write('Measuring…\n');
  report(await measure());
} finally {
  await tearDown();
}
