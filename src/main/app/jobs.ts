import type { OperationSummary } from '../../shared/model';
import { AppError } from '../errors';

interface Job {
  host: string;
  controller: AbortController;
  summary: OperationSummary;
}

export interface JobRun {
  signal: AbortSignal;
  /** Shows `text` and `percent` in the drawer; `stalledSeconds` (a transfer that stands still) marks it stalled. */
  progress: (text: string, percent: number | null, stalledSeconds?: number) => void;
}

/**
 * Long work of this app itself (a snapshot diff) shown among a host's Incus operations: announced
 * as `operation` events while it runs, listed by `operations.list`, cancelled by `operations.cancel`
 * with its id — so the operations drawer shows and cancels it like any Incus operation.
 */
export class AppJobs {
  private readonly running = new Map<string, Job>();

  constructor(private readonly announce: (host: string, operation: OperationSummary) => void) {}

  /** Runs `work` as job `id` (a fresh id when absent); its end (success, failure, cancel) is announced too. */
  async run<T>(host: string, id: string | undefined, description: string, instances: string[], work: (job: JobRun) => Promise<T>): Promise<T> {
    const jobId = id ?? crypto.randomUUID();
    if (this.running.has(jobId)) throw new AppError('already-exists', `a job with id ${jobId} is already running`);
    const controller = new AbortController();
    const summary: OperationSummary = {
      id: jobId,
      description,
      status: 'Running',
      createdAt: new Date().toISOString(),
      mayCancel: true,
      progress: null,
      percent: null,
      error: '',
      instances,
    };
    const job: Job = { host, controller, summary };
    this.running.set(jobId, job);
    this.announce(host, summary);
    const progress = (text: string, percent: number | null, stalledSeconds = 0) => {
      job.summary = { ...job.summary, progress: text, percent: percent !== null && percent >= 0 && percent <= 100 ? percent : null, stalledSeconds };
      this.announce(host, job.summary);
    };
    try {
      const result = await work({ signal: controller.signal, progress });
      this.finish(jobId, { status: 'Success', progress: null, percent: 100, stalledSeconds: 0 });
      return result;
    } catch (error) {
      const cancelled = controller.signal.aborted;
      this.finish(jobId, { status: cancelled ? 'Cancelled' : 'Failure', progress: null, stalledSeconds: 0, error: error instanceof Error ? error.message : String(error) });
      if (cancelled) throw new AppError('operation-failed', `${description} cancelled: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    }
  }

  /** Cancels job `id` of `host`; false when no such job runs (it may be an Incus operation). */
  cancel(host: string, id: string): boolean {
    const job = this.running.get(id);
    if (!job || job.host !== host) return false;
    job.controller.abort();
    return true;
  }

  /** The jobs running on `host`. */
  list(host: string): OperationSummary[] {
    return [...this.running.values()].filter((job) => job.host === host).map((job) => job.summary);
  }

  private finish(id: string, change: Partial<OperationSummary>): void {
    const job = this.running.get(id);
    if (!job) return;
    this.running.delete(id);
    this.announce(job.host, { ...job.summary, ...change, mayCancel: false });
  }
}
