import type { DiffResult } from '../../../shared/diff';
import type { ErrorInfo } from '../../../shared/errors';
import { call, CallError, errorText } from './api';
import { app } from './app-state.svelte';
import { count } from './format';

/** What to compare: a snapshot with the container as it is now (`to` unset), or two snapshots. */
export interface DiffRequest {
  host: string;
  container: string;
  from: string;
  to?: string;
  /** Compare the paths left out by default (`/proc`, `/tmp`, caches, …) too. */
  allPaths: boolean;
}

/** One comparison, from the click to its result; kept while the app runs, so going back to it shows it again. */
export interface DiffRun {
  request: DiffRequest;
  /** The comparison's `jobId`: its progress in the Operations drawer, and what Cancel names. */
  jobId: string;
  state: 'running' | 'done' | 'failed' | 'cancelled';
  result?: DiffResult;
  error?: ErrorInfo;
  startedAt: number;
  finishedAt?: number;
}

/** "before-ai with now", "before-ai with after-tests". */
export function comparisonLabel(request: Pick<DiffRequest, 'container' | 'from' | 'to'>): string {
  return `Compare ${request.from} of ${request.container} with ${request.to ?? 'now'}`;
}

const keyOf = (request: DiffRequest) => JSON.stringify([request.host, request.container, request.from, request.to ?? null, request.allPaths]);

/**
 * The comparisons asked for in this window. A comparison runs once per request until the user asks
 * again (*Compare again*); leaving its page does not stop it, and its progress and Cancel are in the
 * Operations drawer as well as on the page.
 */
class DiffRuns {
  private runs = $state<Record<string, DiffRun>>({});

  get(request: DiffRequest): DiffRun | undefined {
    return this.runs[keyOf(request)];
  }

  /** Starts the comparison (again, when `fresh`), unless it is running. */
  start(request: DiffRequest, fresh = false): void {
    const key = keyOf(request);
    const current = this.runs[key];
    if (current && (current.state === 'running' || !fresh)) return;
    const run: DiffRun = { request, jobId: crypto.randomUUID(), state: 'running', startedAt: Date.now() };
    this.runs[key] = run;
    void this.compare(key, run);
  }

  /** Asks the core to cancel the comparison; its call then ends, and the run says it was cancelled. */
  async cancel(request: DiffRequest): Promise<void> {
    const run = this.get(request);
    if (!run || run.state !== 'running') return;
    this.runs[keyOf(request)] = { ...run, state: 'cancelled' };
    await call('operations.cancel', { host: request.host, id: run.jobId }).catch((error: unknown) => app.toast('error', `Could not cancel the comparison: ${errorText(error)}`));
  }

  private async compare(key: string, run: DiffRun): Promise<void> {
    const { host, container, from, to, allPaths } = run.request;
    const label = comparisonLabel(run.request);
    try {
      const result = await call('snapshots.diff', { host, container, from, to: to ?? null, allPaths, jobId: run.jobId });
      if (this.runs[key]?.jobId !== run.jobId) return;
      this.runs[key] = { ...run, state: 'done', result, finishedAt: Date.now() };
      app.addHistory(label, true, summaryText(result));
    } catch (error) {
      if (this.runs[key]?.jobId !== run.jobId) return;
      const info: ErrorInfo = error instanceof CallError ? error.info : { code: 'internal', message: errorText(error) };
      // Cancelled here, or with the drawer's Cancel (the core then says the operation was cancelled).
      const cancelled = this.runs[key]?.state === 'cancelled' || (info.code === 'operation-failed' && /cancel/i.test(info.message));
      this.runs[key] = { ...run, state: cancelled ? 'cancelled' : 'failed', error: info, finishedAt: Date.now() };
      app.addHistory(label, false, cancelled ? 'cancelled' : info.message);
    }
  }
}

/** "3 added, 1 deleted, 2 modified, 0 with metadata changes; 4 packages changed". */
export function summaryText(diff: DiffResult): string {
  const { added, deleted, modified, metadata } = diff.summary;
  const files = `${added} added, ${deleted} deleted, ${modified} modified, ${metadata} with metadata changes`;
  const packages = diff.packages ? diff.packages.installed.length + diff.packages.removed.length + diff.packages.upgraded.length : 0;
  return `${files}; ${count(packages, 'package')} changed`;
}

export const diffRuns = new DiffRuns();
