// `npm run bench:ui`: how fast the UI shows and answers, in Debian's Chromium through web mode.
//  1. real: N containers × M snapshots (default 200 × 10) on the real daemon, in a project of its own;
//  2. scaled: the inventory recorded from (1), scaled up to 10 hosts × 500 containers × 50 snapshots
//     and served through the contract by this script alone (the product has no fake hosts).
// For each: the overview and a container page, time to first render and to interactive (median of R
// page loads), and the frame times while scrolling the longest list; for the page holding one container,
// where its own start goes (scripts, first call, answer, rows). `--renderer DIR` measures another build of
// the renderer; `--ab DIR` measures build DIR too, page by page right after the first (an A/B in one run,
// on the same containers, served the same way).
//   npx tsx scripts/bench-ui.ts [--containers 200] [--snapshots 10] [--runs 5] [--renderer out/renderer] [--ab DIR]
import { execFileSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { parseArgs } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import type { Handlers } from '../src/main/app/dispatch';
import { AppError } from '../src/main/errors';
import { containerRow, hostRows, type HostOverview } from '../src/shared/model';
import { startWebServer } from '../src/main/web/server';
import { createInventory, scale } from './bench-inventory';
import { observeFrames } from './bench-page';
import { BUILT_RENDERER, launchChromium } from '../test/helpers/chromium';
import { Fixtures } from '../test/helpers/incus';
import { openCore } from '../test/helpers/transports';

const { values: args } = parseArgs({
  options: { containers: { type: 'string', default: '200' }, snapshots: { type: 'string', default: '10' }, runs: { type: 'string', default: '5' }, renderer: { type: 'string', default: BUILT_RENDERER }, ab: { type: 'string' } },
});
const N = Number(args.containers);
const M = Number(args.snapshots);
const RUNS = Number(args.runs);
const rendererDir = args.renderer;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const ms = (value: number) => `${value.toFixed(0)} ms`;

interface PageTimes {
  firstRender: number;
  /** Every number on screen is final: no cell or card says "loading" any more. */
  complete: number;
  interactive: number;
  /** Where the page's start went (median of each step), for the breakdown line. */
  steps: Steps;
}

/** Milestones of a page load, ms after navigation: its scripts fetched, its first call sent and answered. */
interface Steps {
  scripts: number;
  callSent: number;
  answered: number;
}

/** The page's scripts fetched, its first call sent and answered (resource timing), ms after navigation. */
function readSteps(): Steps {
  const entries = performance.getEntriesByType('resource') as unknown as { name: string; startTime: number; responseEnd: number }[];
  const scripts = entries.filter((entry) => entry.name.endsWith('.js'));
  const calls = entries.filter((entry) => entry.name.includes('/api/call/'));
  return {
    // The entry and what it imports statically: fetched before anything runs (later ones are parts loaded when used).
    scripts: Math.max(...scripts.filter((entry) => entry.startTime <= scripts[0]!.responseEnd).map((entry) => entry.responseEnd)),
    callSent: Math.min(...calls.map((entry) => entry.startTime)),
    answered: Math.min(...calls.filter((entry) => entry.name.includes('containers.')).map((entry) => entry.responseEnd)),
  };
}

/**
 * Loads `hash` `RUNS` times (after a warm-up); first render = the frame that shows the first row (`firstRow`,
 * a selector), every number final = the frame after the last "loading", interactive = it answers a keystroke.
 */
async function measurePage(browser: Browser, url: string, hash: string, firstRow: string, interact: (page: Page) => Promise<void>): Promise<PageTimes> {
  const renders: number[] = [];
  const completes: number[] = [];
  const interactives: number[] = [];
  const steps: Steps[] = [];
  for (let run = 0; run <= RUNS; run += 1) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.addInitScript(observeFrames, firstRow);
    await page.goto(`${url}${hash}`);
    const read = () => page.evaluate(() => (globalThis as unknown as { benchTimes: { firstRender?: number; complete?: number } }).benchTimes);
    await page.waitForFunction(() => ((globalThis as unknown as { benchTimes: { complete?: number } }).benchTimes.complete ?? -1) > 0, undefined, { polling: 'raf', timeout: 60_000 });
    const times = await read();
    await interact(page);
    const interactive = await page.evaluate(() => performance.now());
    if (run > 0) {
      renders.push(times.firstRender!);
      completes.push(times.complete!);
      interactives.push(interactive);
      steps.push(await page.evaluate(readSteps));
    }
    await page.close();
  }
  const step = (key: keyof Steps) => median(steps.map((entry) => entry[key]));
  return { firstRender: median(renders), complete: median(completes), interactive: median(interactives), steps: { scripts: step('scripts'), callSent: step('callSent'), answered: step('answered') } };
}

/** Scrolls a list through `steps` screens, one per frame; returns the median and worst frame times. */
async function scrollFrames(page: Page, listName: string, steps = 120): Promise<{ median: number; worst: number }> {
  return page.evaluate(
    async ({ name, count }) => {
      // Runs in the page: typed loosely, as this file is compiled for Node.
      const page = globalThis as unknown as {
        document: { querySelector(selector: string): { scrollTop: number; clientHeight: number } };
        requestAnimationFrame(callback: () => void): void;
      };
      const list = page.document.querySelector(`[aria-label="${name}"]`);
      const frames: number[] = [];
      let last = performance.now();
      for (let i = 0; i < count; i += 1) {
        list.scrollTop += list.clientHeight;
        await new Promise<void>((resolve) => page.requestAnimationFrame(resolve));
        const now = performance.now();
        frames.push(now - last);
        last = now;
      }
      frames.sort((a, b) => a - b);
      return { median: frames[Math.floor(frames.length / 2)]!, worst: frames[frames.length - 1]! };
    },
    { name: listName, count: steps },
  );
}

interface InventoryTimes {
  lines: string[];
  overview: PageTimes;
}

async function measureInventory(browser: Browser, url: string, container: { host: string; name: string }, label: string): Promise<InventoryTimes> {
  // `url` ends in `#token=…`; a page of the app is opened by adding `&/route`.
  const overview = await measurePage(
    browser,
    url,
    '',
    '[aria-label="Containers on every host"] [role="row"]',
    async (page) => {
      await page.getByRole('searchbox', { name: 'Search containers' }).fill(container.name);
      await page.getByRole('button', { name: container.name, exact: true }).first().waitFor();
    },
  );
  const containerPage = await measurePage(
    browser,
    url,
    `&/host/${container.host}/container/${container.name}`,
    `[role="grid"][aria-label="Snapshots of ${container.name}"] [role="rowheader"]`,
    async (page) => {
      await page.keyboard.press('n');
      await page.getByRole('dialog', { name: /^Create snapshot/ }).waitFor();
    },
  );
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(url);
  await page.getByRole('checkbox', { name: 'All instances' }).check();
  await page.locator('[aria-label="Containers on every host"] [role="row"]').first().waitFor({ timeout: 60_000 });
  const frames = await scrollFrames(page, 'Containers on every host');
  await page.close();
  const lines = [
    `| ${label}: overview | ${ms(overview.firstRender)} | ${ms(overview.complete)} | ${ms(overview.interactive)} | ${frames.median.toFixed(1)} / ${frames.worst.toFixed(1)} ms |`,
    `| ${label}: container page | ${ms(containerPage.firstRender)} | ${ms(containerPage.complete)} | ${ms(containerPage.interactive)} | — |`,
  ];
  return { lines, overview };
}

/**
 * G5: a snapshot made in a terminal (`incus snapshot create`) → its row on the container page, from the
 * moment the command returned (both clocks are this machine's: epoch ms from each side's timeOrigin).
 */
async function eventToScreen(browser: Browser, url: string, own: Fixtures, container: string): Promise<number> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${url}&/host/local/container/${container}`);
  await page.getByRole('grid', { name: `Snapshots of ${container}` }).getByRole('rowheader').first().waitFor({ timeout: 60_000 });
  const delays: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const name = `event-${run}`;
    const seen = page.evaluate(
      (text) =>
        new Promise<number>((resolve) => {
          // Runs in the page: typed loosely, as this file is compiled for Node.
          interface Observer {
            observe(target: unknown, options: object): void;
            disconnect(): void;
          }
          const page = globalThis as unknown as { document: { body: { textContent: string | null } }; MutationObserver: new (callback: () => void) => Observer };
          const observer = new page.MutationObserver(() => {
            if (!page.document.body.textContent?.includes(text)) return;
            observer.disconnect();
            resolve(performance.timeOrigin + performance.now());
          });
          observer.observe(page.document.body, { childList: true, subtree: true, characterData: true });
        }),
      name,
    );
    await own.incus('snapshot', 'create', container, name);
    const returned = performance.timeOrigin + performance.now();
    delays.push((await seen) - returned);
  }
  await page.close();
  return median(delays);
}

/** How long the daemon itself takes to answer the overview's request, measured with curl. */
async function daemonAnswer(project: string, recursion: 1 | 2): Promise<number> {
  const socket = process.env.INCUS_SOCKET ?? '/var/lib/incus/unix.socket';
  const samples: number[] = [];
  for (let run = 0; run <= RUNS; run += 1) {
    const started = performance.now();
    execFileSync('curl', ['-sf', '--unix-socket', socket, `http://incus/1.0/instances?recursion=${recursion}&project=${project}`, '-o', '/dev/null']);
    if (run > 0) samples.push(performance.now() - started);
  }
  return median(samples);
}

/** The calls the UI makes at load, answered from the scaled inventory; everything else says it is a benchmark. */
function inventoryHandlers(inventory: HostOverview[]): Handlers {
  const byName = new Map(inventory.map((host) => [host.host, host]));
  const host = (name: string) => byName.get(name) ?? (() => { throw new AppError('not-found', `no host ${name}`); })();
  const unsupported = async (): Promise<never> => {
    throw new AppError('invalid-input', 'the UI benchmark serves a recorded inventory: read-only');
  };
  const handlers: Partial<Handlers> = {
    'hosts.list': async () => inventory.map((entry) => ({ config: { kind: 'ssh' as const, name: entry.host, user: 'ada', host: `${entry.host}.lan`, port: 22, identityFiles: [] }, status: entry.status })),
    // As the core answers it: every container read with its snapshots, tallied per call.
    'containers.overview': async ({ snapshots }) => inventory.map((entry) => (snapshots ? hostRows(entry) : { ...entry, containers: entry.containers.map((container) => ({ ...containerRow(container), snapshots: null })) })),
    'containers.list': async ({ host: name }) => host(name).containers,
    'containers.get': async ({ host: name, container }) => host(name).containers.find((candidate) => candidate.name === container) ?? (() => { throw new AppError('not-found', `no container ${container}`); })(),
    'operations.list': async () => [],
  };
  return new Proxy(handlers as Handlers, { get: (target, name: string) => target[name as keyof Handlers] ?? unsupported });
}

/** A build of the renderer to measure: the one `npm run build` made, and with `--ab DIR` another one beside it. */
interface Build {
  label: string;
  dir: string;
}

async function main(): Promise<void> {
  const builds: Build[] = [{ label: '', dir: rendererDir }, ...(args.ab ? [{ label: ' (build B)', dir: args.ab }] : [])];
  const browser = await launchChromium();
  const own = await Fixtures.inProject('benchui');
  const { core } = await openCore();
  const lines = ['| inventory: page | first render | every number final | interactive | scroll frame median / worst |', '| --- | ---: | ---: | ---: | ---: |'];
  const steps: string[] = [];
  const stepLine = (label: string, times: PageTimes) => `| ${label} | ${ms(times.steps.scripts)} | ${ms(times.steps.callSent)} | ${ms(times.steps.answered)} | ${ms(times.firstRender)} | ${ms(times.complete)} |`;
  /** Measures `label`'s pages, as `handlers` answer them, with each build; the first build's overview times. */
  const served = async (handlers: Handlers, events: NodeJS.EventEmitter, container: { host: string; name: string }, label: string): Promise<PageTimes> => {
    const overviews: PageTimes[] = [];
    for (const build of builds) {
      const server = await startWebServer({ handlers, events, rendererDir: build.dir });
      try {
        const measured = await measureInventory(browser, `${server.url}#token=${server.token}`, container, `${label}${build.label}`);
        lines.push(...measured.lines);
        steps.push(stepLine(`${label}${build.label}`, measured.overview));
        overviews.push(measured.overview);
      } finally {
        await server.close();
      }
    }
    return overviews[0]!;
  };
  let real: PageTimes | undefined;
  let fastMs = 0;
  let recorded: HostOverview | undefined;
  let daemonMs = 0;
  let eventMs = 0;
  try {
    process.stderr.write(`Creating ${N} containers × ${M} snapshots in project ${own.project}…\n`);
    const names = await createInventory(own, N, M);
    await core.registry.add({ kind: 'local', name: 'local', project: own.project });
    process.stderr.write('Measuring the daemon alone…\n');
    daemonMs = await daemonAnswer(own.project!, 2);
    fastMs = await daemonAnswer(own.project!, 1);
    process.stderr.write('Measuring the real inventory…\n');
    real = await served(core.handlers, core.events, { host: 'local', name: names[N - 1]! }, `real ${N} × ${M}`);
    process.stderr.write('Measuring a snapshot made in a terminal → its row on screen…\n');
    const server = await startWebServer({ handlers: core.handlers, events: core.events, rendererDir });
    try {
      eventMs = await eventToScreen(browser, `${server.url}#token=${server.token}`, own, names[0]!);
    } finally {
      await server.close();
    }
    recorded = (await core.pool.overview())[0];
  } finally {
    process.stderr.write('Removing the benchmark containers…\n');
    await core.close();
    await own.cleanup();
  }
  let scaledTimes: PageTimes;
  let tiny: PageTimes;
  try {
    const inventory = scale(recorded!, 10, 500, 50);
    process.stderr.write('Measuring the scaled inventory (10 hosts × 500 containers × 50 snapshots)…\n');
    scaledTimes = await served(inventoryHandlers(inventory), new EventEmitter(), { host: 'host-09', name: inventory[9]!.containers[499]!.name }, 'scaled 10 × 500 × 50');
    // The peer of the scaled overview: the same page, served the same way, holding one container.
    const one = scale(recorded!, 1, 1, 1);
    process.stderr.write('Measuring the same page with one container…\n');
    tiny = await served(inventoryHandlers(one), new EventEmitter(), { host: 'host-00', name: one[0]!.containers[0]!.name }, 'one container');
  } finally {
    await browser.close();
  }
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
  lines.push(
    '',
    `G4 first rows (real ${N} instances): names and states ${ms(real.firstRender)} after navigation (target ≤ 300 ms); the daemon's fast answer (recursion=1) alone takes ${ms(fastMs)}, its slow one (recursion=2) ${ms(daemonMs)}: first rows at ${ratio(real.firstRender, daemonMs)} of the slow answer, every count final at ${ms(real.complete)} (${ratio(real.complete, daemonMs)}).`,
    `G4 scaled 10 × 500 × 50: every number final ${ms(scaledTimes.complete)} after navigation (target < 500 ms); the same page with one container: ${ms(tiny.complete)} (${ratio(scaledTimes.complete, tiny.complete)}).`,
    '',
    "Where the overview's start goes (ms after navigation, median): its first scripts fetched, its first call sent, the first containers answer, the first row on screen, every number final:",
    '',
    '| overview | scripts fetched | first call sent | first answer | first row | every number final |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...steps,
    '',
    `G5: a snapshot made in a terminal is on the container page ${ms(eventMs)} after \`incus snapshot create\` returned (median of ${RUNS}; target ≤ 300 ms).`,
    '',
    `For scale: the daemon alone answers \`/1.0/instances?recursion=2\` for the real inventory in ${ms(daemonMs)} (curl, median of ${RUNS}); the overview's counts wait for that answer, its names and states do not.`,
  );
  const chromium = execFileSync('/usr/bin/chromium', ['--version']).toString().trim().split(' ')[1];
  const named = builds.map((build) => `${build.label ? 'B' : 'renderer'} ${build.dir}`).join(', ');
  process.stdout.write(`UI timings in Chromium ${chromium}, web mode (${named}), median of ${RUNS} page loads:\n\n${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:ui failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1); // what it made is removed by then; an open browser would keep the process alive
});
