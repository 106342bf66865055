import type { PackageDiff } from '../../../shared/diff';
import type { Manifest } from './manifest';

type Versions = Map<string, string>;

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
 * ends in "installed" (a removed package keeps its paragraph as "deinstall ok config-files"). A name
 * held for several architectures (multiarch) is kept as `name:arch`.
 */
export function parseDpkgStatus(text: string): Versions {
  const found: { name: string; arch: string; version: string }[] = [];
  for (const lines of paragraphs(text)) {
    const field = (key: string) => lines.find((line) => line.toLowerCase().startsWith(`${key.toLowerCase()}:`))?.slice(key.length + 1).trim();
    const name = field('Package');
    const status = field('Status')?.split(/\s+/);
    const version = field('Version');
    if (!name || !version || status?.[2] !== 'installed') continue;
    found.push({ name, arch: field('Architecture') ?? '', version });
  }
  const counts = new Map<string, number>();
  for (const { name } of found) counts.set(name, (counts.get(name) ?? 0) + 1);
  return new Map(found.map(({ name, arch, version }) => [(counts.get(name) ?? 0) > 1 && arch ? `${name}:${arch}` : name, version]));
}

/** The installed packages of Alpine's database (`/lib/apk/db/installed`: `P:name`, `V:version` per paragraph). */
export function parseApkInstalled(text: string): Versions {
  const versions: Versions = new Map();
  for (const lines of paragraphs(text)) {
    const name = lines.find((line) => line.startsWith('P:'))?.slice(2).trim();
    const version = lines.find((line) => line.startsWith('V:'))?.slice(2).trim();
    if (name && version) versions.set(name, version);
  }
  return versions;
}

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Installed, removed and changed packages between two sides' databases; null when neither side has one. */
export function comparePackages(from: Manifest['packageDbs'], to: Manifest['packageDbs']): PackageDiff | null {
  const managers = (['dpkg', 'apk'] as const).filter((manager) => from[manager] !== undefined || to[manager] !== undefined);
  if (managers.length === 0) return null;
  const result: PackageDiff = { managers: [...managers], installed: [], removed: [], upgraded: [] };
  for (const manager of managers) {
    const parse = manager === 'dpkg' ? parseDpkgStatus : parseApkInstalled;
    const before = parse(from[manager] ?? '');
    const after = parse(to[manager] ?? '');
    for (const [name, version] of after) {
      const old = before.get(name);
      if (old === undefined) result.installed.push({ name, version });
      else if (old !== version) result.upgraded.push({ name, from: old, to: version });
    }
    for (const [name, version] of before) if (!after.has(name)) result.removed.push({ name, version });
  }
  result.installed.sort(byName);
  result.removed.sort(byName);
  result.upgraded.sort(byName);
  return result;
}
