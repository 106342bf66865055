// `npm run screenshots`: pictures of the app for the docs, taken in Debian's Chromium through web mode
// against the real daemon. A few demo containers and snapshots are made in an Incus project of the
// script's own (removed at the end), then the overview, a container page, its Schedule and retention
// tab and the changes since one of its snapshots (with one file's diff) are shot at 1280×800, 800×600
// and 200% zoom (a 1280×800 window at 200% lays out as 640×400 CSS pixels), light and dark, and the
// retention confirmation at 1280×800:
//   docs/screenshots/{overview,container,schedule,diff}-{1280x800,800x600,zoom200}-{light,dark}.png
//   docs/screenshots/retention-apply-1280x800-{light,dark}.png
//   npx tsx scripts/screenshots.ts [--out docs/screenshots]
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import type { CoiCore } from '../src/main/app/core';
import { startWebServer, type WebServer } from '../src/main/web/server';
import { BUILT_RENDERER as rendererDir, launchChromium } from '../test/helpers/chromium';
import { Fixtures } from '../test/helpers/incus';
import { openCore } from '../test/helpers/transports';

const { values: args } = parseArgs({ options: { out: { type: 'string', default: join(__dirname, '..', 'docs', 'screenshots') } } });
const OUT = resolve(args.out);

const SIZES = [
  { name: '1280x800', width: 1280, height: 800, deviceScaleFactor: 1 },
  { name: '800x600', width: 800, height: 600, deviceScaleFactor: 1 },
  { name: 'zoom200', width: 640, height: 400, deviceScaleFactor: 2 },
] as const;
const SCHEMES = ['light', 'dark'] as const;

/** The demo inventory: COI containers of two workspaces (one running) and one plain instance. */
const WORKSPACE = 'coi-5f2a91c3-1';
const DEMO: { name: string; running?: boolean; snapshots: string[] }[] = [
  { name: WORKSPACE, running: true, snapshots: ['snap-20261126-090000', 'snap-20261126-100000', 'before-refactor', 'snap-20261126-110000', 'tests-green', 'snap-20261127-091500', 'snap-20261127-093000'] },
  { name: 'coi-5f2a91c3-2', snapshots: ['baseline'] },
  { name: 'coi-0b7e44d1-1', snapshots: ['fresh-clone', 'deps-installed'] },
  { name: 'webapp-staging', snapshots: [] },
];

/** What an agent's work looks like in the workspace's container: files before its first snapshot, and the edits after it. */
const PROJECT_BEFORE = [
  'mkdir -p /root/project/lib /root/project/docs',
  "printf '#!/bin/sh\\nset -e\\n. ./lib/util.sh\\nlog starting\\nrun_tests\\n' > /root/project/app.sh",
  "printf 'log() { echo \"[app] $*\"; }\\nrun_tests() { log tests; }\\n' > /root/project/lib/util.sh",
  "printf '# Project\\n\\nRun ./app.sh to start.\\nTests run with ./app.sh too.\\n' > /root/project/README.md",
  "printf 'old design notes\\n' > /root/project/docs/notes.txt",
].join(' && ');
const PROJECT_AFTER = [
  "printf '# Project\\n\\nRun ./app.sh to start.\\nRun ./lib/check.sh for the linters.\\nTests run with ./app.sh too.\\n' > /root/project/README.md",
  "printf 'log() { echo \"[app] $*\" >&2; }\\nrun_tests() { log tests; ./lib/check.sh; }\\n' > /root/project/lib/util.sh",
  "printf '#!/bin/sh\\necho lint ok\\n' > /root/project/lib/check.sh",
  'chmod 755 /root/project/app.sh /root/project/lib/check.sh',
  'rm /root/project/docs/notes.txt',
].join(' && ');

async function makeDemo(own: Fixtures, core: CoiCore): Promise<void> {
  for (const demo of DEMO) {
    await own.launch(demo.name, { stopped: !demo.running });
    if (demo.name === WORKSPACE) await own.incus('exec', demo.name, '--', 'sh', '-c', PROJECT_BEFORE);
    for (const snapshot of demo.snapshots) await own.incus('snapshot', 'create', demo.name, snapshot);
    if (demo.name === WORKSPACE) await own.incus('exec', demo.name, '--', 'sh', '-c', PROJECT_AFTER);
  }
  // `incus snapshot create` of Incus 6.0 takes no expiry: the app's own call sets one.
  const week = new Date(Date.now() + 7 * 86_400_000).toISOString();
  await core.handlers['snapshots.create']({ host: 'local', container: WORKSPACE, name: 'nightly', stateful: false, includeMounts: false, expiresAt: week });
  // Incus snapshots the workspace every 30 minutes, and a policy keeps the newest three and one an hour for a day.
  await core.handlers['schedule.set']({ host: 'local', container: WORKSPACE, every: '30m', stopped: false, expiry: null });
  await core.handlers['retention.set']({ host: 'local', container: WORKSPACE, policy: { keepLast: 3, hourly: 24, daily: 7, weekly: 0, monthly: 0, includeNamed: false } });
}

/** Opens `hash` at one size and scheme and waits until `ready` is on screen. */
async function openAt(browser: Browser, server: WebServer, size: (typeof SIZES)[number], scheme: (typeof SCHEMES)[number], hash: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: size.width, height: size.height }, deviceScaleFactor: size.deviceScaleFactor, colorScheme: scheme, reducedMotion: 'reduce' });
  await page.goto(`${server.url}#token=${server.token}&${hash}`);
  return page;
}

async function shoot(browser: Browser, server: WebServer): Promise<string[]> {
  const written: string[] = [];
  for (const size of SIZES) {
    for (const scheme of SCHEMES) {
      const overview = await openAt(browser, server, size, scheme, '/');
      await overview.getByRole('button', { name: WORKSPACE, exact: true }).waitFor();
      await overview.locator('[role="cell"][aria-busy="true"]').first().waitFor({ state: 'detached' }); // the snapshot counts are in
      written.push(await save(overview, `overview-${size.name}-${scheme}.png`));
      await overview.close();

      const container = await openAt(browser, server, size, scheme, `/host/local/container/${WORKSPACE}`);
      await container.getByRole('heading', { name: WORKSPACE }).waitFor();
      await container.getByText('nightly', { exact: true }).first().waitFor();
      written.push(await save(container, `container-${size.name}-${scheme}.png`));
      await container.close();

      const schedule = await openAt(browser, server, size, scheme, `/host/local/container/${WORKSPACE}/schedule`);
      await schedule.getByText(/^Incus takes a snapshot every 30 minutes/).waitFor();
      await schedule.getByText(/^Stored policy:/).waitFor();
      written.push(await save(schedule, `schedule-${size.name}-${scheme}.png`));
      if (size.name === '1280x800') {
        await schedule.getByLabel('Keep the last', { exact: true }).fill('2');
        await schedule.getByRole('button', { name: /^(Save and apply|Apply again)…$/ }).click();
        await schedule.getByRole('dialog').getByText(/will be deleted|No snapshot goes now/).waitFor();
        written.push(await save(schedule, `retention-apply-${size.name}-${scheme}.png`));
      }
      await schedule.close();

      const diff = await openAt(browser, server, size, scheme, `/host/local/container/${WORKSPACE}/changes/before-refactor`);
      await diff.getByRole('button', { name: /^modified: README\.md/ }).click({ timeout: 120_000 });
      await diff.getByRole('table', { name: /^Changes in \/root\/project\/README\.md/ }).waitFor();
      written.push(await save(diff, `diff-${size.name}-${scheme}.png`));
      await diff.close();
    }
  }
  return written;
}

async function save(page: Page, file: string): Promise<string> {
  const path = join(OUT, file);
  await page.screenshot({ path, animations: 'disabled', caret: 'hide' });
  return path;
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const own = await Fixtures.inProject('shots');
  const { core } = await openCore();
  const browser = await launchChromium();
  try {
    process.stderr.write(`Making the demo containers in project ${own.project}…\n`);
    await core.registry.add({ kind: 'local', name: 'local', displayName: 'This machine', project: own.project });
    await makeDemo(own, core);
    const server = await startWebServer({ handlers: core.handlers, events: core.events, backups: core.transfers, rendererDir });
    try {
      for (const path of await shoot(browser, server)) process.stdout.write(`${path}\n`);
    } finally {
      await server.close();
    }
  } finally {
    process.stderr.write('Removing the demo containers…\n');
    await browser.close();
    await core.close();
    await own.cleanup();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`Error: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
});
