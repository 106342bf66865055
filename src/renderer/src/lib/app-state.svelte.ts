import type { CoiEvent, HostSummary } from '../../../shared/contract';
import type { HostStatus } from '../../../shared/hosts';
import type { Container, HostOverview, HostRows, OperationSummary, Transfer } from '../../../shared/model';
import { containerRow, hostRows } from '../../../shared/rows';
import { call, errorText } from './api';
import { transferOutcome } from './backups.svelte';

export interface Toast {
  id: number;
  tone: 'ok' | 'error';
  text: string;
  /** A button on the toast, such as *Undo*. */
  action?: ToastAction;
}

export interface ToastAction {
  label: string;
  run: () => void;
}

/** How a dialog's action ended: its value, or the reason it failed for the dialog to show. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: string };

/** An action the user started here, and how it ended: the operations drawer's history. */
export interface HistoryEntry {
  id: number;
  at: number;
  label: string;
  ok: boolean;
  detail: string;
}

export interface PassphraseRequest {
  requestId: string;
  host: string;
  keyFile: string;
  attempt: number;
}

const POLL_MS = 5_000;
/** The statuses an Incus operation (or an app job) ends in. */
const ENDED = new Set(['Success', 'Failure', 'Cancelled']);
const LIVE_DEBOUNCE_MS = 150;
/** Lifecycle actions that add, remove or rename an instance: the host's list is read again, not one container. */
const LIST_CHANGING_ACTIONS = new Set(['instance-created', 'instance-deleted', 'instance-renamed']);

/**
 * Resolves once the next frame has been painted (a task after its animation frame), or after 250 ms: a
 * hidden page (a window not shown yet, a tab in the background) paints no frame.
 */
function afterPaint(): Promise<void> {
  return new Promise((resolve) => {
    requestAnimationFrame(() => setTimeout(resolve, 0));
    setTimeout(resolve, 250);
  });
}

/**
 * What the renderer knows: hosts, each host's containers and snapshots, running operations and the
 * history of results. Incus events keep it current within a second; a host whose event stream is
 * unavailable is polled instead.
 */
class AppState {
  hosts = $state<HostSummary[]>([]);
  /**
   * Each host's containers as the lists show them (snapshots tallied; null while not read yet),
   * replaced whole on every read: raw state, no deep proxies over thousands of rows.
   */
  rows = $state.raw<Record<string, HostRows>>({});
  /**
   * The containers read with every snapshot, for the pages that show them (a container page, its
   * dialogs): a host's whole list after `containers.list`, or the containers read one by one.
   */
  overview = $state.raw<Record<string, HostOverview>>({});
  /**
   * When each host's containers were last read successfully (ms). A host that stops answering keeps
   * its last good inventory, shown as "last known" with this time, instead of losing it.
   */
  knownAt = $state<Record<string, number>>({});
  /** Hosts whose inventory is the last known one: the host is unreachable or its latest read failed. */
  stale = $state<Record<string, boolean>>({});
  operations = $state<Record<string, OperationSummary[]>>({});
  history = $state<HistoryEntry[]>([]);
  toasts = $state<Toast[]>([]);
  passphrases = $state<PassphraseRequest[]>([]);
  loaded = $state(false);
  loadError = $state<string | null>(null);
  private polled = new Set<string>();
  /** Overview reads under way: a host coming online meanwhile is in their answer, not read a second time. */
  private overviewReads = 0;
  /** Told when rows are taken: the overview's slow phase is asked once the first ones are on screen. */
  private rowsShown: (() => void) | undefined;
  /** Hosts whose rows have tallied snapshots: the fast phase of the overview no longer replaces them. */
  private tallied = new Set<string>();
  private pending = new Map<string, ReturnType<typeof setTimeout>>();
  private pendingContainers = new Map<string, ReturnType<typeof setTimeout>>();
  private nextId = 1;
  /** How many host-status events have come, and each host's latest one with the count at it: see `statusSince`. */
  private statusEvents = 0;
  private latestStatus = new Map<string, { at: number; status: HostStatus }>();
  private ticks = 0;
  private started = false;
  /** The read `readFirst` began, until the container page takes it. */
  private firstRead: { key: string; read: Promise<string | null> } | undefined;

  start(): void {
    if (this.started) return;
    this.started = true;
    window.coi.on((event) => this.onEvent(event));
    void this.refreshAll();
    setInterval(() => this.poll(), POLL_MS);
  }

  async refreshAll(): Promise<void> {
    this.overviewReads += 1;
    const since = this.statusEvents;
    // The hosts and their containers' names and states (tens of milliseconds) at once; the snapshots'
    // tallies (the daemon's slow answer) once the first host's rows are on screen (or the fast read has
    // ended without any): asked with them, the daemon spends both cores of a small machine on its slow
    // answer while the page builds its first rows (~100 ms later for 200 instances here).
    const shown = new Promise<void>((resolve) => (this.rowsShown = resolve));
    const hosts = call('hosts.list', {});
    const fast = call('containers.overview', { snapshots: false });
    const fastEnded = fast.then(
      () => undefined,
      () => undefined,
    );
    const full = Promise.race([shown, fastEnded])
      .then(afterPaint)
      .then(() => call('containers.overview', { snapshots: true }));
    // Awaited below once the hosts are in; a failure of hosts.list leaves them unawaited but handled.
    void fast.catch(() => undefined);
    void full.catch(() => undefined);
    try {
      this.hosts = (await hosts).map((summary) => ({ ...summary, status: this.statusSince(summary.config.name, since, summary.status) }));
      // A removed host leaves nothing behind: no inventory, no polling.
      const known = new Set(this.hosts.map((host) => host.config.name));
      this.overview = Object.fromEntries(Object.entries(this.overview).filter(([host]) => known.has(host)));
      this.rows = Object.fromEntries(Object.entries(this.rows).filter(([host]) => known.has(host)));
      for (const host of this.tallied) if (!known.has(host)) this.tallied.delete(host);
      for (const host of Object.keys(this.knownAt)) if (!known.has(host)) delete this.knownAt[host];
      for (const host of Object.keys(this.stale)) if (!known.has(host)) delete this.stale[host];
      for (const host of this.polled) if (!known.has(host)) this.polled.delete(host);
      // Names and states as soon as they come; the fast phase never replaces tallied rows (setRows).
      const first = fast.then((all) => all.forEach((host) => this.setRows(host, since)));
      for (const host of await full) this.setRows(host, since);
      await first.catch(() => undefined);
      this.loadError = null;
    } catch (error) {
      this.loadError = errorText(error);
    } finally {
      this.overviewReads -= 1;
      this.loaded = true;
    }
    // A host that came online while the overview was read, after its own read had failed: read it now.
    for (const summary of this.hosts) {
      const name = summary.config.name;
      if (summary.status.state === 'online' && (this.rows[name]?.error || this.stale[name])) this.soon(name);
    }
  }

  /** Reads one host again (after a change, an event, or on the poll). */
  async refreshHost(host: string): Promise<void> {
    try {
      const containers = await call('containers.list', { host });
      this.setHost({ host, status: this.statusOf(host), containers, ...this.membersOf(host) });
    } catch (error) {
      this.setHost({ host, status: this.statusOf(host), containers: [], error: { code: 'incus', message: errorText(error) } });
    }
  }

  /**
   * Reads one container with its snapshots (a light request): a container page does not wait for its
   * whole host. Resolves with the reason it could not be read, or null.
   */
  async refreshContainer(host: string, name: string): Promise<string | null> {
    try {
      this.showContainer(host, await call('containers.get', { host, container: name }));
      return null;
    } catch (error) {
      return errorText(error);
    }
  }

  /** Begins reading the container of a page opened directly (start.ts), before that page's code has arrived. */
  readFirst(host: string, name: string): void {
    this.firstRead = { key: JSON.stringify([host, name]), read: this.refreshContainer(host, name) };
  }

  /** The read a container page opens with: the one begun at start for it (taken once), or a new one. */
  openContainer(host: string, name: string): Promise<string | null> {
    const first = this.firstRead;
    this.firstRead = undefined;
    return first?.key === JSON.stringify([host, name]) ? first.read : this.refreshContainer(host, name);
  }

  /** Puts a container just read (or just made, by Branch) into its host's lists, so its page shows it at once. */
  showContainer(host: string, container: Container): void {
    const previous = this.overview[host];
    const others = (previous?.containers ?? []).filter((candidate) => candidate.name !== container.name);
    this.setOverview(host, { host, status: previous?.status ?? this.statusOf(host), ...(previous?.error ? { error: previous.error } : {}), ...this.membersOf(host), containers: [...others, container] });
    const listed = this.rows[host];
    if (listed) {
      const rest = listed.containers.filter((candidate) => candidate.name !== container.name);
      this.rows = { ...this.rows, [host]: { ...listed, containers: [...rest, containerRow(container)] } };
    }
  }

  /** A cluster's members as last read with the whole host or in the overview (a single host's or container's read does not bring them). */
  private membersOf(host: string): Pick<HostOverview, 'members'> {
    const members = this.overview[host]?.members ?? this.rows[host]?.members;
    return members ? { members } : {};
  }

  /** Whether `host` has answered at least once (with its containers or with a failure): until then its numbers are unknown. */
  isLoaded(host: string): boolean {
    return host in this.rows;
  }

  async refreshOperations(host: string): Promise<void> {
    this.operations[host] = await call('operations.list', { host }).catch(() => this.operations[host] ?? []);
  }

  /**
   * Runs a user action: its result goes to the history and a toast; the host is read again
   * right away (events would bring it too, a moment later).
   */
  async act<T>(label: string, host: string, run: () => Promise<T>, done: (value: T) => string): Promise<T | undefined> {
    try {
      const value = await run();
      this.record(label, true, done(value));
      void this.refreshHost(host);
      return value;
    } catch (error) {
      this.record(label, false, errorText(error));
      void this.refreshHost(host);
      return undefined;
    }
  }

  /**
   * Runs a dialog's action: success goes to the history and a toast (with `action`, such as *Undo*);
   * a failure goes to the history and comes back for the dialog to show inside itself, not as a toast
   * hidden behind it.
   */
  async attempt<T>(label: string, host: string, run: () => Promise<T>, done: (value: T) => string, action?: (value: T) => ToastAction | undefined): Promise<Outcome<T>> {
    try {
      const value = await run();
      const detail = done(value);
      this.addHistory(label, true, detail);
      this.toast('ok', detail, action?.(value));
      void this.refreshHost(host);
      return { ok: true, value };
    } catch (error) {
      this.addHistory(label, false, errorText(error));
      void this.refreshHost(host);
      return { ok: false, error: errorText(error) };
    }
  }

  record(label: string, ok: boolean, detail: string): void {
    this.addHistory(label, ok, detail);
    this.toast(ok ? 'ok' : 'error', ok ? detail : `${label} failed: ${detail}`);
  }

  /**
   * A toast stays 4 s (10 s for an error). One with a button such as *Undo* stays until the user uses
   * or dismisses it: an action that runs out on a timer is lost to whoever reads slowly or moves by
   * keyboard (WCAG 2.2.1).
   */
  toast(tone: Toast['tone'], text: string, action?: ToastAction): void {
    const id = this.nextId++;
    this.toasts = [...this.toasts, { id, tone, text, action }];
    if (!action) setTimeout(() => (this.toasts = this.toasts.filter((toast) => toast.id !== id)), tone === 'error' ? 10_000 : 4_000);
  }

  /** Adds a result to the operations drawer's history, without a toast (the page that asked shows it). */
  addHistory(label: string, ok: boolean, detail: string): void {
    const id = this.nextId++;
    this.history = [{ id, at: Date.now(), label, ok, detail }, ...this.history].slice(0, 200);
  }

  dismissToast(id: number): void {
    this.toasts = this.toasts.filter((toast) => toast.id !== id);
  }

  answerPassphrase(requestId: string, passphrase: string | null): void {
    this.passphrases = this.passphrases.filter((request) => request.requestId !== requestId);
    void call('hosts.answerPassphrase', { requestId, passphrase }).catch(() => undefined);
  }

  private setOverview(host: string, value: HostOverview): void {
    this.overview = { ...this.overview, [host]: value };
  }

  private statusOf(host: string): HostStatus {
    return this.hosts.find((summary) => summary.config.name === host)?.status ?? this.overview[host]?.status ?? { state: 'online', latencyMs: 0 };
  }

  /** Takes a host's containers read with every snapshot: for its pages, and tallied for its lists. */
  private setHost(host: HostOverview): void {
    const previous = this.overview[host.host];
    this.setOverview(host.host, host.error ? { ...this.membersOf(host.host), ...host, containers: previous?.containers ?? host.containers } : host);
    this.setRows(hostRows(host));
  }

  /**
   * A host's status as a read begun when `since` status events had come reported it, unless a newer
   * one has come since: a read's answer never takes a host back to an older status (a finished
   * test's result replaced by the "offline" of an overview that began before it).
   */
  private statusSince(host: string, since: number, read: HostStatus): HostStatus {
    const latest = this.latestStatus.get(host);
    return latest && latest.at > since ? latest.status : read;
  }

  /**
   * Takes a host's rows, from a read begun when `since` status events had come (by default, now: an
   * event's rows). A failed read keeps the containers of the last good one, marked stale (the
   * renderer's "last known" data), rather than replacing them with an empty list. The fast phase
   * (rows without snapshots) never replaces rows whose snapshots are tallied: it would show less.
   */
  private setRows(read: HostRows, since = this.statusEvents): void {
    this.rowsShown?.();
    const host = { ...read, status: this.statusSince(read.host, since, read.status) };
    const name = host.host;
    const previous = this.rows[name];
    if (host.error) {
      this.rows = { ...this.rows, [name]: { ...(previous?.members ? { members: previous.members } : {}), ...host, containers: previous?.containers ?? host.containers } };
      this.stale[name] = previous !== undefined && previous.containers.length > 0;
    } else {
      const tallied = host.containers.every((container) => container.snapshots !== null);
      if (!tallied && this.tallied.has(name)) return;
      if (tallied) this.tallied.add(name);
      this.rows = { ...this.rows, [name]: host };
      this.knownAt[name] = Date.now();
      this.stale[name] = false;
    }
    this.hosts = this.hosts.map((summary) => (summary.config.name === name ? { ...summary, status: host.status } : summary));
  }

  /** A host that cannot be reached (or refuses us) makes what is shown of it the last known data. */
  private onStatus(host: string, status: HostStatus): void {
    this.statusEvents += 1;
    this.latestStatus.set(host, { at: this.statusEvents, status });
    this.hosts = this.hosts.map((summary) => (summary.config.name === host ? { ...summary, status } : summary));
    const full = this.overview[host];
    if (full) this.setOverview(host, { ...full, status });
    const known = this.rows[host];
    if (known) this.rows = { ...this.rows, [host]: { ...known, status } };
    if (status.state === 'online') {
      if ((!known || known.error || this.stale[host]) && this.overviewReads === 0) this.soon(host);
    } else if (known && known.containers.length > 0 && !['idle', 'connecting'].includes(status.state)) {
      this.stale[host] = true;
    }
  }

  private onEvent(event: CoiEvent): void {
    switch (event.type) {
      case 'overview-host':
        return this.setRows(event.overview);
      case 'host-status':
        return this.onStatus(event.host, event.status);
      case 'hosts-changed':
        return void this.refreshAll();
      case 'lifecycle':
        if (event.container && !LIST_CHANGING_ACTIONS.has(event.action)) return this.soonContainer(event.host, event.container);
        return this.soon(event.host);
      case 'operation':
        return this.onOperation(event.host, event.operation);
      case 'events-unavailable':
        this.polled.add(event.host);
        return;
      case 'events-restored':
        this.polled.delete(event.host);
        return this.soon(event.host); // what changed while it was down
      case 'transfer':
        return this.onTransfer(event.transfer);
      case 'passphrase-request':
        this.passphrases = [...this.passphrases, { requestId: event.requestId, host: event.host, keyFile: event.keyFile, attempt: event.attempt }];
        return;
    }
  }

  /** A backup export or import that ended goes to the history (with the file's SHA-256) and a toast. */
  private onTransfer(transfer: Transfer): void {
    if (transfer.state === 'running') return;
    const outcome = transferOutcome(transfer);
    this.record(outcome.label, outcome.ok, outcome.detail);
    if (transfer.container) this.soon(transfer.host);
  }

  /**
   * Takes an operation's news. Incus may deliver a late `Running` event after the one that ended the
   * operation (seen with exec): an ended operation stays ended, so the drawer never counts it as running.
   */
  private onOperation(host: string, operation: OperationSummary): void {
    const known = this.operations[host]?.find((candidate) => candidate.id === operation.id);
    if (known && ENDED.has(known.status) && !ENDED.has(operation.status)) return;
    const others = (this.operations[host] ?? []).filter((candidate) => candidate.id !== operation.id);
    this.operations[host] = [operation, ...others].slice(0, 100);
  }

  /** Reads a host again shortly, once for a burst of events. */
  private soon(host: string): void {
    clearTimeout(this.pending.get(host));
    this.pending.set(host, setTimeout(() => void this.refreshHost(host), LIVE_DEBOUNCE_MS));
  }

  /** Reads one container again shortly, once for a burst of its events: one light request, not its whole host. */
  private soonContainer(host: string, name: string): void {
    const key = JSON.stringify([host, name]);
    clearTimeout(this.pendingContainers.get(key));
    this.pendingContainers.set(key, setTimeout(() => {
      this.pendingContainers.delete(key);
      void this.refreshContainer(host, name);
    }, LIVE_DEBOUNCE_MS));
  }

  /**
   * Hosts without live events are read every 5 s, and so is an online host whose last read failed (its
   * containers would otherwise stay "last known", their actions off, until something else happened
   * there); an offline host nobody is retrying is tested every 15 s.
   */
  private poll(): void {
    this.ticks += 1;
    for (const host of this.polled) void this.refreshHost(host);
    for (const summary of this.hosts) {
      const name = summary.config.name;
      if (summary.status.state === 'online' && !this.polled.has(name) && (this.rows[name]?.error || this.stale[name])) void this.refreshHost(name);
    }
    if (this.ticks % 3 !== 0) return;
    for (const summary of this.hosts) {
      if (summary.status.state === 'offline' && !summary.status.nextRetryAt) void call('hosts.test', { host: summary.config.name }).catch(() => undefined);
    }
  }
}

export const app = new AppState();
