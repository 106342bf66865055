import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';
import { parse } from 'yaml';

const INDEX = 'backup/index.yaml';
/** The index is the archive's first entry; give up after this many bytes of the compressed file. */
const READ_LIMIT = 4 << 20;

/**
 * The instance name written in a backup tarball's `backup/index.yaml` (gzip-compressed, as Incus
 * writes by default). Reads only the start of the file; fails when it is not such a tarball.
 */
export function readBackupName(file: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    const gunzip = createGunzip();
    const tar = extract();
    let read = 0;
    const stop = (error?: Error, name?: string) => {
      file.destroy();
      gunzip.destroy();
      tar.destroy();
      if (name !== undefined) resolve(name);
      else reject(error ?? new Error('no backup/index.yaml at the start of the archive'));
    };
    file.on('data', (chunk: Buffer) => {
      read += chunk.length;
      if (read > READ_LIMIT) stop();
    });
    tar.on('entry', (header, stream, next) => {
      if (header.name.replace(/^\.\//, '') !== INDEX) return stop();
      const chunks: Buffer[] = [];
      stream.on('data', (chunk) => chunks.push(chunk as Buffer));
      stream.on('end', () => {
        const index = parse(Buffer.concat(chunks).toString('utf8')) as { name?: unknown } | null;
        if (typeof index?.name === 'string' && index.name !== '') stop(undefined, index.name);
        else stop();
        next();
      });
    });
    for (const stream of [file, gunzip, tar]) stream.on('error', (error: Error) => stop(error));
    tar.on('finish', () => stop());
    file.pipe(gunzip).pipe(tar);
  });
}
