/**
 * The parts of the page the overview's first paint does not need, each a chunk of its own, fetched
 * and evaluated on first use (once; a failed fetch is tried again on the next use). The overview's
 * bundle then holds the overview alone: no dialogs, no bits-ui, no zod schemas, no diff or cron code.
 */
function once<T>(load: () => Promise<{ default: T }>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () =>
    (loading ??= load().then(
      (module) => module.default,
      (error: unknown) => {
        loading = undefined;
        throw error;
      },
    ));
}

export const parts = {
  containerPage: once(() => import('../components/ContainerPage.svelte')),
  hostPage: once(() => import('../components/HostPage.svelte')),
  diffPage: once(() => import('../components/DiffPage.svelte')),
  palette: once(() => import('../components/CommandPalette.svelte')),
  addHost: once(() => import('../components/AddHostDialog.svelte')),
  drawer: once(() => import('../components/OperationsDrawer.svelte')),
  passphrase: once(() => import('../components/PassphraseDialog.svelte')),
  // A container page's Schedule and retention tab: cron parsing, the retention engine, the policy's schema.
  schedulePanel: once(() => import('../components/SchedulePanel.svelte')),
  retentionPanel: once(() => import('../components/RetentionPanel.svelte')),
};

/** A container page's dialogs, each fetched when it first opens (bits-ui's dialog comes with the first). */
export const dialogs = {
  create: once(() => import('../components/CreateSnapshotDialog.svelte')),
  restore: once(() => import('../components/RestoreDialog.svelte')),
  delete: once(() => import('../components/DeleteDialog.svelte')),
  deleteAll: once(() => import('../components/DeleteAllDialog.svelte')),
  rename: once(() => import('../components/RenameDialog.svelte')),
  expiry: once(() => import('../components/ExpiryDialog.svelte')),
  describe: once(() => import('../components/DescriptionDialog.svelte')),
  export: once(() => import('../components/ExportDialog.svelte')),
  branch: once(() => import('../components/BranchDialog.svelte')),
};

/**
 * Fetches every part while the page is idle, after it has shown what it opened with, one part per idle
 * moment (a keystroke meanwhile is not kept waiting): the first click on a container, `Ctrl+K` or
 * *Add host* then finds its code already here.
 */
export function preloadParts(): void {
  const idle = (run: () => void) => ('requestIdleCallback' in window ? requestIdleCallback(run, { timeout: 2_000 }) : setTimeout(run, 200));
  const queue = [...Object.values(parts), ...Object.values(dialogs)];
  const next = () => void queue.shift()?.().catch(() => undefined).finally(() => idle(next));
  idle(next);
}
