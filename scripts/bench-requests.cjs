'use strict';
// What the daemon pays for each way of asking it for a snapshot listing (issue 10, G1): in one process,
// each way timed in turn per round, so every way sees the same load; medians of RUNS rounds. Asks about
// the instances already there whose names start with --prefix (as the listing prints only COI containers;
// make your own first, e.g. `incus init` + `incus snapshot create`); `recursion=2` answers for all of them.
//   node scripts/bench-requests.cjs [--prefix coi-] [--project P] [--runs 7] [--concurrency 4]
// Every request has its own connection, written at once and closed after its answer (Incus 6.0.4 freezes
// its local API while an accepted connection stays silent). Prints a Markdown table per kind of figure.
const { request } = require('node:http');
const { parseArgs } = require('node:util');

const { values: args } = parseArgs({ options: { prefix: { type: 'string', default: '' }, project: { type: 'string' }, runs: { type: 'string', default: '7' }, concurrency: { type: 'string', default: '4' } } });
const SOCKET = process.env.INCUS_SOCKET ?? '/var/lib/incus/unix.socket';
const RUNS = Number(args.runs);
const CONCURRENCY = Number(args.concurrency);

/** The metadata of the daemon's answer to `GET path` (in --project); an error answer throws. */
const get = (path) => {
  const target = args.project ? `${path}${path.includes('?') ? '&' : '?'}project=${encodeURIComponent(args.project)}` : path;
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: SOCKET, path: target, agent: false, headers: { host: 'incus', connection: 'close' } }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        const answer = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (res.statusCode === 200) resolve(answer.metadata);
        else reject(new Error(`GET ${target}: ${res.statusCode} ${answer.error}`));
      });
    });
    req.on('error', reject);
    req.end();
  });
};

/** `each(item)` for every item, CONCURRENCY at a time. */
const pool = async (items, each) => {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, async () => {
    while (next < items.length) await each(items[next++]);
  }));
};

const instancePath = (name) => `/1.0/instances/${encodeURIComponent(name)}`;
/** The names of the instances (of `GET /1.0/instances?recursion=1`) this run asks about. */
const mine = (instances) => instances.map((instance) => instance.name).filter((name) => name.startsWith(args.prefix));
const nameOf = (url) => decodeURIComponent(url.slice(url.lastIndexOf('/') + 1).split('?')[0]);

/** Whole listings: each way gets what `snapshot list --all` prints (or says what it lacks). */
const LISTINGS = {
  'GET /1.0/instances?recursion=2 (what the listing asks: state and snapshots)': () => get('/1.0/instances?recursion=2'),
  'GET /1.0/instances?recursion=1 (names and statuses only, no snapshots)': () => get('/1.0/instances?recursion=1'),
  [`recursion=1, then GET …/NAME/snapshots?recursion=1 per container, ${CONCURRENCY} at a time`]: async () => {
    await pool(mine(await get('/1.0/instances?recursion=1')), (name) => get(`${instancePath(name)}/snapshots?recursion=1`));
  },
  [`recursion=1, then …/NAME/snapshots (names), then GET each snapshot, ${CONCURRENCY} at a time`]: async () => {
    const snapshots = [];
    await pool(mine(await get('/1.0/instances?recursion=1')), async (name) => snapshots.push(...(await get(`${instancePath(name)}/snapshots`)).map((url) => [name, nameOf(url)])));
    await pool(snapshots, ([name, snapshot]) => get(`${instancePath(name)}/snapshots/${encodeURIComponent(snapshot)}`));
  },
  'GET /1.0/storage-pools/POOL/volumes?recursion=1, every pool (created_at and description; no expires_at, no stateful)': async () => {
    const pools = await get('/1.0/storage-pools');
    await Promise.all(pools.map((url) => get(`/1.0/storage-pools/${encodeURIComponent(nameOf(url))}/volumes?recursion=1`)));
  },
};

/** One instance at a time: where `recursion=2`'s work per instance goes. */
const PER_INSTANCE = {
  'GET /1.0/instances/NAME (the instance, as recursion=1 renders it)': (name) => get(instancePath(name)),
  'GET /1.0/instances/NAME/state (its state alone)': (name) => get(`${instancePath(name)}/state`),
  'GET /1.0/instances/NAME?recursion=1 (as recursion=2 renders it: state and snapshots)': (name) => get(`${instancePath(name)}?recursion=1`),
  'GET /1.0/instances/NAME/snapshots?recursion=1 (its snapshots, each with its size asked of the pool)': (name) => get(`${instancePath(name)}/snapshots?recursion=1`),
};

/** Milliseconds `work` takes. */
const elapsed = async (work) => {
  const start = performance.now();
  await work();
  return performance.now() - start;
};

const table = (title, samples, unit) => {
  const rows = Object.entries(samples).map(([label, values]) => {
    values.sort((a, b) => a - b);
    return { label, median: values[values.length >> 1], min: values[0], max: values.at(-1) };
  });
  const base = rows[0].median;
  return [title, '', `| way | median ${unit} | min–max | vs first |`, '| --- | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.label} | ${r.median.toFixed(1)} | ${r.min.toFixed(1)}–${r.max.toFixed(1)} | ${(r.median / base).toFixed(2)}× |`), ''].join('\n');
};

const main = async () => {
  const names = mine(await get('/1.0/instances?recursion=1'));
  if (names.length === 0) throw new Error(`no instances named ${args.prefix}… to ask about: make some first`);
  const all = await get('/1.0/instances?recursion=2');
  const snapshots = all.filter((instance) => names.includes(instance.name)).reduce((sum, instance) => sum + (instance.snapshots?.length ?? 0), 0);
  const listings = Object.fromEntries(Object.keys(LISTINGS).map((label) => [label, []]));
  const perInstance = Object.fromEntries(Object.keys(PER_INSTANCE).map((label) => [label, []]));
  for (const work of Object.values(LISTINGS)) await work(); // warm-up
  for (let round = 0; round < RUNS; round += 1) {
    for (const [label, work] of Object.entries(LISTINGS)) listings[label].push(await elapsed(work));
    for (const [label, work] of Object.entries(PER_INSTANCE)) perInstance[label].push((await elapsed(async () => { for (const name of names) await work(name); })) / names.length);
  }
  const load = require('node:fs').readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
  process.stdout.write(`${names.length} instances named ${args.prefix}… with ${snapshots} snapshots (${all.length} instances in all)${args.project ? ` (project ${args.project})` : ''}, ${RUNS} rounds, load ${load}\n\n`);
  process.stdout.write(`${table('Whole listing:', listings, 'ms')}\n`);
  process.stdout.write(table('One instance at a time (sequential, per instance):', perInstance, 'ms'));
};

main().catch((error) => {
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
});
