const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const METADATA = Buffer.from('metadata');
/** The longest envelope key kept: `metadata` with each letter escaped (`\u006d…`) is 48 bytes. */
const MAX_KEY = 6 * METADATA.length;

const isSpace = (byte: number) => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;

/**
 * Reads a daemon's JSON answer as it arrives and hands each item of its top-level `metadata` array,
 * parsed on its own, to `onItem` as soon as the item is complete; what is left (the envelope, its
 * `metadata` an empty array) is `end()`'s, as text. An item that is not JSON makes that text no JSON
 * either, as the whole answer was not. A listing then never holds the whole answer, as text or parsed: for a host
 * with 500 containers × 50 snapshots the answer is 45 MB, and its parsed form as much again, which the
 * process kept long after (V8's heap and the C allocator do not give such peaks back). Only the
 * structure is followed here (brackets, strings and their escapes); whether each part is JSON is for
 * `JSON.parse` to say. Bytes are what is scanned: every structural character is ASCII,
 * which a UTF-8 multi-byte character never contains.
 */
export class AnswerItems {
  private depth = 0;
  private inString = false;
  /** The string's next byte is escaped (the chunk before ended on an odd number of backslashes). */
  private escaped = false;
  /** An item was not JSON: no more are parsed. */
  private invalid = false;
  /** The bytes of the last string begun at depth 1 (a key of the envelope), up to `MAX_KEY`. */
  private key: number[] = [];
  private keyOverflow = false;
  /** Inside the envelope's `metadata` array. */
  private inItems = false;
  /** A `metadata` array has begun (a second one is not JSON.parse's answer). */
  private metadataSeen = false;
  /** An item is being read; whether it is a string or a scalar (ended by the next separator). */
  private inItem = false;
  private itemKind: 'container' | 'string' | 'scalar' = 'container';
  /** The envelope's bytes (copies: a piece of a chunk would keep the whole chunk). */
  private readonly envelope: Buffer[] = [];
  /**
   * The bytes so far of an item that began in an earlier chunk (most do: an instance with 50
   * snapshots is ~90 kB, a chunk 64 kB), copied: one buffer for the whole answer, grown as needed.
   * Holding the chunks instead kept each one alive across the wait for the next, long enough for V8
   * to move it to its old generation, which freed it only at a full collection (~10 MB of chunks
   * for 4 hosts read at once); a buffer per item (Buffer.concat) left the C allocator ~7 MB of freed
   * blocks between longer-lived ones.
   */
  private pending = Buffer.alloc(0);
  private pendingLength = 0;
  private count = 0;
  /** The answer's first characters, for a message about an answer that is not JSON. */
  head = '';

  constructor(private readonly onItem: (value: unknown, index: number) => void) {}

  write(chunk: Buffer): void {
    if (this.head.length < 120) this.head += chunk.subarray(0, 120).toString('utf8').slice(0, 120 - this.head.length);
    let from = 0; // where the bytes not yet handed to the envelope or the item start
    for (let i = 0; i < chunk.length; i += 1) {
      const byte = chunk[i]!;
      if (this.inString) {
        const start = this.escaped ? i + 1 : i;
        this.escaped = false;
        const end = closingQuote(chunk, start);
        if (end === -1) {
          this.escaped = trailingBackslashes(chunk, start) % 2 === 1;
          if (this.depth === 1 && !this.inItems) this.keep(chunk, i, chunk.length);
          break;
        }
        if (this.depth === 1 && !this.inItems) this.keep(chunk, i, end);
        this.inString = false;
        i = end;
        if (this.inItem && this.itemKind === 'string' && this.depth === 2) {
          this.finishItem(chunk, from, end + 1);
          from = end + 1;
        }
        continue;
      }
      if (this.inItems && this.depth === 2 && !this.inItem) {
        if (isSpace(byte) || byte === COMMA) {
          from = i + 1;
          continue;
        }
        if (byte !== CLOSE_ARRAY) {
          this.inItem = true;
          this.itemKind = byte === OPEN_OBJECT || byte === OPEN_ARRAY ? 'container' : byte === QUOTE ? 'string' : 'scalar';
          from = i;
        }
      }
      if (this.inItem && this.itemKind === 'scalar' && this.depth === 2 && (isSpace(byte) || byte === COMMA || byte === CLOSE_ARRAY)) {
        this.finishItem(chunk, from, i);
        from = i;
        if (byte !== CLOSE_ARRAY) {
          from = i + 1;
          continue;
        }
      }
      if (byte === QUOTE) {
        this.inString = true;
        if (this.depth === 1 && !this.inItems) this.startKey();
      } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
        this.depth += 1;
        if (this.depth === 2 && byte === OPEN_ARRAY && this.isMetadataKey()) {
          this.envelope.push(Buffer.from(chunk.subarray(from, i + 1)));
          this.inItems = true;
          from = i + 1;
        }
      } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
        this.depth -= 1;
        if (this.inItems && this.depth === 1) {
          this.inItems = false;
          from = i; // the closing bracket is the envelope's
        } else if (this.inItem && this.itemKind === 'container' && this.depth === 2) {
          this.finishItem(chunk, from, i + 1);
          from = i + 1;
        }
      }
    }
    if (this.inItem) this.keepPending(chunk, from, chunk.length);
    else if (!this.inItems) this.envelope.push(Buffer.from(chunk.subarray(from)));
  }

  /** The envelope's text, `metadata` (when it was an array) left empty; `end` hands over an item a truncated answer left open. */
  end(): string {
    if (this.inItem && this.itemKind === 'scalar') this.finishItem(Buffer.alloc(0), 0, 0);
    if (this.inItem) this.envelope.push(this.pending.subarray(0, this.pendingLength)); // unfinished: the envelope is then no JSON, as the answer was not
    const text = Buffer.concat(this.envelope).toString('utf8');
    return this.invalid ? `${text}\u0000` : text;
  }

  private finishItem(chunk: Buffer, from: number, to: number): void {
    this.inItem = false;
    const index = this.count++;
    if (this.invalid) {
      this.pendingLength = 0;
      return;
    }
    let text: string;
    if (this.pendingLength === 0) text = chunk.toString('utf8', from, to);
    else {
      this.keepPending(chunk, from, to);
      text = this.pending.toString('utf8', 0, this.pendingLength);
      this.pendingLength = 0;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.invalid = true;
      return;
    }
    this.onItem(value, index);
  }

  /** Adds `chunk[from..to)` to the item's bytes so far. */
  private keepPending(chunk: Buffer, from: number, to: number): void {
    const length = this.pendingLength + to - from;
    if (this.pending.length < length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(length, 2 * this.pending.length));
      this.pending.copy(grown, 0, 0, this.pendingLength);
      this.pending = grown;
    }
    this.pendingLength += chunk.copy(this.pending, this.pendingLength, from, to);
  }

  private startKey(): void {
    this.key = [];
    this.keyOverflow = false;
  }

  /** Records the bytes `chunk[from..to)` of a string at depth 1 (after its opening quote, up to its closing one). */
  private keep(chunk: Buffer, from: number, to: number): void {
    for (let i = from; i < to && !this.keyOverflow; i += 1) {
      this.key.push(chunk[i]!);
      if (this.key.length > MAX_KEY) this.keyOverflow = true;
    }
  }

  /**
   * Whether the key before this array is `metadata`, also when written with escapes (`metad\u0061ta`).
   * A second `metadata` array makes the answer invalid: JSON.parse would keep only the last one, and
   * items of the first have been handed over already.
   */
  private isMetadataKey(): boolean {
    if (this.keyOverflow) return false;
    const plain = this.key.length === METADATA.length && this.key.every((byte, i) => byte === METADATA[i]);
    const named = plain || (this.key.includes(BACKSLASH) && escapedKey(this.key) === 'metadata');
    if (named && this.metadataSeen) this.invalid = true;
    if (named) this.metadataSeen = true;
    return named;
  }
}

/** A key's text, its escapes decoded; undefined when it is not a JSON string's content. */
function escapedKey(bytes: number[]): string | undefined {
  try {
    return JSON.parse(`"${Buffer.from(bytes).toString('utf8')}"`) as string;
  } catch {
    return undefined;
  }
}

/** The index of the quote that closes the string `chunk[from]` is in (at or after `from`), or -1 when it is not in this chunk. */
function closingQuote(chunk: Buffer, from: number): number {
  for (let at = chunk.indexOf(QUOTE, from); at !== -1; at = chunk.indexOf(QUOTE, at + 1)) {
    let backslashes = 0;
    while (at - backslashes - 1 >= from && chunk[at - backslashes - 1] === BACKSLASH) backslashes += 1;
    if (backslashes % 2 === 0) return at;
  }
  return -1;
}

/** How many backslashes end `chunk` (not counting below `from`). */
function trailingBackslashes(chunk: Buffer, from: number): number {
  let count = 0;
  while (chunk.length - count - 1 >= from && chunk[chunk.length - count - 1] === BACKSLASH) count += 1;
  return count;
}
