import type { CoiEvent } from '../../shared/contract';
import type { HostRows } from '../../shared/model';
import type { CoiCore } from '../app/core';
import { quickSnapshot, quickSnapshotAll, runningContainers, type Notice, type Target } from '../app/quick-snapshot';
import { trayTemplate, type TrayAction, type TrayItem } from './tray-menu';

/** The few things the tray needs from Electron, injected so the tray runs under test with fakes. */
export interface TrayDeps {
  setMenu(items: TrayItem[], onAction: (action: TrayAction) => void): void;
  notify(notice: Notice): void;
  openWindow(): void;
  quit(): void;
  /** Remembers the container of the last quick snapshot (for the global shortcut). */
  used?(target: Target): void;
}

const REBUILD_ON = new Set(['hosts-changed', 'host-status']);

/** Keeps the tray menu in step with hosts and containers, and carries out its actions. */
export class TrayController {
  /** Each host's containers without their snapshots: the menu shows names and states only. */
  private overview: HostRows[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly onEvent = (event: CoiEvent) => {
    if (REBUILD_ON.has(event.type) || (event.type === 'lifecycle' && event.action.startsWith('instance-') && !event.action.startsWith('instance-snapshot'))) this.scheduleRefresh();
  };

  constructor(
    private readonly core: CoiCore,
    private readonly deps: TrayDeps,
    private readonly debounceMs = 500,
  ) {
    core.events.on('event', this.onEvent);
  }

  /** Reads every host's containers (the daemon's fast answer: no snapshots, which the menu does not show) and rebuilds the menu. */
  async refresh(): Promise<TrayItem[]> {
    this.overview = await this.core.pool.eachHost((service) => service.listContainerHeads());
    const items = trayTemplate(this.overview);
    this.deps.setMenu(items, (action) => void this.act(action));
    return items;
  }

  async act(action: TrayAction): Promise<void> {
    switch (action.kind) {
      case 'quick-snapshot':
        return this.snapshot({ host: action.host, container: action.container });
      case 'quick-snapshot-all':
        return this.deps.notify(await quickSnapshotAll(this.core.pool, runningContainers(this.overview)));
      case 'open':
        return this.deps.openWindow();
      case 'quit':
        return this.deps.quit();
    }
  }

  async snapshot(target: Target): Promise<void> {
    const notice = await quickSnapshot(this.core.pool, target);
    if (notice.ok) this.deps.used?.(target);
    this.deps.notify(notice);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.core.events.off('event', this.onEvent);
  }

  private scheduleRefresh(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh().catch(() => undefined), this.debounceMs);
  }
}
