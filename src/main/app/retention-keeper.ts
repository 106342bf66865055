import type { CoiEvent } from '../../shared/contract';
import { RETENTION_KEY } from '../../shared/retention';
import { toErrorInfo } from '../errors';
import type { HostPool } from '../hosts/pool';
import { applyPlan, instancesWithPolicy, planFor } from '../snapshots/retention';
import { readInstance } from '../snapshots/service';

export interface RetentionKeeperOptions {
  /** How long after a new snapshot the policy is applied (several snapshots in a row: once). */
  debounceMs?: number;
  /** How often every container with a policy on every online host is applied again. */
  everyMs?: number;
}

/**
 * While the app runs, it re-applies each container's retention policy after every new snapshot (a
 * scheduled one included) and every hour, so a snapshot leaves the newest N on time instead of
 * waiting for the next `retention apply`. Each result is an event (`retention-applied`); a policy
 * that cannot be read is reported there, never guessed. Offline hosts are not dialled.
 */
export class RetentionKeeper {
  private readonly pending = new Map<string, NodeJS.Timeout>();
  /** One apply at a time per container; another request while it runs applies once more afterwards. */
  private readonly running = new Map<string, Promise<void>>();
  private readonly rerun = new Set<string>();
  private readonly hourly: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly pool: HostPool,
    private readonly hosts: () => string[],
    private readonly emit: (event: CoiEvent) => void,
    private readonly options: RetentionKeeperOptions = {},
  ) {
    this.hourly = setInterval(() => void this.applyEverywhere(), options.everyMs ?? 3_600_000);
    this.hourly.unref();
  }

  /** Feed every core event here: a new snapshot schedules an apply of its container. */
  readonly hear = (event: CoiEvent): void => {
    if (event.type !== 'lifecycle' || event.action !== 'instance-snapshot-created' || !event.container) return;
    this.soon(event.host, event.container);
  };

  private soon(host: string, container: string): void {
    const key = `${host}\u0000${container}`;
    clearTimeout(this.pending.get(key));
    const timer = setTimeout(() => {
      this.pending.delete(key);
      void this.applyOne(host, container);
    }, this.options.debounceMs ?? 2_000);
    timer.unref();
    this.pending.set(key, timer);
  }

  /** Every container with a policy on every online host. */
  async applyEverywhere(): Promise<void> {
    for (const host of this.hosts()) {
      if (this.closed || this.pool.status(host).state !== 'online') continue;
      const instances = await instancesWithPolicy(this.pool.client(host)).catch(() => []);
      for (const instance of instances) await this.applyOne(host, instance.name);
    }
  }

  /** Applies one container's stored policy, if it has one; the outcome goes out as an event. */
  applyOne(host: string, container: string): Promise<void> {
    const key = `${host}\u0000${container}`;
    const current = this.running.get(key);
    if (current) {
      this.rerun.add(key);
      return current;
    }
    const run = this.apply(host, container).finally(() => {
      this.running.delete(key);
      if (this.rerun.delete(key) && !this.closed) void this.applyOne(host, container);
    });
    this.running.set(key, run);
    return run;
  }

  private async apply(host: string, container: string): Promise<void> {
    if (this.closed) return;
    try {
      const client = this.pool.client(host);
      const instance = await readInstance(client, container);
      if ((instance.expanded_config[RETENTION_KEY] ?? '').trim() === '') return;
      const result = await applyPlan(client, planFor(instance, undefined, Date.now()));
      const failed = result.failed.length > 0 ? { error: `${result.failed.length} expiry write(s) failed: ${result.failed.map((f) => `${f.name}: ${f.error}`).join('; ')}` } : {};
      this.emit({ type: 'retention-applied', host, container, applied: result.applied, going: result.plan.counts.going, ...failed });
    } catch (error) {
      if (!this.closed) this.emit({ type: 'retention-applied', host, container, applied: 0, going: 0, error: toErrorInfo(error).message });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.hourly);
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
    await Promise.allSettled([...this.running.values()]);
  }
}
