import type { FileStat } from '../../../shared/diff';
import { AppError } from '../../errors';
import { kindOfMode, StatStrings, type Manifest } from './manifest';

/** What the listing needs inside the container (busybox has them all, as do Debian and Alpine). */
export const LISTING_TOOLS = ['find', 'xargs', 'stat', 'sha256sum', 'date'] as const;

/**
 * One group of regular files (its arguments) hashed by one sha256sum: the count and the paths
 * NUL-terminated, then either `X0 LENGTH` and sha256sum's output (one line per path, in order),
 * or, when it failed (a file vanished or became unreadable), `Y` and one line per path, the sha256
 * or `-`, hashed one by one.
 */
const HASH_GROUP = `printf 'S%d\\n' $#
printf '%s\\0' "$@"
if h=$(sha256sum "$@" 2>/dev/null); then printf 'X0 %d\\n%s\\n' \${#h} "$h"; else
printf 'Y\\n'
for f; do if [ -f "$f" ] && [ ! -L "$f" ] && h=$(sha256sum < "$f" 2>/dev/null); then printf '%s\\n' "\${h%% *}"; else printf '%s\\n' -; fi; done
fi`;

/**
 * One batch of paths (its arguments): the count, the paths NUL-terminated, one `stat` line each
 * (raw mode, uid, gid, size, mtime, ctime, inode, device, then the path), each symlink's `%N`
 * (the target), and, unless `$COI_DIFF_HASH` is empty, the hash groups of its regular files: all of
 * them, or with `$COI_DIFF_SINCE` set only those whose ctime is at or after that second (see
 * CHANGED_FILES). A path that vanished in between has no line; the parser matches lines to paths by name.
 * `QUOTING_STYLE=literal` makes GNU stat print `%N` unquoted; busybox quotes it.
 */
const BATCH = `printf 'B%d\\n' $#
printf '%s\\0' "$@"
stat -c '%f %u %g %s %Y %Z %i %d %n' "$@" 2>/dev/null
printf 'L\\n'
find "$@" -maxdepth 0 -type l -print0 2>/dev/null | xargs -0 -r stat -c '%N' 2>/dev/null
printf 'H\\n'
if [ -n "$COI_DIFF_SINCE" ]; then
stat -c '%Z %f %n' "$@" 2>/dev/null | awk -v t="$COI_DIFF_SINCE" "$COI_DIFF_CHANGED" | xargs -0 -r sh -c "$COI_DIFF_HASH" sh
elif [ -n "$COI_DIFF_HASH" ]; then
find "$@" -maxdepth 0 -type f -print0 2>/dev/null | xargs -0 -r sh -c "$COI_DIFF_HASH" sh
fi
printf 'E\\n'`;

const quoted = (script: string) => `'${script.replace(/'/g, "'\\''")}'`;

/**
 * Reads `stat -c '%Z %f %n'` lines and prints, NUL-terminated, the names of the regular files whose
 * ctime is at or after second `t`. A name holding a newline is cut into lines that name nothing
 * here (or another path, whose hash is then right all the same: hashes are matched by name), so
 * such a file is simply not hashed by the listing.
 */
const CHANGED_FILES = `{ i = index($0, " "); c = substr($0, 1, i - 1); r = substr($0, i + 1); j = index(r, " ")
if (c ~ /^[0-9]+$/ && c + 0 >= t && substr(r, 1, j - 1) ~ /^8[0-9a-f][0-9a-f][0-9a-f]$/) printf "%s%c", substr(r, j + 1), 0 }`;

/**
 * Which regular files a listing hashes: all, none, or only those whose ctime is at or after a
 * second (epoch), the ones an earlier listing could not have kept a hash of (see `hashesAfter`).
 */
export type HashChoice = 'all' | 'none' | { changedSince: number };

/**
 * Args: what to hash (`all`, `none`, or a second: files whose ctime is at or after it; without awk
 * in the container, none), the number of roots, the roots, then the patterns to prune (`find -path`). Prints the device of "/" and the
 * container's clock when it starts (`R… …`), then batches. `-xdev`: never descends into another
 * filesystem (/proc, /dev, a mounted folder); such a mount point is listed with its own device and
 * left out by the parser. Batches of up to 500 kB of paths (busybox's default is 128 kB): fewer
 * shells and stat processes, well below any Linux ARG_MAX (2 MB with the default 8 MB stack).
 */
export const LISTING_SCRIPT = `QUOTING_STYLE=literal; LC_ALL=C; export QUOTING_STYLE LC_ALL
now=$(date +%s)
COI_DIFF_HASH=; COI_DIFF_SINCE=; COI_DIFF_CHANGED=${quoted(CHANGED_FILES)}
case $1 in
all) COI_DIFF_HASH=${quoted(HASH_GROUP)} ;;
none) ;;
*) if command -v awk >/dev/null 2>&1; then COI_DIFF_HASH=${quoted(HASH_GROUP)}; COI_DIFF_SINCE=$1; fi ;;
esac
export COI_DIFF_HASH COI_DIFF_SINCE COI_DIFF_CHANGED
shift
nr=$1; shift; total=$#
i=0; for a in "$@"; do i=$((i+1)); if [ $i -le $nr ]; then set -- "$@" "$a"; fi; done
set -- "$@" -xdev '(' -path /.coi-diff-never
i=0; for a in "$@"; do i=$((i+1)); if [ $i -gt $nr ] && [ $i -le $total ]; then set -- "$@" -o -path "$a"; fi; done
set -- "$@" ')' -prune -o -print0
shift $total
printf 'R%s %s\\n' "$(stat -c %d /)" "$now"
find "$@" 2>/dev/null | xargs -0 -r -s 500000 sh -c ${quoted(BATCH)} sh`;

/** The arguments of LISTING_SCRIPT: `find -path` takes `*` as any characters, "/" included. */
export function listingArgs(hash: HashChoice, roots: readonly string[], prunes: readonly string[]): string[] {
  return [typeof hash === 'string' ? hash : String(hash.changedSince), String(roots.length), ...roots, ...prunes];
}

/**
 * Hashes the regular files named by its arguments (each written with `escapedPath`), in hash
 * groups like the listing's, then `E`.
 */
export const HASH_FILES_SCRIPT = `LC_ALL=C; export LC_ALL
printf '%b\\0' "$@" | xargs -0 -r sh -c ${quoted(HASH_GROUP)} sh
printf 'E\\n'`;

/**
 * A path as a `printf %b` argument: printable ASCII as it is, "\" and every other byte as `\0ooo`,
 * so a name that is not UTF-8 reaches the container intact through Incus's JSON.
 */
export function escapedPath(name: Buffer): string {
  let text = '';
  for (const byte of name) text += byte > 0x20 && byte < 0x7f && byte !== 0x5c ? String.fromCharCode(byte) : `\\0${byte.toString(8).padStart(3, '0')}`;
  return text;
}

/** Reads the output of HASH_FILES_SCRIPT: the sha256 of each path it could read. */
export function parseHashedFiles(output: Buffer): Map<string, string> {
  const reader = new Reader(output);
  const hashes = new Map<string, string>();
  readHashGroups(reader, (path, hash) => hashes.set(path, hash));
  if (reader.line() !== 'E' || !reader.done) throw broken('the hashes do not end');
  return hashes;
}

const NL = 0x0a;
const NUL = 0;
const SPACE = 0x20;
const BACKSLASH = 0x5c;
const HASH = /^[0-9a-f]{64}$/;

/** A cursor over the listing's bytes (names are bytes: a file name need not be UTF-8). */
class Reader {
  constructor(
    readonly data: Buffer,
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

  /** Past the next `byte`; returns where that is. */
  skipPast(byte: number): number {
    const end = this.data.indexOf(byte, this.at);
    if (end < 0) throw broken('a record is cut off');
    return (this.at = end + 1);
  }

  line(): string {
    return this.until(NL).toString('latin1');
  }

  /** Consumes the bytes at `start`…`end` of the same data if they come next. */
  takeRange(start: number, end: number): boolean {
    const { data } = this;
    const length = end - start;
    if (this.at + length > data.length) return false;
    for (let offset = 0; offset < length; offset++) if (data[this.at + offset] !== data[start + offset]) return false;
    this.at += length;
    return true;
  }

  /** Consumes `bytes` if they come next. */
  take(bytes: Buffer): boolean {
    const end = this.at + bytes.length;
    if (end > this.data.length || bytes.compare(this.data, this.at, end) !== 0) return false;
    this.at = end;
    return true;
  }

  /** Consumes one byte if it comes next. */
  takeByte(byte: number): boolean {
    if (this.data[this.at] !== byte) return false;
    this.at++;
    return true;
  }

  /** A number in `radix` (10 or 16) followed by a space, and past both; NaN when there is none. */
  field(radix: 10 | 16): number {
    let value = 0;
    const start = this.at;
    for (;;) {
      const byte = this.data[this.at];
      const digit = byte === undefined ? -1 : byte >= 0x30 && byte <= 0x39 ? byte - 0x30 : radix === 16 && byte >= 0x61 && byte <= 0x66 ? byte - 0x57 : -1;
      if (digit < 0) break;
      value = value * radix + digit;
      this.at++;
    }
    return this.at > start && this.takeByte(SPACE) ? value : NaN;
  }

  peekIs(text: string): boolean {
    const end = this.at + text.length;
    return end <= this.data.length && this.data.toString('latin1', this.at, end) === text;
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
const bytesOf = (text: string) => Buffer.from(text, 'latin1');

/** One path as listed: what is compared, and what tells whether its content may have changed since an earlier listing. */
export interface ListedFile {
  stat: FileStat;
  /** Where its name (bytes, as the container spells it) is in the listing's output. */
  nameStart: number;
  nameEnd: number;
  ino: number;
  /** Seconds since the epoch: the last change of content or metadata, which no tool can set back. */
  ctime: number;
  mtime: number;
  device: number;
  /** A symlink's target length (stat's size of a link). */
  linkLength: number;
}

/** The output of LISTING_SCRIPT: every path of the root filesystem, when it was listed, and the mount points met. */
export interface Listing {
  /** The container's clock (epoch seconds) when the listing started. */
  listedAt: number;
  files: Map<string, ListedFile>;
  mounts: string[];
  /** The output the names are in. */
  output: Buffer;
}

/** A file's name as the container spells it. */
export function nameBytes(listing: Listing, file: ListedFile): Buffer {
  return listing.output.subarray(file.nameStart, file.nameEnd);
}

/** Reads the output of LISTING_SCRIPT. `mounts`: the container's disk mount paths (pruned there). */
export function parseListing(output: Buffer, mounts: readonly string[]): Listing {
  const reader = new Reader(output);
  if (!reader.takeByte(0x52 /* R */)) throw broken('no root device');
  const rootDevice = reader.field(10);
  const listedAt = Number(reader.line());
  if (Number.isNaN(rootDevice) || !Number.isSafeInteger(listedAt)) throw broken('no root device');
  const files = new Map<string, ListedFile>();
  const found = new Set(mounts);
  const strings = new StatStrings();
  while (!reader.done) {
    const header = reader.line();
    if (!/^B\d+$/.test(header)) throw broken(`unexpected "${header.slice(0, 40)}"`);
    const count = Number(header.slice(1));
    const names = new Int32Array(count * 2);
    for (let index = 0; index < count; index++) {
      names[index * 2] = reader.at;
      names[index * 2 + 1] = reader.skipPast(NUL) - 1;
    }
    const stats = readStats(reader, names, strings);
    readTargets(reader, stats);
    for (const entry of stats) {
      const path = output.toString('utf8', entry.nameStart, entry.nameEnd);
      if (entry.device !== rootDevice) found.add(path);
      else files.set(path, entry);
    }
    // find lists each path once: a hashed path is this batch's (or one it left out, on another device)
    readHashGroups(reader, (path, sha256) => {
      const entry = files.get(path);
      if (entry?.stat.kind === 'file') entry.stat.sha256 = sha256;
    });
    if (reader.line() !== 'E') throw broken('a batch does not end');
  }
  return { listedAt, files, mounts: [...found], output };
}

/** The stat lines of a batch, matched to its names (start and end offsets) by position and name; a vanished path has none. */
function readStats(reader: Reader, names: Int32Array, strings: StatStrings): ListedFile[] {
  const stats: ListedFile[] = [];
  for (let index = 0; index < names.length; index += 2) {
    const start = reader.at;
    const rawMode = reader.field(16);
    const uid = reader.field(10);
    const gid = reader.field(10);
    const size = reader.field(10);
    const mtime = reader.field(10);
    const ctime = reader.field(10);
    const ino = reader.field(10);
    const device = reader.field(10);
    const nameStart = names[index]!;
    const nameEnd = names[index + 1]!;
    if (Number.isNaN(device) || !reader.takeRange(nameStart, nameEnd) || !reader.takeByte(NL)) {
      reader.at = start;
      continue;
    }
    const kind = kindOfMode(rawMode);
    stats.push({
      stat: { kind, size: kind === 'file' ? size : 0, mode: strings.mode(rawMode), uid, gid, mtime: strings.time(mtime) },
      nameStart,
      nameEnd,
      ino,
      ctime,
      mtime,
      device,
      linkLength: size,
    });
  }
  if (reader.line() !== 'L') throw broken('the stat lines do not end');
  return stats;
}

const QUOTE = 0x27;
const ARROW = bytesOf(' -> ');

/** `%N` of each symlink: busybox `'NAME' -> 'TARGET'`, GNU (literal) `NAME -> TARGET`; the target's length is known. */
function readTargets(reader: Reader, stats: ListedFile[]): void {
  for (const entry of stats) {
    if (entry.stat.kind !== 'symlink') continue;
    if (reader.peekIs('H\n')) break; // the rest are gone
    const start = reader.at;
    const isQuoted = reader.takeByte(QUOTE) && reader.takeRange(entry.nameStart, entry.nameEnd) && reader.takeByte(QUOTE) && reader.take(ARROW) && reader.takeByte(QUOTE);
    if (!isQuoted) reader.at = start;
    if (!isQuoted && !(reader.takeRange(entry.nameStart, entry.nameEnd) && reader.take(ARROW))) {
      reader.at = start; // gone since it was listed
      continue;
    }
    entry.stat.target = nameOf(reader.bytes(entry.linkLength));
    if (!(isQuoted ? reader.takeByte(QUOTE) : true) || !reader.takeByte(NL)) throw broken(`the link ${reader.data.toString('utf8', entry.nameStart, entry.nameEnd)} changed while it was read`);
  }
  if (reader.line() !== 'H') throw broken('the link targets do not end');
}

/** The hash groups of a batch (HASH_GROUP): `found` is told each path's sha256; one that could not be read has none. */
function readHashGroups(reader: Reader, found: (path: string, sha256: string) => void): void {
  const { data } = reader;
  while (reader.peekIs('S')) {
    const header = reader.line();
    if (!/^S\d+$/.test(header)) throw broken(`unexpected "${header.slice(0, 40)}"`);
    const count = Number(header.slice(1));
    const names = new Int32Array(count * 2);
    for (let index = 0; index < count; index++) {
      names[index * 2] = reader.at;
      names[index * 2 + 1] = reader.skipPast(NUL) - 1;
    }
    const status = reader.line();
    const hashes = status === 'Y' ? hashesOneByOne(reader, count) : hashLines(reader, status, names);
    for (let index = 0; index < count; index++) {
      const hash = hashes[index];
      if (hash !== undefined) found(data.toString('utf8', names[index * 2], names[index * 2 + 1]), hash);
    }
  }
}

/** One line per file: its sha256, or `-` when it could not be read. */
function hashesOneByOne(reader: Reader, count: number): (string | undefined)[] {
  return Array.from({ length: count }, () => {
    const line = reader.line();
    if (line !== '-' && !HASH.test(line)) throw broken(`unexpected "${line.slice(0, 40)}"`);
    return line === '-' ? undefined : line;
  });
}

const TWO_SPACES = bytesOf('  ');

/**
 * After `X0 LENGTH`: sha256sum's LENGTH bytes, one line per name (start and end offsets), in order:
 * `HASH  NAME`, or GNU's `\HASH  ESCAPED` for a name holding "\" or a newline; the shell dropped
 * the newlines that ended the output.
 */
function hashLines(reader: Reader, status: string, names: Int32Array): string[] {
  const length = /^X0 (\d+)$/.exec(status)?.[1];
  if (length === undefined) throw broken('a hash group has no status');
  const { data } = reader;
  const end = reader.at + Number(length);
  const count = names.length / 2;
  const hashes: string[] = [];
  for (let index = 0; index < count; index++) {
    const start = names[index * 2]!;
    let stop = names[index * 2 + 1]!;
    const last = index === count - 1;
    const escaped = reader.takeByte(BACKSLASH);
    const hash = data.toString('latin1', reader.at, (reader.at += 64));
    if (last) while (stop > start && data[stop - 1] === NL) stop--;
    const named = reader.take(TWO_SPACES) && (escaped ? reader.take(bytesOf(data.toString('latin1', start, stop).replace(/\\/g, '\\\\').replace(/\n/g, '\\n'))) : reader.takeRange(start, stop));
    if (reader.at > end || !HASH.test(hash) || !named || !(last ? reader.at === end : reader.takeByte(NL))) throw broken(`the hash of ${data.toString('utf8', start, stop)} does not match its name`);
    hashes.push(hash);
  }
  if (reader.at !== end || !reader.takeByte(NL)) throw broken('a hash group is cut off');
  return hashes;
}

/**
 * What a previous listing of the same container found out about one regular file, kept to skip
 * hashing it again: a row as the cache stores it (no object per file: there are tens of thousands).
 */
export type KnownHash = readonly [path: string, ino: number, ctime: number, size: number, mtime: number, sha256: string];

/** Seconds a file's ctime must be older than the listing that hashed it for its hash to be kept. */
const KEEP_MARGIN = 2;

/**
 * What the next listing hashes itself, given the earlier one's kept hashes (none: all): the files
 * whose ctime is too recent for that listing to have kept their hash. The rest keep theirs when
 * `reuseHashes` finds them unchanged; those it does not (moved, restored) are hashed after.
 */
export function hashesAfter(earlier: { listedAt: number } | undefined): HashChoice {
  return earlier === undefined ? 'all' : { changedSince: earlier.listedAt - KEEP_MARGIN + 1 };
}

/**
 * The hashes of an earlier listing worth keeping: only of files whose ctime is at least two
 * seconds before that listing started. A change to a file's content or metadata sets its ctime to
 * the kernel's clock, which user space cannot set back, so a later change leaves a later ctime
 * second, even with the clock's tick between (the second of margin).
 */
export function trustedHashes(listing: Listing): Map<string, KnownHash> {
  const known = new Map<string, KnownHash>();
  for (const [path, file] of listing.files) {
    if (file.stat.kind !== 'file' || file.stat.sha256 === undefined || file.ctime > listing.listedAt - KEEP_MARGIN) continue;
    known.set(path, [path, file.ino, file.ctime, file.stat.size, file.mtime, file.stat.sha256]);
  }
  return known;
}

/**
 * Fills in the hash of each regular file the listing did not hash (its ctime is older than the
 * previous listing) from that listing when inode, ctime, size and mtime are all the same. Returns
 * the files that still need one (a directory renamed since, a file restored from elsewhere), how
 * many hashes were reused, and how many files the listing hashed itself.
 */
export function reuseHashes(listing: Listing, known: ReadonlyMap<string, KnownHash>): { missing: ListedFile[]; reused: number; hashed: number } {
  const missing: ListedFile[] = [];
  let reused = 0;
  let hashed = 0;
  for (const [path, file] of listing.files) {
    if (file.stat.kind !== 'file') continue;
    if (file.stat.sha256 !== undefined) {
      hashed++;
      continue;
    }
    const before = known.get(path);
    if (before && before[1] === file.ino && before[2] === file.ctime && before[3] === file.stat.size && before[4] === file.mtime) {
      file.stat.sha256 = before[5];
      reused++;
    } else {
      missing.push(file);
    }
  }
  return { missing, reused, hashed };
}

/** The manifest of a listing. */
export function manifestOf(listing: Listing): Manifest {
  const files = new Map<string, FileStat>();
  for (const [path, file] of listing.files) files.set(path, file.stat);
  return { files, mounts: listing.mounts, packageDbs: {} };
}
