import { fireEvent, render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { createCoiApi } from '../../src/shared/coi-api';
import type { CallName } from '../../src/shared/contract';
import type { DiffEntry, DiffFileResult, DiffResult, FileStat } from '../../src/shared/diff';
import DiffPage from '../../src/renderer/src/components/DiffPage.svelte';
import { changesOf, countsText, countsWords, diffRows, filterChanges, patchLines, sideBySide } from '../../src/renderer/src/lib/diff-view';
import { pageTitle, parseRoute, routeHash } from '../../src/renderer/src/lib/router.svelte';
import { clock } from '../../src/renderer/src/lib/ui-state.svelte';

const stat = (kind: FileStat['kind'], size: number, more: Partial<FileStat> = {}): FileStat => ({ kind, size, mode: '0644', uid: 0, gid: 0, mtime: '2026-11-27T03:00:00Z', ...more });
const entry = (path: string, before: FileStat | null, after: FileStat | null, changes: DiffEntry['changes'] = []): DiffEntry => ({ path, kind: (after ?? before)!.kind, before, after, changes });

function result(overrides: Partial<DiffResult> = {}): DiffResult {
  return {
    host: 'local', container: 'c1',
    from: { snapshot: 'before-ai', time: '2026-11-27T02:00:00Z' }, to: { snapshot: null, time: '2026-11-27T03:00:00Z' },
    paths: [], excluded: ['/proc', '/tmp'],
    summary: { added: 2, deleted: 1, modified: 1, metadata: 1, compared: { from: 10, to: 11 } },
    added: [entry('/root/new.txt', null, stat('file', 12)), entry('/usr/bin/jq', null, stat('file', 2048))],
    deleted: [entry('/root/old.txt', stat('file', 5), null)],
    modified: [entry('/etc/hosts', stat('file', 100), stat('file', 120), ['content'])],
    metadata: [entry('/root/run.sh', stat('file', 30), stat('file', 30, { mode: '0755' }), ['mode'])],
    packages: { managers: ['apk'], installed: [{ name: 'jq', version: '1.7-r0' }], removed: [], upgraded: [{ name: 'curl', from: '8.5.0-r0', to: '8.9.1-r0' }] },
    cached: { from: true, to: false },
    ...overrides,
  };
}

const textDiff: DiffFileResult = {
  host: 'local', container: 'c1', path: '/etc/hosts', from: { snapshot: 'before-ai', time: '' }, to: { snapshot: null, time: '' },
  before: stat('file', 100, { sha256: 'a'.repeat(64) }), after: stat('file', 120, { sha256: 'b'.repeat(64) }),
  content: { type: 'text', same: false, unified: '…', hunks: [{ oldStart: 1, oldLines: 3, newStart: 1, newLines: 3, lines: [' 127.0.0.1 localhost', '-10.0.0.1 old', '+10.0.0.2 new', ' ::1 localhost'] }] },
};

/** A `window.coi` whose calls `answer` decides (a promise: it may never settle), noting every call. */
function fakeCoi(answer: (name: CallName, input: Record<string, unknown>) => Promise<unknown>) {
  const calls: { name: CallName; input: Record<string, unknown> }[] = [];
  const api = createCoiApi(
    async (name, input) => {
      calls.push({ name, input: input as Record<string, unknown> });
      return answer(name, input as Record<string, unknown>);
    },
    () => () => undefined,
  );
  Object.defineProperty(window, 'coi', { value: api, configurable: true, writable: true });
  return calls;
}
const ok = (value: unknown) => Promise.resolve({ ok: true, value });

describe('the changed-files list', () => {
  it('groups paths by directory, with counts as markers and in words', () => {
    const rows = diffRows(changesOf(result()));
    expect(rows.map((row) => (row.kind === 'dir' ? `${row.dir} ${countsText(row.counts)}` : `  ${row.name}`))).toEqual([
      '/etc ~1', '  hosts',
      '/root +1 −1 *1', '  new.txt', '  old.txt', '  run.sh',
      '/usr/bin +1', '  jq',
    ]);
    const root = rows.find((row) => row.kind === 'dir' && row.dir === '/root');
    expect(root?.kind === 'dir' && countsWords(root.counts)).toBe('1 added, 1 deleted, 1 metadata changed');
    const run = changesOf(result()).find((change) => change.path === '/root/run.sh');
    expect(run?.detail).toBe('mode 0644 → 0755');
  });

  it('filters on every word of the path', () => {
    expect(filterChanges(changesOf(result()), 'root txt').map((change) => change.path)).toEqual(['/root/new.txt', '/root/old.txt']);
    expect(filterChanges(changesOf(result()), 'nothing')).toEqual([]);
  });
});

describe('text diffs', () => {
  it('numbers the lines of a hunk on both sides and pairs removed with added lines side by side', () => {
    const lines = patchLines(textDiff.content.type === 'text' ? textDiff.content.hunks : []);
    expect(lines.map((line) => [line.kind, line.old, line.new])).toEqual([['hunk', null, null], ['context', 1, 1], ['del', 2, null], ['add', null, 2], ['context', 3, 3]]);
    const pairs = sideBySide(lines);
    expect(pairs.map((pair) => [pair.left?.text ?? null, pair.right?.text ?? null])).toEqual([
      ['@@ -1,3 +1,3 @@', null], ['127.0.0.1 localhost', '127.0.0.1 localhost'], ['10.0.0.1 old', '10.0.0.2 new'], ['::1 localhost', '::1 localhost'],
    ]);
  });
});

describe('diff routes', () => {
  it('round-trips a snapshot-vs-now and a two-snapshot comparison, and titles the window', () => {
    const since = { page: 'diff', host: 'local', container: 'c1', from: 'before-ai' } as const;
    const between = { page: 'diff', host: 'h 2', container: 'c1', from: 'a', to: 'b' } as const;
    expect(parseRoute(routeHash(since))).toEqual(since);
    expect(parseRoute(routeHash(between))).toEqual(between);
    expect(pageTitle(since)).toBe('Changes since before-ai · c1 · COI Desktop');
    expect(pageTitle(between)).toBe('a → b · c1 · COI Desktop');
  });
});

describe('the diff page', () => {
  it('shows the changes with text labels, the left-out paths, packages, and a chosen file as a diff', async () => {
    const calls = fakeCoi((name) => (name === 'snapshots.diff' ? ok(result()) : name === 'snapshots.diffFile' ? ok(textDiff) : ok([])));
    render(DiffPage, { host: 'local', container: 'c-show', from: 'before-ai' });
    const hosts = await screen.findByRole('button', { name: /^modified: hosts/ });
    expect(calls.find((call) => call.name === 'snapshots.diff')?.input).toMatchObject({ host: 'local', container: 'c-show', from: 'before-ai', to: null, allPaths: false, jobId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(screen.getByRole('button', { name: /^added: new\.txt/ })).toBeTruthy();
    expect(screen.getByText(/Not compared, as they change all the time/).textContent).toContain('/proc, /tmp');
    expect(screen.getByRole('tab', { name: 'Packages (2)' })).toBeTruthy();

    await fireEvent.click(hosts);
    const table = await screen.findByRole('table', { name: 'Changes in /etc/hosts, unified' });
    expect(table.textContent).toContain('removed line');
    expect(table.textContent).toContain('10.0.0.2 new');
    expect(calls.find((call) => call.name === 'snapshots.diffFile')?.input).toEqual({ host: 'local', container: 'c-show', from: 'before-ai', to: null, path: '/etc/hosts' });

    await userEvent.click(screen.getByRole('button', { name: 'Include all paths' }));
    expect(calls.filter((call) => call.name === 'snapshots.diff').at(-1)?.input).toMatchObject({ allPaths: true });
  });

  it('says honestly when nothing changed', async () => {
    fakeCoi((name) => (name === 'snapshots.diff' ? ok(result({ added: [], deleted: [], modified: [], metadata: [], packages: null, summary: { added: 0, deleted: 0, modified: 0, metadata: 0, compared: { from: 1, to: 1 } } })) : ok([])));
    render(DiffPage, { host: 'local', container: 'c-same', from: 'before-ai' });
    expect((await screen.findByText(/^Nothing changed between before-ai and now/)).textContent).toContain('outside the paths left out');
    expect(screen.getByRole('tab', { name: 'Packages (not compared)' })).toBeTruthy();
    expect(screen.getByRole('status').textContent).toBe('Compared before-ai and now: no file changed; no package database.');
  });

  it('cancels a running comparison by its job id and says it was cancelled', async () => {
    let fail: (value: unknown) => void = () => undefined;
    const calls = fakeCoi((name) => {
      if (name === 'snapshots.diff') return new Promise((resolve) => (fail = resolve));
      if (name === 'operations.cancel') {
        fail({ ok: false, error: { code: 'operation-failed', message: 'the snapshot diff was cancelled' } });
        return ok(null);
      }
      return ok([]);
    });
    render(DiffPage, { host: 'local', container: 'c-cancel', from: 'before-ai' });
    expect(screen.getByText('Comparing before-ai and now…', { selector: 'strong' })).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Cancel comparison' }));
    await screen.findByText('The comparison was cancelled.', { selector: 'strong' });
    const jobId = calls.find((call) => call.name === 'snapshots.diff')?.input.jobId;
    expect(calls.find((call) => call.name === 'operations.cancel')?.input).toEqual({ host: 'local', id: jobId });
  });

  it('says what happened and what to do next when the comparison fails', async () => {
    fakeCoi((name) => (name === 'snapshots.diff' ? Promise.resolve({ ok: false, error: { code: 'not-found', message: "snapshot 'before-ai' of c-fail does not exist" } }) : ok([])));
    render(DiffPage, { host: 'local', container: 'c-fail', from: 'before-ai' });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe("Could not compare before-ai and now: snapshot 'before-ai' of c-fail does not exist");
    expect(screen.getByText('Go back to c-fail and pick a snapshot that exists.')).toBeTruthy();
  });
});

describe('the diff page for keyboard and screen reader users', () => {
  it('announces the comparison and then its result in one live region that stays in the page', async () => {
    let answer: (value: unknown) => void = () => undefined;
    fakeCoi((name) => (name === 'snapshots.diff' ? new Promise((resolve) => (answer = resolve)) : ok([])));
    render(DiffPage, { host: 'local', container: 'c-live', from: 'before-ai' });
    const status = screen.getByRole('status');
    expect(status.textContent).toBe('Comparing before-ai and now…');
    answer({ ok: true, value: result() });
    await screen.findByRole('button', { name: /^modified: hosts/ });
    expect(status.isConnected).toBe(true);
    expect(status.textContent).toBe('Compared before-ai and now: 5 changed paths (2 added, 1 deleted, 1 modified, 1 metadata changed); 2 packages changed.');
    await userEvent.type(screen.getByRole('searchbox', { name: 'Filter paths' }), 'root');
    expect(status.textContent).toBe('3 of 5 changed paths match “root”.');
  });

  it('keeps focus in the page when Compare again replaces the button that was used', async () => {
    let attempt = 0;
    fakeCoi((name) => {
      if (name !== 'snapshots.diff') return ok([]);
      attempt += 1;
      return attempt === 1 ? Promise.resolve({ ok: false, error: { code: 'incus', message: 'Incus is busy' } }) : new Promise(() => undefined);
    });
    render(DiffPage, { host: 'local', container: 'c-again', from: 'before-ai' });
    await screen.findByRole('alert');
    const again = screen.getAllByRole('button', { name: 'Compare again' }).at(-1)!;
    again.focus();
    await userEvent.keyboard('{Enter}');
    await screen.findByText('Comparing before-ai and now…', { selector: 'strong' });
    expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'Changes since before-ai', level: 1 }));
    await userEvent.click(screen.getByRole('button', { name: 'Cancel comparison' }));
    await screen.findByText('The comparison was cancelled.', { selector: 'strong' });
    expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'Changes since before-ai', level: 1 }));
  });

  it('says a comparison that just ended was made "just now", also when the page clock has not ticked since', async () => {
    fakeCoi((name) => (name === 'snapshots.diff' ? ok(result()) : ok([])));
    clock.now = Date.now() - 10_000; // the page's clock ticks once a second; the run ends between two ticks
    render(DiffPage, { host: 'local', container: 'c-moments', from: 'before-ai' });
    const note = await screen.findByText(/^Compared /, { selector: 'p.note' });
    expect(note.textContent).toMatch(/^\s*Compared just now in \d+\.\d s/);
  });
});
