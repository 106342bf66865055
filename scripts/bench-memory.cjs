'use strict';
// Run by `npm run bench` (node --expose-gc scripts/bench-memory.cjs RAW.json): the resident memory of
// the built core (out/main, as the Electron main process loads it) holding 10 hosts × 500 containers ×
// 50 snapshots that it read itself. A fake daemon in a child process serves each host as an Incus
// project (`host-07`): its `recursion=2` instances GET answers 500 instances made from RAW.json (the
// daemon's own answer for the benchmark's containers) scaled to 50 snapshots each, with Incus's times
// (`recursion=1`: the same without state and snapshots); its pool's volumes GET lists their volumes and
// volume snapshots, as Incus does. The core reads the 10 hosts (4 at a time) through its host pool and
// handlers READS times as the app's main process does (`reading`: the tray's, the window's overview and
// each host's whole list), and keeps what the app keeps.
// Printed in bytes, as one JSON line:
//   before    the code alone;
//   idle      after the last reading and 10 s of idle, no collection forced: what the process holds
//             as it sits there (V8 makes no full collection of its own in an idle Node process);
//   after     then after full collections (the heap's garbage gone): the floor of `idle`;
//   peak      the most the process held (VmHWM);
//   heapUsed  the JavaScript heap in use after the collections (the listings and the code's own objects).
// Run with `node --single-threaded-gc` (as `npm run bench` also does), it shows what V8's GC helper
// threads keep.
const { fork } = require('node:child_process');
const { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { createServer } = require('node:http');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const HOSTS = 10;
const CONTAINERS = 500;
const SNAPSHOTS = 50;

/** An Incus time (nanoseconds, as the daemon writes them) `minutes` before `time`. */
const earlier = (time, minutes) => {
  const iso = new Date(Date.parse(time) - minutes * 60_000).toISOString(); // milliseconds: 2026-11-27T09:27:19.159Z
  return `${iso.slice(0, 23)}${/\.\d{3}(\d*)Z$/.exec(time)?.[1] ?? ''}Z`;
};

/** One host's instances with their snapshots, as `GET /1.0/instances?recursion=2` answers: the recorded ones, repeated and renamed. */
const hostInstances = (recorded, host) => {
  const seed = recorded.flatMap((instance) => instance.snapshots ?? []);
  return Array.from({ length: CONTAINERS }, (_, c) => {
    const model = recorded[c % recorded.length];
    const name = `coi-${(host * CONTAINERS + c).toString(16).padStart(8, '0')}-1`;
    const snapshots = Array.from({ length: SNAPSHOTS }, (_, s) => {
      const from = seed[(c + s) % seed.length];
      return { ...from, name: `snap-${String(s).padStart(3, '0')}-${from.name}`.slice(0, 63), created_at: earlier(from.created_at, c * SNAPSHOTS + s) };
    });
    return { ...model, name, snapshots };
  });
};

/** The host's storage volumes (`GET /1.0/storage-pools/default/volumes?recursion=1`): each container's and each snapshot's, as Incus lists them. */
const hostVolumes = (instances) => instances.flatMap((instance) => [instance, ...instance.snapshots.map((snapshot) => ({ ...snapshot, name: `${instance.name}/${snapshot.name}` }))]
  .map((volume) => ({ config: {}, content_type: 'filesystem', created_at: volume.created_at, description: '', location: 'none', name: volume.name, project: 'default', type: 'container', used_by: [] })));

/** An instance as `recursion=1` lists it: without its state and snapshots. */
const withoutState = (instance) => Object.fromEntries(Object.entries(instance).filter(([key]) => !['state', 'snapshots', 'backups'].includes(key)));

const answer = (metadata) => JSON.stringify({ type: 'sync', status: 'Success', status_code: 200, metadata });

/**
 * The fake daemon (child process). Each host is an Incus project (`host-07`): its instances GET gets
 * that host's instances, its volumes GET their volumes; one storage pool.
 */
const serve = (rawFile, socket) => {
  const recorded = JSON.parse(readFileSync(rawFile, 'utf8'));
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://incus');
    const host = Number(/^host-(\d+)$/.exec(url.searchParams.get('project') ?? '')?.[1] ?? 0);
    const body = url.pathname === '/1.0'
      ? JSON.stringify({ type: 'sync', status: 'Success', status_code: 200, metadata: { auth: 'trusted', environment: { server_version: '6.0.4', server_clustered: false } } })
      : url.pathname === '/1.0/instances'
      ? answer(url.searchParams.get('recursion') === '2' ? hostInstances(recorded, host) : hostInstances(recorded, host).map(withoutState))
      : url.pathname === '/1.0/storage-pools'
        ? answer(['/1.0/storage-pools/default'])
        : url.pathname === '/1.0/storage-pools/default/volumes'
          ? answer(hostVolumes(hostInstances(recorded, host)))
          : answer([]);
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  // Keep idle connections longer than the core's client does (10 s): a busy machine may leave one idle
  // past Node's default 5 s, and the core's next request on it would meet a closing connection.
  server.keepAliveTimeout = 60_000;
  server.listen(socket, () => process.send('ready'));
};

const HOST_NAMES = Array.from({ length: HOSTS }, (_, h) => `host-${String(h).padStart(2, '0')}`);
const READS = 3;

const rss = () => process.memoryUsage().rss;
const peak = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
const idle = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The configuration: the local host and 9 more on the same socket, each its own project (each a host of the fake daemon). */
const hostsFile = () => JSON.stringify({
  version: 1,
  hosts: HOST_NAMES.map((name, h) => ({ name: h === 0 ? 'local' : name, kind: 'local', project: name })),
});

/**
 * One reading, as the app's main process makes it: the tray's (every host's containers, without their
 * snapshots), the window's overview (its rows: each container's snapshots counted, the newest named)
 * and the window's reading of each host's whole list (containers.list: every snapshot, sent to the
 * window and dropped). Gives back what the process keeps: the tray's listing and the overview's rows.
 */
const reading = async (core) => {
  const tray = await core.pool.eachHost((service) => service.listContainerHeads());
  const rows = await core.handlers['containers.overview']({ snapshots: true });
  for (const { host } of rows) {
    const listed = (await core.handlers['containers.list']({ host })).reduce((n, container) => n + container.snapshots.length, 0);
    if (listed !== CONTAINERS * SNAPSHOTS) throw new Error(`${host}: containers.list read ${listed} snapshots, not ${CONTAINERS * SNAPSHOTS}`);
  }
  return [tray, rows];
};

const measure = async (rawFile) => {
  const dir = join(__dirname, '..', 'out', 'main');
  const chunk = readdirSync(dir).find((file) => /^core-.*\.js$/.test(file));
  if (!chunk) throw new Error('the core is not built: run `npm run build`');
  const { CoiCore } = require(join(dir, chunk));
  global.gc();
  const before = rss();

  const home = mkdtempSync(join(tmpdir(), 'coi-bench-memory-'));
  writeFileSync(join(home, 'hosts.json'), hostsFile());
  const socket = join(home, 'incus.socket');
  const daemon = fork(__filename, ['serve', rawFile, socket], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  await new Promise((resolve) => daemon.once('message', resolve));
  const core = await CoiCore.open({ configDir: home, home, env: { INCUS_SOCKET: socket }, platform: process.platform, liveEvents: false });
  try {
    let held = [];
    for (let read = 0; read < READS; read += 1) held = await reading(core);
    const [, rows] = held;
    const failed = rows.find((host) => host.error);
    if (failed) throw new Error(`${failed.host}: ${failed.error.message}`);
    const snapshots = rows.reduce((sum, host) => sum + host.containers.reduce((n, container) => n + container.snapshots.count, 0), 0);
    if (snapshots !== HOSTS * CONTAINERS * SNAPSHOTS) throw new Error(`read ${snapshots} snapshots, not ${HOSTS * CONTAINERS * SNAPSHOTS}`);
    await idle(10_000);
    const idleRss = rss();
    // Freed pages go back to the system after a collection (swept on helper threads): settle, then measure.
    global.gc();
    await idle(500);
    global.gc();
    await idle(1_000);
    process.stdout.write(`${JSON.stringify({ before, idle: idleRss, after: rss(), peak: peak(), snapshots, reads: READS, heapUsed: process.memoryUsage().heapUsed })}\n`);
  } finally {
    await core.close();
    daemon.kill();
    rmSync(home, { recursive: true, force: true });
  }
};

if (process.argv[2] === 'serve') serve(process.argv[3], process.argv[4]);
else if (!global.gc) throw new Error('run with node --expose-gc');
else measure(process.argv[2]).catch((error) => {
  process.stderr.write(`bench-memory failed: ${error.stack}\n`);
  process.exitCode = 1;
});
