import { createHash, hash as oneShot, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { DIFF_TEXT_LIMIT_BYTES, type FileKind, type FileStat } from '../../../shared/diff';
import { PACKAGE_DB_PATHS, StatStrings, type Manifest } from './manifest';
import { readTar, type TarSink, type TarType } from './tar-reader';

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

const EMPTY = Buffer.alloc(0);

const KINDS: Record<TarType, FileKind> = { file: 'file', link: 'file', symlink: 'symlink', char: 'char', block: 'block', dir: 'dir', fifo: 'fifo', other: 'other' };

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
  const strings = new StatStrings();
  let entries = 0;
  await readTar(input, (header) => {
    options.signal?.throwIfAborted();
    const path = containerPath(header.name, options.root);
    if (path === undefined || header.type === 'other') return undefined;
    const stat: FileStat = { kind: KINDS[header.type], size: 0, mode: strings.mode(header.mode), uid: header.uid, gid: header.gid, mtime: strings.time(header.mtime) };
    files.set(path, stat);
    if (++entries % 2000 === 0) options.onProgress?.(entries);
    if (header.type === 'symlink') stat.target = header.linkname;
    if (header.type === 'link') {
      const target = containerPath(header.linkname, options.root);
      if (target !== undefined) hardLinks.push({ path, target, stat });
    }
    return header.type === 'file' ? contentSink(path, stat, options, kept, packageDbs) : undefined;
  });
  for (const { path, target, stat } of hardLinks) {
    const original = files.get(target);
    if (original) Object.assign(stat, { size: original.size, sha256: original.sha256 });
    const content = kept.get(target);
    if (content && options.keep?.(path, stat)) kept.set(path, content);
  }
  options.onProgress?.(entries);
  return { manifest: { files, mounts: [], packageDbs }, kept };
}

/**
 * Hashes one regular file's content as it streams, keeping it when asked (or when it is a package
 * database). Content that came in one chunk (most small files) is hashed in one call (`crypto.hash`),
 * without a Hash object per file.
 */
function contentSink(path: string, stat: FileStat, options: TarReadOptions, kept: Map<string, Buffer>, packageDbs: Manifest['packageDbs']): TarSink {
  let hash: Hash | undefined;
  let first: Buffer | undefined;
  const manager = path === PACKAGE_DB_PATHS.dpkg ? 'dpkg' : path === PACKAGE_DB_PATHS.apk ? 'apk' : undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    data(chunk) {
      if (first === undefined && hash === undefined) first = chunk;
      else {
        hash ??= createHash('sha256').update(first!);
        first = undefined;
        hash.update(chunk);
      }
      size += chunk.length;
      // content is kept up to the text limit (a package database whole), never a large file in memory
      if (manager || size <= DIFF_TEXT_LIMIT_BYTES) chunks.push(chunk);
    },
    end() {
      stat.size = size;
      stat.sha256 = hash ? hash.digest('hex') : oneShot('sha256', first ?? EMPTY, 'hex');
      const whole = manager !== undefined || size <= DIFF_TEXT_LIMIT_BYTES;
      if (manager) packageDbs[manager] = Buffer.concat(chunks).toString('utf8');
      if (whole && options.keep?.(path, stat)) kept.set(path, Buffer.concat(chunks));
    },
  };
}
