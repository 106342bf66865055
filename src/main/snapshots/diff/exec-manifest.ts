import type { FileStat } from '../../../shared/diff';
import { AppError } from '../../errors';
import { kindOfMode, octalMode, type Manifest } from './manifest';

/** What the listing needs inside the container (busybox has them all, as do Debian and Alpine). */
export const LISTING_TOOLS = ['sh', 'find', 'xargs', 'stat', 'sha256sum'] as const;

/**
 * One batch of paths (its arguments): the count, the paths NUL-terminated, one `stat` line each
 * (raw mode, uid, gid, size, mtime, device, then the path), each symlink's `%N` (the target), and
 * each regular file's sha256. A path that vanished in between has no line; the parser matches lines
 * to paths by name. `QUOTING_STYLE=literal` makes GNU stat print `%N` unquoted; busybox quotes it.
 */
const BATCH = `printf 'B%d\\n' $#
printf '%s\\0' "$@"
stat -c '%f %u %g %s %Y %d %n' "$@" 2>/dev/null
printf 'L\\n'
for f; do [ -L "$f" ] && printf '%s\\0' "$f"; done | xargs -0 -r stat -c '%N' 2>/dev/null
printf 'H\\n'
for f; do [ -f "$f" ] && [ ! -L "$f" ] && printf '%s\\0' "$f"; done | xargs -0 -r sha256sum 2>/dev/null
printf 'E\\n'`;

/**
 * Args: the number of roots, the roots, then the patterns to prune (`find -path`). Prints the
 * device of "/" (`R…`), then batches. `-xdev`: never descends into another filesystem (/proc, /dev,
 * a mounted folder); such a mount point is listed with its own device and left out by the parser.
 * Batches of up to 500 kB of paths (busybox's default is 128 kB): fewer shells and stat processes,
 * well below any Linux ARG_MAX (2 MB with the default 8 MB stack).
 */
export const LISTING_SCRIPT = `QUOTING_STYLE=literal; LC_ALL=C; export QUOTING_STYLE LC_ALL
nr=$1; shift; total=$#
i=0; for a in "$@"; do i=$((i+1)); if [ $i -le $nr ]; then set -- "$@" "$a"; fi; done
set -- "$@" -xdev '(' -path /.coi-diff-never
i=0; for a in "$@"; do i=$((i+1)); if [ $i -gt $nr ] && [ $i -le $total ]; then set -- "$@" -o -path "$a"; fi; done
set -- "$@" ')' -prune -o -print0
shift $total
printf 'R%s\\n' "$(stat -c %d /)"
find "$@" 2>/dev/null | xargs -0 -r -s 500000 sh -c '${BATCH.replace(/'/g, "'\\''")}' sh`;

/** The arguments of LISTING_SCRIPT: `find -path` takes `*` as any characters, "/" included. */
export function listingArgs(roots: readonly string[], prunes: readonly string[]): string[] {
  return [String(roots.length), ...roots, ...prunes];
}

const NL = 0x0a;
const NUL = 0;

/** A cursor over the listing's bytes (names are bytes: a file name need not be UTF-8). */
class Reader {
  constructor(
    private readonly data: Buffer,
    public at = 0,
  ) {}

  get done(): boolean {
    return this.at >= this.data.length;
  }

  /** Up to (not including) `byte`, and past it. */
  until(byte: number): Buffer {
    const end = this.data.indexOf(byte, this.at);
    if (end < 0) throw broken('a record is cut off');
    const part = this.data.subarray(this.at, end);
    this.at = end + 1;
    return part;
  }

  line(): string {
    return this.until(NL).toString('latin1');
  }

  /** Consumes `bytes` if they come next. */
  take(bytes: Buffer | string): boolean {
    const want = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
    if (this.at + want.length > this.data.length || !this.data.subarray(this.at, this.at + want.length).equals(want)) return false;
    this.at += want.length;
    return true;
  }

  peekLine(): string {
    const end = this.data.indexOf(NL, this.at);
    return this.data.subarray(this.at, end < 0 ? this.data.length : end).toString('latin1');
  }

  bytes(count: number): Buffer {
    if (this.at + count > this.data.length) throw broken('a record is cut off');
    const part = this.data.subarray(this.at, this.at + count);
    this.at += count;
    return part;
  }
}

function broken(what: string): AppError {
  return new AppError('internal', `the listing made inside the container could not be read (${what}); the container may have changed while it was read: try again`);
}

/** File names are kept as JavaScript strings decoded as UTF-8, like the tar reader's. */
const nameOf = (raw: Buffer) => raw.toString('utf8');

/** Reads the output of LISTING_SCRIPT into a manifest. `mounts`: the container's disk mount paths (pruned there). */
export function parseListing(output: Buffer, mounts: readonly string[]): Manifest {
  const reader = new Reader(output);
  const rootLine = reader.line();
  if (!rootLine.startsWith('R')) throw broken('no root device');
  const rootDevice = rootLine.slice(1);
  const files = new Map<string, FileStat>();
  const found = new Set(mounts);
  while (!reader.done) {
    const header = reader.line();
    if (!/^B\d+$/.test(header)) throw broken(`unexpected "${header.slice(0, 40)}"`);
    const names = Array.from({ length: Number(header.slice(1)) }, () => reader.until(NUL));
    const stats = readStats(reader, names);
    readTargets(reader, names, stats);
    readHashes(reader, names, stats);
    if (reader.line() !== 'E') throw broken('a batch does not end');
    for (const [index, entry] of stats) {
      const path = nameOf(names[index]!);
      if (entry.device !== rootDevice) found.add(path);
      else files.set(path, entry.stat);
    }
  }
  return { files, mounts: [...found], packageDbs: {} };
}

interface Listed {
  stat: FileStat;
  device: string;
  /** A symlink's target length (stat's size of a link). */
  linkLength: number;
}

const STAT_LINE = /^([0-9a-f]+) (\d+) (\d+) (\d+) (\d+) (\d+) $/;

/** The stat lines of a batch, matched to its names by position and name; a vanished path has none. */
function readStats(reader: Reader, names: Buffer[]): Map<number, Listed> {
  const stats = new Map<number, Listed>();
  for (let index = 0; index < names.length; index++) {
    const start = reader.at;
    const fields = reader.peekLine().match(/^[0-9a-f]+ \d+ \d+ \d+ \d+ \d+ /)?.[0];
    if (!fields || !(reader.bytes(fields.length), reader.take(names[index]!)) || !reader.take('\n')) {
      reader.at = start;
      continue;
    }
    const [, rawMode, uid, gid, size, mtime, device] = STAT_LINE.exec(fields)!;
    const mode = parseInt(rawMode!, 16);
    const kind = kindOfMode(mode);
    stats.set(index, {
      stat: { kind, size: kind === 'file' ? Number(size) : 0, mode: octalMode(mode), uid: Number(uid), gid: Number(gid), mtime: new Date(Number(mtime) * 1000).toISOString() },
      device: device!,
      linkLength: Number(size),
    });
  }
  if (reader.line() !== 'L') throw broken('the stat lines do not end');
  return stats;
}

/** `%N` of each symlink: busybox `'NAME' -> 'TARGET'`, GNU (literal) `NAME -> TARGET`; the target's length is known. */
function readTargets(reader: Reader, names: Buffer[], stats: Map<number, Listed>): void {
  for (const [index, entry] of stats) {
    if (entry.stat.kind !== 'symlink') continue;
    if (reader.peekLine() === 'H') break; // the rest are gone
    const name = names[index]!;
    const start = reader.at;
    const quoted = reader.take("'") && reader.take(name) && reader.take("' -> '");
    if (!quoted) reader.at = start;
    if (!quoted && !(reader.take(name) && reader.take(' -> '))) {
      reader.at = start; // gone since it was listed
      continue;
    }
    entry.stat.target = nameOf(reader.bytes(entry.linkLength));
    if (!reader.take(quoted ? "'\n" : '\n')) throw broken(`the link ${nameOf(name)} changed while it was read`);
  }
  if (reader.line() !== 'H') throw broken('the link targets do not end');
}

/** sha256sum's lines: `HASH  NAME`, or GNU's `\HASH  ESCAPED` for a name holding "\" or a newline. */
function readHashes(reader: Reader, names: Buffer[], stats: Map<number, Listed>): void {
  for (const [index, entry] of stats) {
    if (entry.stat.kind !== 'file') continue;
    if (reader.peekLine() === 'E') break; // the rest are gone
    const start = reader.at;
    const escaped = reader.take('\\');
    const hash = reader.bytes(64).toString('latin1');
    const name = escaped ? Buffer.from(names[index]!.toString('latin1').replace(/\\/g, '\\\\').replace(/\n/g, '\\n'), 'latin1') : names[index]!;
    if (/^[0-9a-f]{64}$/.test(hash) && reader.take('  ') && reader.take(name) && reader.take('\n')) entry.stat.sha256 = hash;
    else reader.at = start; // unreadable or gone: no hash, so its content counts as changed
  }
}
