import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Header } from 'tar-stream';
import { DIFF_TEXT_LIMIT_BYTES, type FileKind, type FileStat } from '../../../shared/diff';
import { octalMode, PACKAGE_DB_PATHS, type Manifest } from './manifest';

export interface TarReadOptions {
  /** The folder of the root filesystem inside the archive (`rootfs` in an Incus image). */
  root: string;
  /** Keep the content of these regular files (by path): `--file`, files worth caching for the diff view. */
  keep?: (path: string, stat: FileStat) => boolean;
  /** Called every few thousand entries with the number read so far. */
  onProgress?: (entries: number) => void;
  signal?: AbortSignal;
}

export interface TarManifest {
  manifest: Manifest;
  /** The content of the files `keep` asked for. */
  kept: Map<string, Buffer>;
}

const KINDS: Partial<Record<NonNullable<Header['type']>, FileKind>> = {
  file: 'file',
  'contiguous-file': 'file',
  directory: 'dir',
  symlink: 'symlink',
  'character-device': 'char',
  'block-device': 'block',
  fifo: 'fifo',
};

/** "rootfs/etc/hosts" → "/etc/hosts"; "rootfs" → "/"; undefined outside `root`. */
export function containerPath(name: string, root: string): string | undefined {
  const clean = name.replace(/^\.\//, '').replace(/\/+$/, '');
  if (clean === root) return '/';
  return clean.startsWith(`${root}/`) ? clean.slice(root.length) : undefined;
}

/**
 * Reads an archive of a root filesystem as it streams (nothing is written to disk): one manifest
 * entry per path, regular files hashed with sha256, hard links given their target's size and hash,
 * and the package databases' text kept.
 */
export async function readTarManifest(input: Readable, options: TarReadOptions): Promise<TarManifest> {
  const files = new Map<string, FileStat>();
  const kept = new Map<string, Buffer>();
  const packageDbs: Manifest['packageDbs'] = {};
  const hardLinks: { path: string; target: string; stat: FileStat }[] = [];
  const { extract } = await import('tar-stream'); // loaded by the first archive read: a cached diff never needs it
  const archive = extract();
  input.on('error', (error) => archive.destroy(error));
  input.pipe(archive);
  let entries = 0;
  for await (const entry of archive) {
    options.signal?.throwIfAborted();
    const { header } = entry;
    const path = containerPath(header.name, options.root);
    if (path === undefined || (header.type !== 'link' && !KINDS[header.type ?? 'file'])) {
      entry.resume();
      continue;
    }
    const stat: FileStat = {
      kind: header.type === 'link' ? 'file' : (KINDS[header.type ?? 'file'] ?? 'other'),
      size: 0,
      mode: octalMode(header.mode ?? 0),
      uid: header.uid ?? 0,
      gid: header.gid ?? 0,
      mtime: (header.mtime ?? new Date(0)).toISOString(),
    };
    if (header.type === 'symlink') stat.target = header.linkname ?? '';
    if (header.type === 'link') {
      const target = containerPath(header.linkname ?? '', options.root);
      if (target !== undefined) hardLinks.push({ path, target, stat });
      entry.resume();
    } else if (stat.kind === 'file') {
      await readContent(entry, path, stat, options, kept, packageDbs);
    } else {
      entry.resume();
    }
    files.set(path, stat);
    if (++entries % 2000 === 0) options.onProgress?.(entries);
  }
  for (const { path, target, stat } of hardLinks) {
    const original = files.get(target);
    if (original) Object.assign(stat, { size: original.size, sha256: original.sha256 });
    const content = kept.get(target);
    if (content && options.keep?.(path, stat)) kept.set(path, content);
  }
  options.onProgress?.(entries);
  return { manifest: { files, mounts: [], packageDbs }, kept };
}

/** Hashes one regular file's content as it streams, keeping it when asked (or when it is a package database). */
async function readContent(
  entry: AsyncIterable<unknown>,
  path: string,
  stat: FileStat,
  options: TarReadOptions,
  kept: Map<string, Buffer>,
  packageDbs: Manifest['packageDbs'],
): Promise<void> {
  const hash = createHash('sha256');
  const manager = path === PACKAGE_DB_PATHS.dpkg ? 'dpkg' : path === PACKAGE_DB_PATHS.apk ? 'apk' : undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const data of entry) {
    const chunk = data as Buffer;
    hash.update(chunk);
    size += chunk.length;
    // content is kept up to the text limit (a package database whole), never a large file in memory
    if (manager || size <= DIFF_TEXT_LIMIT_BYTES) chunks.push(chunk);
  }
  stat.size = size;
  stat.sha256 = hash.digest('hex');
  const whole = manager !== undefined || size <= DIFF_TEXT_LIMIT_BYTES;
  if (manager) packageDbs[manager] = Buffer.concat(chunks).toString('utf8');
  if (whole && options.keep?.(path, stat)) kept.set(path, Buffer.concat(chunks));
}
