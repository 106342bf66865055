import type { SortKey, SortOrder } from './inventory';

/** Which overlays are open; the keyboard shortcuts and the palette drive them. */
class UiState {
  palette = $state(false);
  drawer = $state(false);
  addHost = $state(false);
  /** Bumped by `N` and the palette: the container page opens its "Create snapshot" dialog. */
  createRequests = $state(0);
  /** How a file's text diff is shown: one column of removed and added lines, or the two versions side by side. */
  diffLayout = $state<'unified' | 'split'>('unified');
  /** True while any dialog or menu is open, so single-key shortcuts do not fire under it. */
  get overlay(): boolean {
    return this.palette || this.addHost || document.querySelector('[role="dialog"], [role="alertdialog"], [role="menu"]') !== null;
  }
}

export const ui = new UiState();

/**
 * One clock for the whole page, ticking every second: every retry countdown and age reads `clock.now`,
 * so the sidebar, a host card and the host page never disagree.
 */
class Clock {
  now = $state(Date.now());

  constructor() {
    setInterval(() => (this.now = Date.now()), 1_000);
  }
}

export const clock = new Clock();

/** A value kept in web storage under `key`; a missing, unreadable or malformed value gives `fallback`. */
function stored<T>(storage: Storage | undefined, key: string, fallback: T, valid: (value: unknown) => value is T): T {
  try {
    const raw = storage?.getItem(key);
    if (raw == null) return fallback;
    const value: unknown = JSON.parse(raw);
    return valid(value) ? value : fallback;
  } catch {
    return fallback;
  }
}

function store(storage: Storage | undefined, key: string, value: unknown): void {
  try {
    storage?.setItem(key, JSON.stringify(value));
  } catch {
    // Storage full or disabled: the choice still holds for this page.
  }
}

const SORT_KEYS: readonly SortKey[] = ['default', 'name', 'host', 'state', 'snapshots', 'newest'];
const isString = (value: unknown): value is string => typeof value === 'string';
const isBoolean = (value: unknown): value is boolean => typeof value === 'boolean';
const isSort = (value: unknown): value is SortOrder =>
  typeof value === 'object' && value !== null && SORT_KEYS.includes((value as SortOrder).key) && ['ascending', 'descending'].includes((value as SortOrder).direction);

const session = globalThis.sessionStorage as Storage | undefined;
const local = globalThis.localStorage as Storage | undefined;

/**
 * The overview's list choices, kept across navigation and reloads: the search text for this tab
 * (sessionStorage), "All instances" and the sort order as preferences (localStorage).
 */
class OverviewPrefs {
  #query = $state(stored(session, 'coi-overview-query', '', isString));
  #all = $state(stored(local, 'coi-overview-all', false, isBoolean));
  #sort = $state<SortOrder>(stored(local, 'coi-overview-sort', { key: 'default', direction: 'ascending' }, isSort));

  get query(): string {
    return this.#query;
  }
  set query(value: string) {
    this.#query = value;
    store(session, 'coi-overview-query', value);
  }

  get all(): boolean {
    return this.#all;
  }
  set all(value: boolean) {
    this.#all = value;
    store(local, 'coi-overview-all', value);
  }

  get sort(): SortOrder {
    return this.#sort;
  }
  set sort(value: SortOrder) {
    this.#sort = value;
    store(local, 'coi-overview-sort', value);
  }
}

export const overviewPrefs = new OverviewPrefs();
