// `npm run bench`: how fast COI Desktop lists snapshots, against the real Incus daemon and a real sshd.
// Creates N containers × M snapshots of its own (prefix bench-…), times each way of listing them R
// times after a warm-up, prints medians and ratios side by side, and removes what it made.
// The `backup` section (scripts/bench-backup.ts) times export and import of a container of about
// --backup-mb MB, over the local socket and over SSH, beside `incus export` / `incus import`.
// The `mounts` section times snapshot create and restore of a container with a host folder of F small
// files mounted at /workspace, plain and with --include-mounts.
// The `diff` section (scripts/bench-diff.ts) times snapshot diff on a container of F small files, cold and
// cached, beside diff -rq of the same trees on the host; --diff-baseline DIR (another checkout, built) times
// its CLI too, alternating run by run with this one.
// The listing is measured at each size of --containers (default 50 and 200: G1's two sizes; the
// containers of a size are added to those of the one before), start-up, memory and the remote
// transports at the first size only.
//   npx tsx scripts/bench.ts [--only listing|mounts|backup|diff] [--backup-mb 500] [--backup-runs 5] [--containers 50,200] [--snapshots 10] [--runs 7] [--files 20000] [--mount-runs 3] [--diff-runs 3] [--diff-baseline DIR]
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import type { HostPool } from '../src/main/hosts/pool';
import { knowHost, makePool, sshHost, tempHome } from '../test/helpers/hosts';
import { sshdWithKey } from '../test/helpers/sshd';
import { HTTPS_URL, requireHttps, serverFingerprint, trustToken, untrust } from '../test/helpers/https';
import { joinWithToken } from '../src/main/https/join';
import { backupRows, backupTable } from './bench-backup';
import { diffBench, diffGoals } from './bench-diff';

const run = promisify(execFile);
const root = join(__dirname, '..');
const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    containers: { type: 'string', default: '50,200' },
    snapshots: { type: 'string', default: '10' },
    runs: { type: 'string', default: '7' },
    files: { type: 'string', default: '20000' },
    'mount-runs': { type: 'string', default: '3' },
    'backup-mb': { type: 'string', default: '500' },
    'backup-runs': { type: 'string', default: '5' },
    'diff-runs': { type: 'string', default: '3' },
    'diff-baseline': { type: 'string' },
  },
});
const SECTIONS = ['listing', 'mounts', 'backup', 'diff'];
if (args.only !== undefined && !SECTIONS.includes(args.only)) throw new Error(`--only takes one of: ${SECTIONS.join(', ')}`);
const runs = (section: string) => args.only === undefined || args.only === section;
const SIZES = args.containers.split(',').map(Number).sort((a, b) => a - b);
if (SIZES.some((size) => !Number.isInteger(size) || size < 1)) throw new Error('--containers takes container counts, such as 50 or 50,200');
/** The containers there are at the size being measured (the listing's checks expect all of them). */
let N = SIZES[0]!;
const M = Number(args.snapshots);
const RUNS = Number(args.runs);
const IMAGE = process.env.COI_TEST_IMAGE ?? 'coi-test-busybox';
const SOCKET = process.env.INCUS_SOCKET ?? '/var/lib/incus/unix.socket';
const PREFIX = `bench-${randomBytes(2).toString('hex')}-`;
const CLI = join(root, 'bin', 'coi-desktop.cjs');
const names = Array.from({ length: SIZES.at(-1)! }, (_, i) => `${PREFIX}${String(i).padStart(8, '0')}-1`);

interface Row {
  label: string;
  median: number;
  min: number;
  max: number;
}

/**
 * Runs `worker` over `items`, `limit` at a time. After a failure no new item starts, and the failure is
 * thrown once the running ones have ended (the tear-down then sees every container that was made).
 */
async function pool<T>(items: readonly T[], limit: number, worker: (item: T) => Promise<unknown>): Promise<void> {
  const queue = [...items];
  const workers = await Promise.allSettled(Array.from({ length: limit }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
      await worker(item).catch((error: unknown) => {
        queue.length = 0;
        throw error;
      });
    }
  }));
  const failed = workers.find((outcome) => outcome.status === 'rejected');
  if (failed) throw failed.reason;
}

function quiet(command: string, argv: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${argv.join(' ')}: ${err.trim()}`))));
  });
}

async function timed(label: string, once: () => Promise<unknown>, times = RUNS): Promise<Row> {
  await once(); // warm-up: caches, and for the tunnel the SSH session itself
  const samples: number[] = [];
  for (let i = 0; i < times; i += 1) {
    const started = process.hrtime.bigint();
    await once();
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  samples.sort((a, b) => a - b);
  const row = { label, median: samples[Math.floor(samples.length / 2)]!, min: samples[0]!, max: samples.at(-1)! };
  process.stderr.write(`  ${label}: ${row.median.toFixed(1)} ms\n`);
  return row;
}

function table(title: string, rows: Row[], versus: string, what = 'way of listing'): string {
  const base = rows[0]!.median;
  return [
    title,
    '',
    `| ${what} | median ms | min–max ms | ${versus} |`,
    '| --- | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.label} | ${r.median.toFixed(1)} | ${r.min.toFixed(1)}–${r.max.toFixed(1)} | ${(r.median / base).toFixed(2)}× |`),
    '',
  ].join('\n');
}

function expectAll(listed: { name: string; snapshots: unknown[] }[]): void {
  const mine = listed.filter((container) => container.name.startsWith(PREFIX));
  if (mine.length !== N || mine.some((container) => container.snapshots.length !== M)) throw new Error('the listing is not what the benchmark made');
}

async function startupRows(): Promise<Row[]> {
  return [
    await timed('coi-desktop --version', () => run(process.execPath, [CLI, '--version'])),
    await timed('node -e 0', () => run(process.execPath, ['-e', '0'])),
  ];
}

/**
 * What any Node command pays for this listing: start, the `recursion=2` GET over the socket with
 * node:http, and JSON.parse of the answer; nothing else (no pools, no output).
 */
const FLOOR = `require('node:http').request({ socketPath: ${JSON.stringify(SOCKET)}, path: '/1.0/instances?recursion=2', headers: { host: 'incus' } }, (res) => {
  const chunks = []; res.on('data', (c) => chunks.push(c)); res.on('end', () => JSON.parse(Buffer.concat(chunks).toString()));
}).end();`;

/**
 * The floor of this listing's JSON: FLOOR plus what the descriptions need (the listing prints each
 * snapshot's, which Incus 6.0.4 keeps only on the pools' volume snapshots), asked as the CLI asks
 * them: the pools, then each pool's volumes, beside the instances. No checks, no output.
 */
const FLOOR_WITH_DESCRIPTIONS = `const http = require('node:http');
const get = (path) => new Promise((done) => http.request({ socketPath: ${JSON.stringify(SOCKET)}, path, headers: { host: 'incus' } }, (res) => {
  const chunks = []; res.on('data', (c) => chunks.push(c)); res.on('end', () => done(JSON.parse(Buffer.concat(chunks).toString()).metadata));
}).end());
get('/1.0/instances?recursion=2');
get('/1.0/storage-pools').then((pools) => Promise.all(pools.map((url) => get(url + '/volumes?recursion=1'))));`;

/** The listing's rows at this size; the per-container loop (G3) at the first size only. */
async function localRows(first: boolean): Promise<Row[]> {
  const env = { ...process.env, COI_CONTAINER_PREFIX: PREFIX };
  const mine = names.slice(0, N);
  return [
    await timed('coi-desktop snapshot list --all --format json', async () => {
      const { stdout } = await run(process.execPath, [CLI, 'snapshot', 'list', '--all', '--format', 'json'], { env, maxBuffer: 1 << 28 });
      if (Object.keys(JSON.parse(stdout) as object).length !== N) throw new Error('coi-desktop listed something else');
    }),
    await timed('curl --unix-socket … /1.0/instances?recursion=2', () => run('curl', ['-sf', '--unix-socket', SOCKET, 'http://incus/1.0/instances?recursion=2', '-o', '/dev/null'])),
    await timed('incus list --format json (Go, one call)', () => run('incus', ['list', '--format', 'json'], { maxBuffer: 1 << 28 })),
    await timed('node: that GET and JSON.parse alone (no pools, no output)', () => run(process.execPath, ['-e', FLOOR])),
    await timed("node: that GET and the pools' volumes (the descriptions), parsed (no output)", () => run(process.execPath, ['-e', FLOOR_WITH_DESCRIPTIONS])),
    ...(first ? [await timed(`incus snapshot list, once per container (${N} calls)`, () => pool(mine, 1, (name) => run('incus', ['snapshot', 'list', name, '--format', 'json'])))] : []),
  ];
}

/** scripts/bench-memory.cjs's figures, in bytes. */
interface Memory {
  before: number;
  /** After the readings and 10 s idle, no collection forced. */
  idle: number;
  /** Then after full collections. */
  after: number;
  peak: number;
  reads: number;
  heapUsed: number;
}

/**
 * The resident memory of the built core holding 10 hosts × 500 × 50 that it read itself, three times
 * as the app's main process reads it (the tray, the window's overview and each host's whole list), from
 * a fake daemon serving the daemon's own answer for the benchmark's containers, scaled
 * (scripts/bench-memory.cjs).
 */
async function coreMemory(): Promise<Memory[]> {
  const { stdout: answer } = await run('incus', ['query', '/1.0/instances?recursion=2'], { maxBuffer: 1 << 28 });
  const mine = (JSON.parse(answer) as { name: string }[]).filter((instance) => instance.name.startsWith(PREFIX));
  const dir = mkdtempSync(join(tmpdir(), 'coi-bench-'));
  try {
    writeFileSync(join(dir, 'instances.json'), JSON.stringify(mine));
    const measure = async (...flags: string[]) => JSON.parse((await run(process.execPath, ['--expose-gc', ...flags, join(__dirname, 'bench-memory.cjs'), join(dir, 'instances.json')])).stdout) as Memory;
    return [await measure(), await measure('--single-threaded-gc')];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Goal {
  goal: string;
  figure: string;
  target: string;
  met: boolean;
}

/** The G1 lines of one size: the listing against `incus list` and the raw GET (and, for scale, the Node floor). */
function listingGoals(size: number, local: Row[]): Goal[] {
  const [ours, curl, incusList, floor, described] = local as [Row, Row, Row, Row, Row];
  const floorNote = ` (Node's floor: ${(floor.median / curl.median).toFixed(2)}×)`;
  const describedNote = ` (Node's floor: ${(floor.median / incusList.median).toFixed(2)}×; with the descriptions' requests: ${(described.median / incusList.median).toFixed(2)}×)`;
  return [
    { goal: `G1 listing ÷ \`incus list --format json\`, ${size} × ${M}`, figure: `${(ours.median / incusList.median).toFixed(2)}×${describedNote}`, target: '≤ 1.00×', met: ours.median <= incusList.median },
    { goal: `G1 listing ÷ raw \`recursion=2\` GET (curl), ${size} × ${M}`, figure: `${(ours.median / curl.median).toFixed(2)}×${floorNote}`, target: '≤ 1.30×', met: ours.median <= 1.3 * curl.median },
  ];
}

/** Each goal of issue 10 as a ratio (or difference) against its peer measured in this run. */
function goals(startup: Row[], listings: { size: number; rows: Row[] }[], memory: Memory[]): string {
  const [version, node] = startup as [Row, Row];
  const [ours, , , , , loop] = listings[0]!.rows as [Row, Row, Row, Row, Row, Row];
  const [plain, singleThreaded] = memory as [Memory, Memory];
  const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
  const rows: Goal[] = [
    ...listings.flatMap(({ size, rows }) => listingGoals(size, rows)),
    { goal: 'G2 `--version` − `node -e 0`', figure: `${(version.median - node.median).toFixed(0)} ms`, target: '≤ 60 ms', met: version.median - node.median <= 60 },
    { goal: `G3 per-container loop ÷ listing (${listings[0]!.size} calls)`, figure: `${(loop.median / ours.median).toFixed(1)}×`, target: '≥ 5×', met: loop.median >= 5 * ours.median },
    {
      goal: 'G6 core RSS holding 10 × 500 × 50',
      figure: `${mb(plain.idle)} idle after ${plain.reads} readings, ${mb(plain.after)} after a full GC (code alone ${mb(plain.before)}, JS heap ${mb(plain.heapUsed)}, peak ${mb(plain.peak)}; with --single-threaded-gc ${mb(singleThreaded.idle)} / ${mb(singleThreaded.after)})`,
      target: '< 150 MB',
      met: plain.idle < 150 * 2 ** 20 && plain.after < 150 * 2 ** 20,
    },
  ];
  return [
    'Goals (issue 10), each against its peer in this run:',
    '',
    '| goal | figure | target | met |',
    '| --- | ---: | ---: | --- |',
    ...rows.map((row) => `| ${row.goal} | ${row.figure} | ${row.target} | ${row.met ? 'yes' : 'no'} |`),
    '',
  ].join('\n');
}

/**
 * Listing over the remote transports against the local socket, in one pool: a real sshd on
 * 127.0.0.1, and the project daemon over HTTPS on its loopback address (joined with a trust token,
 * its certificate pinned; the benchmark's client certificate is removed from the trust store after).
 */
async function remoteRows(): Promise<Row[]> {
  const { sshd, key } = await sshdWithKey('bench');
  const home = tempHome();
  knowHost(home.sshDir, sshd);
  let hosts: HostPool | undefined;
  try {
    await requireHttps();
    const https = { kind: 'incus' as const, name: 'bench-tls', url: HTTPS_URL, serverCertFingerprint: await serverFingerprint() };
    hosts = (await makePool({ home, hosts: [sshHost('bench', sshd, { identityFiles: [key.file] }), https] })).pool;
    await joinWithToken(hosts.client('bench-tls'), await trustToken('bench'));
    const remote = hosts.service('bench');
    const tls = hosts.service('bench-tls');
    const local = hosts.service('local');
    const sshArgs = ['-i', key.file, '-p', String(sshd.port), '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${join(home.sshDir, 'known_hosts')}`, `root@${sshd.host}`, 'incus', 'list', '--format', 'json'];
    return [
      await timed('in-process list over the local socket', async () => expectAll(await local.listContainers())),
      await timed('in-process list over a warm HTTPS connection (TLS, pinned)', async () => expectAll(await tls.listContainers())),
      await timed('in-process list over a warm SSH tunnel', async () => expectAll(await remote.listContainers())),
      await timed('ssh HOST incus list --format json (new SSH process per call)', () => run('ssh', sshArgs, { maxBuffer: 1 << 28 })),
    ];
  } finally {
    await hosts?.close();
    await untrust(home.configDir);
    await sshd.stop();
  }
}

/** The goal of issue 14: a warm HTTPS listing within 1.2× of the local socket. */
function httpsGoal(remote: Row[]): string {
  const local = remote.find((row) => row.label.includes('local socket'));
  const tls = remote.find((row) => row.label.includes('HTTPS'));
  if (!local || !tls) return '';
  const ratio = tls.median / local.median;
  return `Goal (issue 14): warm HTTPS listing ÷ local socket = ${ratio.toFixed(2)}× (target ≤ 1.20×: ${ratio <= 1.2 ? 'met' : 'not met'})\n`;
}

/** `count` small files (about 200 bytes each) in folders of 100, as a source tree looks. */
function smallFiles(dir: string, count: number): void {
  for (let i = 0; i < count; i += 1) {
    const folder = join(dir, `src${Math.floor(i / 100)}`);
    if (i % 100 === 0) mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `file${i}.ts`), `export const value${i} = ${i}; // ${'x'.repeat(160)}\n`);
  }
}

/** Create and restore, plain and with --include-mounts, of a container with F small files mounted at /workspace. */
async function mountRows(): Promise<{ create: Row[]; restore: Row[]; title: string }> {
  const files = Number(args.files);
  const times = Number(args['mount-runs']);
  const name = `${PREFIX}mounts`;
  const dir = mkdtempSync(join(tmpdir(), 'coi-bench-workspace-'));
  process.stderr.write(`Creating ${name} with ${files} small files mounted at /workspace…\n`);
  smallFiles(dir, files);
  await quiet('sync', []); // the new files' writeback is not what is measured
  let made = false;
  try {
    await quiet('incus', ['launch', IMAGE, name, '-q']);
    made = true;
    await quiet('incus', ['config', 'device', 'add', name, 'workspace', 'disk', `source=${dir}`, 'path=/workspace', 'shift=true']);
    const cli = (...argv: string[]) => run(process.execPath, [CLI, 'snapshot', ...argv, '-c', name]);
    let n = 0;
    const create = [
      await timed('snapshot create', () => cli('create', `plain-${(n += 1)}`), times),
      await timed('snapshot create --include-mounts', () => cli('create', `mounts-${(n += 1)}`, '--include-mounts'), times),
    ];
    await quiet('incus', ['stop', name]);
    const restore = [
      await timed('snapshot restore (stopped container)', () => cli('restore', 'plain-1', '-f'), times),
      await timed('snapshot restore --include-mounts (stopped container)', () => cli('restore', `mounts-${n}`, '-f', '--include-mounts'), times),
    ];
    return { create, restore, title: `${files} files of about 200 bytes at /workspace, median of ${times} runs after a warm-up` };
  } finally {
    if (made) await quiet('incus', ['delete', '-f', name]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Says which of the benchmark's containers are still there after the clean-up (a delete that failed), and how to remove them. */
async function leftBehind(): Promise<void> {
  const { stdout } = await run('incus', ['list', '--format', 'csv', '--columns', 'n', `^${PREFIX}`]);
  const left = stdout.split('\n').filter((name) => name.startsWith(PREFIX));
  if (left.length === 0) return;
  process.stderr.write(`${left.length} benchmark container(s) could not be removed: remove them with 'incus delete -f ${left.slice(0, 3).join(' ')}${left.length > 3 ? ' …' : ''}'\n`);
  process.exitCode = 1;
}

async function main(): Promise<void> {
  if (!existsSync(join(root, 'out', 'main', 'cli.js'))) throw new Error('the CLI is not built: run `npm run bench` (it builds first)');
  const version = /Server version: (\S+)/.exec((await run('incus', ['version'])).stdout)?.[1] ?? '?';
  if (runs('backup')) {
    const megabytes = Number(args['backup-mb']);
    const times = Number(args['backup-runs']);
    const backup = await backupRows({ cli: CLI, image: IMAGE, prefix: PREFIX, megabytes, runs: times });
    const about = `a container with ${megabytes} MB of random data (backup file ${backup.fileMiB.toFixed(0)} MiB), ${times} rounds (the commands take turns), Incus ${version}`;
    process.stdout.write(backupTable(`Backup export, ${about}:`, backup.exports));
    process.stdout.write('\n' + backupTable(`Backup import, ${about}:`, backup.imports));
    if (args.only === 'backup') return;
    process.stdout.write('\n');
  }
  if (runs('diff')) {
    const baseline = args['diff-baseline'] === undefined ? undefined : join(args['diff-baseline'], 'bin', 'coi-desktop.cjs');
    const diff = await diffBench({ cli: CLI, baseline, image: IMAGE, prefix: PREFIX, files: Number(args.files), runs: Number(args['diff-runs']), timed });
    process.stdout.write(`Snapshot diff goals (issue 11), ${diff.title}, Incus ${version}:\n\n${diffGoals(diff.rows)}`);
    process.stdout.write('\n' + table(`Snapshot diff, ${diff.title}, Incus ${version}:`, diff.rows, 'vs diff -rq', 'command'));
    process.stdout.write('\n' + table(`Snapshot create and its record, the same container, median of ${args['diff-runs']} runs after a warm-up, Incus ${version}:`, diff.create, 'vs no record', 'command'));
    if (args.only === 'diff') return;
    process.stdout.write('\n');
  }
  if (runs('mounts')) {
    const mounts = await mountRows();
    process.stdout.write(table(`Snapshot create with a mounted folder, ${mounts.title}, Incus ${version}:`, mounts.create, 'vs plain', 'command'));
    process.stdout.write('\n' + table(`Snapshot restore with a mounted folder, ${mounts.title}, Incus ${version}:`, mounts.restore, 'vs plain', 'command'));
    if (!runs('listing')) return;
    process.stdout.write('\n');
  }
  let made = 0;
  const tearDown = () => pool(Array.from({ length: Math.ceil(made / 25) }, (_, i) => names.slice(i * 25, Math.min(i * 25 + 25, made))), 4, (batch) => quiet('incus', ['delete', '-f', ...batch]).catch(() => undefined)).then(leftBehind);
  process.on('SIGINT', () => void tearDown().finally(() => process.exit(130)));
  /** Adds containers (with their snapshots) until there are `size`. */
  const grow = async (size: number) => {
    process.stderr.write(`Creating containers ${made + 1}–${size} × ${M} snapshots (prefix ${PREFIX})…\n`);
    const added = names.slice(made, size);
    made = size; // the tear-down tries every name that may exist
    await pool(added, 4, async (name) => {
      await quiet('incus', ['init', IMAGE, name, '-q']);
      for (let s = 0; s < M; s += 1) await quiet('incus', ['snapshot', 'create', name, `snap-${s}`]);
    });
  };
  try {
    await grow(N);
    process.stderr.write('Measuring start-up…\n');
    const startup = await startupRows();
    process.stderr.write(`Measuring the local listing (${N} containers)…\n`);
    const listings = [{ size: N, rows: await localRows(true) }];
    process.stderr.write('Measuring the core\'s memory…\n');
    const memory = await coreMemory();
    process.stderr.write('Measuring over SSH (a real sshd on 127.0.0.1) and HTTPS (the daemon on its loopback address)…\n');
    const remote = await remoteRows();
    const header = (size: number) => `${size} containers × ${M} snapshots, median of ${RUNS} runs after a warm-up, Incus ${version}`;
    const remoteHeader = header(N);
    for (const size of SIZES.slice(1)) {
      await grow(size);
      N = size;
      process.stderr.write(`Measuring the local listing (${N} containers)…\n`);
      listings.push({ size, rows: await localRows(false) });
    }
    process.stdout.write(goals(startup, listings, memory));
    process.stdout.write('\n' + table(`Start-up, median of ${RUNS} runs after a warm-up:`, startup, 'vs --version'));
    for (const { size, rows } of listings) process.stdout.write('\n' + table(`Snapshot listing, ${header(size)}:`, rows, 'vs coi-desktop'));
    process.stdout.write('\n' + table(`Listing over the local socket, HTTPS and SSH, ${remoteHeader}:`, remote, 'vs local socket'));
    process.stdout.write(httpsGoal(remote));
  } finally {
    process.stderr.write('Removing the benchmark containers…\n');
    await tearDown();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
