import type { PackageDiff } from '../../../shared/diff';
import type { Manifest } from './manifest';

/** One installed package; `arch` only for dpkg (a name may be installed for several architectures). */
interface Installed {
  name: string;
  arch: string;
  version: string;
}

/** Paragraphs of a `Key: value` / `K:value` database, separated by blank lines. */
function paragraphs(text: string): string[][] {
  return text
    .replace(/\r\n/g, '\n')
    .split(/\n[ \t]*\n/)
    .map((block) => block.split('\n').filter((line) => line.length > 0))
    .filter((lines) => lines.length > 0);
}

/**
 * The installed packages of a dpkg status file (`/var/lib/dpkg/status`): only those whose Status
 * ends in "installed" (a removed package keeps its paragraph as "deinstall ok config-files").
 */
export function parseDpkgStatus(text: string): Installed[] {
  const found: Installed[] = [];
  for (const lines of paragraphs(text)) {
    const field = (key: string) => lines.find((line) => line.toLowerCase().startsWith(`${key.toLowerCase()}:`))?.slice(key.length + 1).trim();
    const name = field('Package');
    const status = field('Status')?.split(/\s+/);
    const version = field('Version');
    if (!name || !version || status?.[2] !== 'installed') continue;
    found.push({ name, arch: field('Architecture') ?? '', version });
  }
  return found;
}

/** The installed packages of Alpine's database (`/lib/apk/db/installed`: `P:name`, `V:version` per paragraph). */
export function parseApkInstalled(text: string): Installed[] {
  const found: Installed[] = [];
  for (const lines of paragraphs(text)) {
    const name = lines.find((line) => line.startsWith('P:'))?.slice(2).trim();
    const version = lines.find((line) => line.startsWith('V:'))?.slice(2).trim();
    if (name && version) found.push({ name, arch: '', version });
  }
  return found;
}

/**
 * Packages by name and architecture, each shown by its name, or as `name:arch` where either side
 * has that name for more than one architecture (multiarch).
 */
function keyed(before: Installed[], after: Installed[]): { before: Map<string, Installed>; after: Map<string, Installed>; label: (pkg: Installed) => string } {
  const arches = new Map<string, Set<string>>();
  for (const pkg of [...before, ...after]) arches.set(pkg.name, (arches.get(pkg.name) ?? new Set()).add(pkg.arch));
  const key = (pkg: Installed) => `${pkg.name}\0${pkg.arch}`;
  return {
    before: new Map(before.map((pkg) => [key(pkg), pkg])),
    after: new Map(after.map((pkg) => [key(pkg), pkg])),
    label: (pkg) => ((arches.get(pkg.name)?.size ?? 0) > 1 && pkg.arch ? `${pkg.name}:${pkg.arch}` : pkg.name),
  };
}

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Installed, removed and changed packages between two sides' databases; null when neither side has one. */
export function comparePackages(from: Manifest['packageDbs'], to: Manifest['packageDbs']): PackageDiff | null {
  const managers = (['dpkg', 'apk'] as const).filter((manager) => from[manager] !== undefined || to[manager] !== undefined);
  if (managers.length === 0) return null;
  const result: PackageDiff = { managers: [...managers], installed: [], removed: [], upgraded: [] };
  for (const manager of managers) {
    const parse = manager === 'dpkg' ? parseDpkgStatus : parseApkInstalled;
    const { before, after, label } = keyed(parse(from[manager] ?? ''), parse(to[manager] ?? ''));
    for (const [key, pkg] of after) {
      const old = before.get(key);
      if (!old) result.installed.push({ name: label(pkg), version: pkg.version });
      else if (old.version !== pkg.version) result.upgraded.push({ name: label(pkg), from: old.version, to: pkg.version });
    }
    for (const [key, pkg] of before) if (!after.has(key)) result.removed.push({ name: label(pkg), version: pkg.version });
  }
  result.installed.sort(byName);
  result.removed.sort(byName);
  result.upgraded.sort(byName);
  return result;
}
