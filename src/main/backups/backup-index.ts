import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';
import { parse } from 'yaml';
import { AppError } from '../errors';

const INDEX = 'backup/index.yaml';
/** The index is the archive's first entry; give up after this many bytes of the compressed file. */
const READ_LIMIT = 4 << 20;

/** What a backup tarball's `backup/index.yaml` names. */
export interface BackupIndex {
  name: string | undefined;
  snapshots: string[];
}

/**
 * The instance name written in a backup tarball's `backup/index.yaml` (gzip-compressed, as Incus
 * writes by default). Reads only the start of the file; fails when it is not such a tarball.
 */
export async function readBackupName(file: Readable): Promise<string> {
  const { index } = await readIndex(file, false);
  if (index?.name === undefined) throw new Error('no backup/index.yaml at the start of the archive');
  return index.name;
}

/**
 * Reads the start of a backup until its index has been read and refuses a backup that lists a
 * snapshot Incus 6.0.4 mishandles: it accepts `..` (or `.`, or a name with '/') and then writes into
 * the pool's shared snapshot directory, destroying other containers' snapshots. Resolves with a stream
 * of every byte of `file`, the ones read here first; nothing has been sent anywhere yet. A file whose
 * start is not a gzip tarball with the index first is passed on unread (Incus says what it makes of it).
 */
export async function checkedBackup(file: Readable): Promise<Readable> {
  const { index, chunks } = await readIndex(file, true);
  const unsafe = index?.snapshots.filter((name) => name === '.' || name === '..' || name.includes('/') || name.includes('\\')) ?? [];
  if (unsafe.length > 0) {
    file.destroy();
    throw new AppError(
      'invalid-input',
      `the backup holds a snapshot named ${unsafe.map((name) => `'${name}'`).join(', ')}: Incus would write it outside the container's own snapshots and destroy other containers' snapshots, so it is not imported (nothing was sent)`,
    );
  }
  return Readable.from(replay(chunks, file), { objectMode: false });
}

async function* replay(chunks: Buffer[], rest: Readable): AsyncGenerator<Buffer> {
  yield* chunks;
  yield* rest as AsyncIterable<Buffer>;
}

/**
 * Feeds the start of `file` through gunzip and tar until `backup/index.yaml` has been read: the index
 * (undefined when the start is not such an archive) and the chunks read. `keep`: leave `file` paused
 * where it is for the caller to read on (else it is closed).
 */
function readIndex(file: Readable, keep: boolean): Promise<{ index: BackupIndex | undefined; chunks: Buffer[] }> {
  return new Promise((resolve, reject) => {
    const gunzip = createGunzip();
    const tar = extract();
    const chunks: Buffer[] = [];
    let read = 0;
    let settled = false;
    const stop = (index?: BackupIndex, error?: Error) => {
      if (settled) return;
      settled = true;
      file.off('data', onData);
      file.off('end', onEnd);
      file.off('error', onError);
      if (keep) file.pause();
      else file.destroy();
      gunzip.destroy();
      tar.destroy();
      if (error && keep) reject(error);
      else resolve({ index, chunks });
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      read += chunk.length;
      if (read > READ_LIMIT) return stop();
      gunzip.write(chunk);
    };
    const onEnd = () => gunzip.end();
    // A file that cannot be read fails the import; a start that is not a gzip tarball is only not checked.
    const onError = (error: Error) => stop(undefined, error);
    tar.on('entry', (header, stream, next) => {
      if (header.name.replace(/^\.\//, '') !== INDEX) return stop();
      const parts: Buffer[] = [];
      stream.on('data', (part) => parts.push(part as Buffer));
      stream.on('end', () => {
        stop(indexFrom(Buffer.concat(parts).toString('utf8')));
        next();
      });
    });
    for (const stream of [gunzip, tar]) stream.on('error', () => stop());
    tar.on('finish', () => stop());
    gunzip.pipe(tar);
    file.on('data', onData);
    file.on('end', onEnd);
    file.on('error', onError);
  });
}

/** The name and snapshot names an index holds; undefined when it is not YAML of that shape. */
function indexFrom(text: string): BackupIndex | undefined {
  let index: { name?: unknown; snapshots?: unknown } | null;
  try {
    index = parse(text) as typeof index;
  } catch {
    return undefined;
  }
  if (index === null || typeof index !== 'object') return undefined;
  const name = typeof index.name === 'string' && index.name !== '' ? index.name : undefined;
  const snapshots = Array.isArray(index.snapshots) ? index.snapshots.map((snapshot) => String(snapshot)) : [];
  return { name, snapshots };
}
