import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AnswerItems } from '../../src/main/incus/answer-items';

/** Feeds `text` to an AnswerItems in chunks cut at `cuts` (byte offsets); the items it gave and the envelope left. */
function split(text: string, cuts: number[] = []) {
  const bytes = Buffer.from(text);
  const items: unknown[] = [];
  const reader = new AnswerItems((value, index) => items.push([index, value]));
  const offsets = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  for (const cut of [...offsets, bytes.length]) {
    reader.write(bytes.subarray(from, cut));
    from = cut;
  }
  return { items: items.map((entry) => (entry as [number, unknown])[1]), indexes: items.map((entry) => (entry as [number, unknown])[0]), envelope: reader.end(), head: reader.head };
}

// Strings with quotes, backslashes, brackets and multi-byte characters: what could fool the scanner.
const tricky = fc.string({ unit: fc.constantFrom('"', '\\', '[', ']', '{', '}', ',', 'a', 'é', '😀', ' ', '\n', 'metadata') });
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, tricky, fc.integer(), fc.boolean(), fc.constant(null), tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(tricky, tie('value'), { maxKeys: 4 }),
})).value;

describe("a listing answer read item by item as it arrives", () => {
  it('knows the metadata key written with escapes, however the answer is cut', () => {
    const text = '{"type":"sync","metad\\u0061ta":[{"name":"coi-a"},{"name":"coi-b"}],"status_code":200}';
    expect(JSON.parse(text)).toMatchObject({ metadata: [{ name: 'coi-a' }, { name: 'coi-b' }] });
    for (const cut of [0, 10, 20, 21, 22, 25, 30]) expect(split(text, [cut]).items).toEqual([{ name: 'coi-a' }, { name: 'coi-b' }]);
  });

  it('makes an answer with two metadata arrays no JSON (JSON.parse would keep only the last)', () => {
    const read = split('{"type":"sync","metadata":[{"name":"coi-old"}],"metadata":[{"name":"coi-new"}]}');
    expect(() => JSON.parse(read.envelope) as unknown).toThrow();
  });

  it('gives every item of metadata, in order, and the rest of the envelope, however the answer is cut', () => {
    fc.assert(
      fc.property(fc.array(json, { maxLength: 6 }), fc.dictionary(tricky, json, { maxKeys: 3 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 12 }), (metadata, extra, indent, cuts) => {
        const envelope = { ...extra, type: 'sync', metadata, status_code: 200 };
        const read = split(JSON.stringify(envelope, null, indent ? 2 : undefined), cuts);
        expect(read.items).toEqual(metadata);
        expect(read.indexes).toEqual(metadata.map((_, i) => i));
        expect(JSON.parse(read.envelope)).toEqual({ ...envelope, metadata: [] });
      }),
      { numRuns: 400 },
    );
  });

  it('leaves a metadata that is no list in the envelope as it came', () => {
    for (const metadata of [null, { name: 'c1' }, 'x', 3]) {
      const read = split(JSON.stringify({ type: 'sync', metadata }), [3, 17]);
      expect(read.items).toEqual([]);
      expect(JSON.parse(read.envelope)).toEqual({ type: 'sync', metadata });
    }
  });

  it('makes the envelope no JSON when an item is not, or the answer stops in the middle of one', () => {
    const broken = split('{"type":"sync","metadata":[{"name":"a"},{"name":"b",}]}', [30]);
    expect(broken.items).toEqual([{ name: 'a' }]);
    expect(() => JSON.parse(broken.envelope)).toThrow();
    expect(() => JSON.parse(split('{"type":"sync","metadata":[{"name":"a"},{"na').envelope)).toThrow();
    expect(split('{"type":"sync","metadata":[{"name":"a"},{"na').head).toBe('{"type":"sync","metadata":[{"name":"a"},{"na');
  });
});
