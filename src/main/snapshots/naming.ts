import { INSTANCE_NAME_MAX } from '../../shared/names';

/** `base` if free, else `base-2`, `base-3`, … (shortening `base` so the result fits in `max`). */
export function freeName(base: string, taken: ReadonlySet<string>, max = Number.POSITIVE_INFINITY): string {
  const fit = (stem: string, suffix: string) => `${stem.slice(0, max - suffix.length).replace(/-+$/, '')}${suffix}`;
  if (!taken.has(fit(base, ''))) return fit(base, '');
  for (let n = 2; ; n += 1) {
    const candidate = fit(base, `-${n}`);
    if (!taken.has(candidate)) return candidate;
  }
}

/** The default name of a container branched from a snapshot: `<container>-<snapshot>-copy`, made a valid host name. */
export function branchName(container: string, snapshot: string, taken: ReadonlySet<string>): string {
  const base = `${container}-${snapshot}`.replace(/[^A-Za-z0-9-]+/g, '-').replace(/-{2,}/g, '-');
  const suffix = '-copy';
  const stem = base.slice(0, INSTANCE_NAME_MAX - suffix.length - 3).replace(/-+$/, '');
  return freeName(`${stem}${suffix}`, taken, INSTANCE_NAME_MAX);
}
