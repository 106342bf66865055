// The overview's first rows for N real containers × M snapshots (as `npm run bench:ui` measures them), with
// the whole web mode (core and renderer) of two or more checkouts side by side in one process, page load by
// page load in turn (A B, then B A, …): an A/B of a change to the core, which `bench:ui --ab` (another
// renderer beside the same core) cannot measure, and fair on a shared machine whose load drifts.
// Each tree must be built (`npm run build`: its out/renderer) and have its node_modules.
//   npx tsx scripts/bench-ui-trees.ts [--containers 200] [--snapshots 10] [--runs 9] [--project P] TREE_A TREE_B…
// `--project P` uses the containers already in Incus project P (left as they are); otherwise they are made
// in a project of their own and removed at the end.
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { createInventory } from './bench-inventory';
import { observeFrames } from './bench-page';
import { launchChromium } from '../test/helpers/chromium';
import { Fixtures } from '../test/helpers/incus';
import type { openCore } from '../test/helpers/transports';
import type { startWebServer } from '../src/main/web/server';

// Each tree's own modules, loaded from that tree, typed as this tree's.
type OpenCore = typeof openCore;
type StartWebServer = typeof startWebServer;

const { values: args, positionals: trees } = parseArgs({
  allowPositionals: true,
  options: { containers: { type: 'string', default: '200' }, snapshots: { type: 'string', default: '10' }, runs: { type: 'string', default: '9' }, project: { type: 'string' } },
});
const RUNS = Number(args.runs);
const FIRST_ROW = '[aria-label="Containers on every host"] [role="row"]';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const load = () => loadavg()[0]!.toFixed(1);

interface Load {
  firstRow: number;
  /** The first containers answer's last byte (resource timing). */
  answered: number;
  complete: number;
}

/** One page load of the overview: its first row, first containers answer and every number final, ms after navigation. */
async function loadOverview(page: Page, url: string): Promise<Load> {
  await page.addInitScript(observeFrames, FIRST_ROW);
  await page.goto(url);
  await page.waitForFunction(() => ((globalThis as unknown as { benchTimes: { complete?: number } }).benchTimes.complete ?? -1) > 0, undefined, { polling: 'raf', timeout: 60_000 });
  return page.evaluate(() => {
    const times = (globalThis as unknown as { benchTimes: { firstRender: number; complete: number } }).benchTimes;
    const calls = (performance.getEntriesByType('resource') as unknown as { name: string; responseEnd: number }[]).filter((entry) => entry.name.includes('/api/call/containers.'));
    return { firstRow: times.firstRender, answered: Math.min(...calls.map((entry) => entry.responseEnd)), complete: times.complete };
  });
}

async function main(): Promise<void> {
  if (trees.length < 2) throw new Error('name two or more checkouts to compare');
  const own = args.project ? undefined : await Fixtures.inProject('benchtrees');
  const project = args.project ?? own!.project!;
  const browser = await launchChromium();
  const served: { tree: string; url: string; close: () => Promise<void> }[] = [];
  try {
    if (own) {
      process.stderr.write(`Creating ${args.containers} containers × ${args.snapshots} snapshots in project ${project}…\n`);
      await createInventory(own, Number(args.containers), Number(args.snapshots));
    }
    for (const tree of trees.map((path) => resolve(path))) {
      const transports = (await import(join(tree, 'test/helpers/transports.ts'))) as { openCore: OpenCore };
      const web = (await import(join(tree, 'src/main/web/server.ts'))) as { startWebServer: StartWebServer };
      const { core } = await transports.openCore();
      await core.registry.add({ kind: 'local', name: 'local', project });
      const server = await web.startWebServer({ handlers: core.handlers, events: core.events, rendererDir: join(tree, 'out', 'renderer') });
      served.push({ tree, url: `${server.url}#token=${server.token}`, close: async () => (await server.close(), await core.close()) });
    }
    const loads: Load[][] = served.map(() => []);
    const loadAtStart = load();
    for (let run = 0; run <= RUNS; run += 1) {
      const order = served.map((_, index) => index);
      if (run % 2 === 1) order.reverse();
      for (const index of order) {
        const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
        const measured = await loadOverview(page, served[index]!.url);
        await page.close();
        if (run > 0) loads[index]!.push(measured); // the first round warms each core up
      }
    }
    const lines = served.map(({ tree }, index) => {
      const of = (key: keyof Load) => `${median(loads[index]!.map((entry) => entry[key])).toFixed(0)} ms`;
      return `| ${tree} | ${of('firstRow')} | ${of('answered')} | ${of('complete')} |`;
    });
    process.stdout.write(
      `The overview of ${project}, navigation → (median of ${RUNS} page loads per tree, in turn; load ${loadAtStart} at the start, ${load()} at the end):\n\n` +
        `| tree | first row | first containers answer | every number final |\n| --- | ---: | ---: | ---: |\n${lines.join('\n')}\n`,
    );
  } finally {
    for (const entry of served) await entry.close();
    await browser.close();
    await own?.cleanup();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench-ui-trees failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
