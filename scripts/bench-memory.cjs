'use strict';
// Run by `npm run bench` (node --expose-gc scripts/bench-memory.cjs RAW.json): the resident memory of
// the built core (out/main, as the Electron main process loads it) holding 10 hosts × 500 containers ×
// 50 snapshots that it read itself. A fake daemon in a child process answers each `recursion=2` GET
// with one host's instances, made from RAW.json (the daemon's own answer for the benchmark's
// containers) scaled to 500 × 50; the core reads the hosts 4 at a time as its host pool does, through
// its Incus client and snapshot service (which reads each answer instance by instance as it arrives),
// and keeps the listings as the tray does. The figure is taken
// once the process has been idle for 10 s (V8's memory reducer gives back the pages the answers took),
// after a full garbage collection. Prints `{"before", "after", "peak", "snapshots", "heapUsed"}` in bytes:
// before is the code alone, after the steady figure, peak the most the process held while reading,
// heapUsed the JavaScript heap in use then (the listings and the code's own objects). Run with `node
// --single-threaded-gc` (as `npm run bench` also does), it shows what V8's GC helper threads keep.
const { fork } = require('node:child_process');
const { mkdtempSync, readdirSync, readFileSync, rmSync } = require('node:fs');
const { createServer } = require('node:http');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const HOSTS = 10;
const CONTAINERS = 500;
const SNAPSHOTS = 50;
const CONCURRENCY = 4;

/** One host's `GET /1.0/instances?recursion=2` answer: the recorded instances and snapshots, repeated and renamed. */
const hostAnswer = (recorded, host) => {
  const seed = recorded.flatMap((instance) => instance.snapshots ?? []);
  const metadata = Array.from({ length: CONTAINERS }, (_, c) => {
    const model = recorded[c % recorded.length];
    const name = `coi-${(host * CONTAINERS + c).toString(16).padStart(8, '0')}-1`;
    const snapshots = Array.from({ length: SNAPSHOTS }, (_, s) => {
      const from = seed[(c + s) % seed.length];
      const createdAt = new Date(Date.parse(from.created_at) - (c * SNAPSHOTS + s) * 60_000).toISOString();
      return { ...from, name: `snap-${String(s).padStart(3, '0')}-${from.name}`.slice(0, 63), created_at: createdAt };
    });
    return { ...model, name, snapshots };
  });
  return JSON.stringify({ type: 'sync', status: 'Success', status_code: 200, metadata });
};

/** The fake daemon (child process): each instances GET gets the next host's answer; no pools. */
const serve = (rawFile, socket) => {
  const recorded = JSON.parse(readFileSync(rawFile, 'utf8'));
  let host = 0;
  const server = createServer((req, res) => {
    const body = req.url.startsWith('/1.0/instances?recursion=2')
      ? hostAnswer(recorded, host++ % HOSTS)
      : JSON.stringify({ type: 'sync', status: 'Success', status_code: 200, metadata: [] });
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  // Keep idle connections longer than the core's client does (10 s): a busy machine may leave one idle
  // past Node's default 5 s, and the core's next request on it would meet a closing connection.
  server.keepAliveTimeout = 60_000;
  server.listen(socket, () => process.send('ready'));
};

const rss = () => process.memoryUsage().rss;
const peak = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
const idle = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const measure = async (rawFile) => {
  const dir = join(__dirname, '..', 'out', 'main');
  const chunk = readdirSync(dir).find((file) => /^core-.*\.js$/.test(file));
  if (!chunk) throw new Error('the core is not built: run `npm run build`');
  const { CoiCore } = require(join(dir, chunk));
  global.gc();
  const before = rss();

  const home = mkdtempSync(join(tmpdir(), 'coi-bench-memory-'));
  const socket = join(home, 'incus.socket');
  const daemon = fork(__filename, ['serve', rawFile, socket], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  await new Promise((resolve) => daemon.once('message', resolve));
  const core = await CoiCore.open({ configDir: home, home, env: { INCUS_SOCKET: socket }, platform: process.platform, liveEvents: false });
  try {
    const service = core.pool.service('local');
    const held = [];
    const queue = Array.from({ length: HOSTS }, (_, h) => `host-${String(h).padStart(2, '0')}`);
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      for (let host = queue.shift(); host !== undefined; host = queue.shift()) held.push({ host, containers: await service.listContainers() });
    }));
    // Idle as the app is between refreshes; the array buffers a collection frees are swept after it.
    await idle(10_000);
    global.gc();
    await idle(500);
    global.gc();
    const snapshots = held.reduce((sum, host) => sum + host.containers.reduce((n, container) => n + container.snapshots.length, 0), 0);
    process.stdout.write(`${JSON.stringify({ before, after: rss(), peak: peak(), snapshots, heapUsed: process.memoryUsage().heapUsed })}\n`);
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
