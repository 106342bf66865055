import { AppError } from '../../errors';

/**
 * A streaming reader of the tar archives Incus exports (POSIX ustar, with pax extended headers and
 * GNU long names; what Go's archive/tar writes). Written for the diff instead of tar-stream: on a
 * 20,000-file image it reads and hashes in ~0.1 s where tar-stream's per-entry streams took
 * 0.3–0.5 s of CPU (the README's diff section), and a cold diff is mostly that and the publish.
 */

export type TarType = 'file' | 'link' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo' | 'other';

export interface TarHeader {
  /** As stored ("rootfs/etc/hosts"), decoded as UTF-8. */
  name: string;
  type: TarType;
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** Bytes of content that follow. */
  size: number;
  /** A symlink's target or a hard link's original. */
  linkname: string;
}

/** Gets an entry's content, chunk by chunk, then `end`. */
export interface TarSink {
  data(chunk: Buffer): void;
  end(): void;
}

const BLOCK = 512;
const TYPES: Record<string, TarType> = { '0': 'file', '\0': 'file', '7': 'file', '1': 'link', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo' };

function cutOff(what: string): AppError {
  return new AppError('operation-failed', `the image Incus exported could not be read (${what})`);
}

/** A header's number: octal digits (space or NUL ended), or GNU's base-256 when the top bit is set. */
function numberAt(block: Buffer, start: number, length: number): number {
  const end = start + length;
  if (block[start]! & 0x80) {
    let value = block[start]! & 0x7f;
    for (let at = start + 1; at < end; at++) value = value * 256 + block[at]!;
    return value;
  }
  let at = start;
  while (at < end && block[at] === 0x20) at++;
  let value = 0;
  for (; at < end; at++) {
    const byte = block[at]!;
    if (byte < 0x30 || byte > 0x37) break;
    value = value * 8 + (byte - 0x30);
  }
  return value;
}

/** A NUL-ended text field. */
function textAt(block: Buffer, start: number, length: number): string {
  const nul = block.indexOf(0, start);
  return block.toString('utf8', start, nul < 0 || nul > start + length ? start + length : nul);
}

/** The header checksum: the sum of its bytes with the checksum field counted as spaces. */
function checksumOk(block: Buffer): boolean {
  let sum = 8 * 0x20;
  for (let at = 0; at < BLOCK; at++) if (at < 148 || at >= 156) sum += block[at]!;
  return sum === numberAt(block, 148, 8);
}

/** The `key=value` records of a pax extended header (`LENGTH key=value\n` each). */
function paxRecords(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  for (let at = 0; at < data.length; ) {
    const space = data.indexOf(0x20, at);
    const length = Number(data.toString('latin1', at, space));
    if (space < 0 || !Number.isInteger(length) || length <= 0) throw cutOff('a pax header is malformed');
    const record = data.toString('utf8', space + 1, at + length - 1);
    const equals = record.indexOf('=');
    if (equals > 0) records.set(record.slice(0, equals), record.slice(equals + 1));
    at += length;
  }
  return records;
}

/**
 * Reads `input` to its end, calling `onEntry` with each entry's header; the sink it returns (if
 * any) gets the entry's content. Throws when the archive is malformed or ends mid-entry.
 */
export async function readTar(input: AsyncIterable<unknown>, onEntry: (header: TarHeader) => TarSink | undefined): Promise<void> {
  let rest = Buffer.alloc(0);
  /** Bytes of the current entry's content still to come, then of its padding. */
  let remaining = 0;
  let padding = 0;
  let sink: TarSink | undefined;
  /** A pax header's or GNU long name's content being collected, and what it is. */
  let meta: { type: string; chunks: Buffer[] } | undefined;
  let pax = new Map<string, string>();
  let ended = false;

  const header = (block: Buffer) => {
    if (!checksumOk(block)) throw cutOff('a header checksum is wrong');
    const flag = String.fromCharCode(block[156]!);
    let size = numberAt(block, 124, 12);
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      meta = { type: flag, chunks: [] };
      remaining = size;
      padding = (BLOCK - (size % BLOCK)) % BLOCK;
      return;
    }
    const ustar = block.toString('latin1', 257, 263) === 'ustar\0';
    const prefix = ustar && block[345] !== 0 ? `${textAt(block, 345, 155)}/` : '';
    if (pax.has('size')) size = Number(pax.get('size'));
    const entry: TarHeader = {
      name: pax.get('path') ?? prefix + textAt(block, 0, 100),
      type: TYPES[flag] ?? 'other',
      mode: numberAt(block, 100, 8),
      uid: pax.has('uid') ? Number(pax.get('uid')) : numberAt(block, 108, 8),
      gid: pax.has('gid') ? Number(pax.get('gid')) : numberAt(block, 116, 8),
      mtime: pax.has('mtime') ? Math.floor(Number(pax.get('mtime'))) : numberAt(block, 136, 12),
      size,
      linkname: pax.get('linkpath') ?? textAt(block, 157, 100),
    };
    pax = new Map();
    sink = onEntry(entry);
    remaining = size;
    padding = (BLOCK - (size % BLOCK)) % BLOCK;
    if (remaining === 0) finishEntry();
  };

  const finishEntry = () => {
    if (meta) {
      const data = Buffer.concat(meta.chunks);
      if (meta.type === 'x') pax = paxRecords(data);
      else if (meta.type === 'L') pax.set('path', textAt(data, 0, data.length));
      else if (meta.type === 'K') pax.set('linkpath', textAt(data, 0, data.length));
      meta = undefined;
    } else {
      sink?.end();
      sink = undefined;
    }
  };

  for await (const data of input) {
    const chunk = rest.length > 0 ? Buffer.concat([rest, data as Buffer]) : (data as Buffer);
    let at = 0;
    while (at < chunk.length && !ended) {
      if (remaining > 0) {
        const part = chunk.subarray(at, at + Math.min(remaining, chunk.length - at));
        if (meta) meta.chunks.push(part);
        else sink?.data(part);
        at += part.length;
        remaining -= part.length;
        if (remaining === 0) finishEntry();
      } else if (padding > 0) {
        const skipped = Math.min(padding, chunk.length - at);
        at += skipped;
        padding -= skipped;
      } else if (chunk.length - at >= BLOCK) {
        const block = chunk.subarray(at, at + BLOCK);
        at += BLOCK;
        if (block[0] === 0 && block.every((byte) => byte === 0)) ended = true;
        else header(block);
      } else {
        break;
      }
    }
    rest = ended ? Buffer.alloc(0) : Buffer.from(chunk.subarray(at));
  }
  if (!ended && (remaining > 0 || padding > 0 || rest.length > 0 || meta)) throw cutOff('it ends in the middle of an entry');
}
