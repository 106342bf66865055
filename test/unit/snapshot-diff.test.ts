import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import * as jsdiff from 'diff';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileStat } from '../../src/shared/diff';
import { DiffCache } from '../../src/main/snapshots/diff/cache';
import { compareContent } from '../../src/main/snapshots/diff/diff';
import {
  escapedPath,
  HASH_FILES_SCRIPT,
  LISTING_SCRIPT,
  LISTING_TOOLS,
  listingArgs,
  nameBytes,
  parseHashedFiles,
  parseListing,
  reuseHashes,
  trustedHashes,
} from '../../src/main/snapshots/diff/exec-manifest';
import { compareManifests, pathFilter, underPrefix, type Manifest } from '../../src/main/snapshots/diff/manifest';
import { comparePackages, parseApkInstalled, parseDpkgStatus } from '../../src/main/snapshots/diff/packages';
import { readTarManifest } from '../../src/main/snapshots/diff/tar-manifest';

const sha = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');
const file = (text: string, extra: Partial<FileStat> = {}): FileStat => ({ kind: 'file', size: Buffer.byteLength(text), mode: '0644', uid: 0, gid: 0, mtime: '2026-01-01T00:00:00.000Z', sha256: sha(text), ...extra });
const link = (target: string): FileStat => ({ kind: 'symlink', size: 0, mode: '0777', uid: 0, gid: 0, mtime: '2026-01-01T00:00:00.000Z', target });
const dir = (extra: Partial<FileStat> = {}): FileStat => ({ kind: 'dir', size: 0, mode: '0755', uid: 0, gid: 0, mtime: '2026-01-01T00:00:00.000Z', ...extra });
const manifest = (files: Record<string, FileStat>, mounts: string[] = []): Manifest => ({ files: new Map(Object.entries(files)), mounts, packageDbs: {} });
const everything = () => true;

describe('comparing manifests', () => {
  it('finds a same-size edit by its hash, and each kind of metadata change', () => {
    const before = manifest({
      '/': dir(),
      '/a': file('hello'),
      '/gone': file('x'),
      '/mode': file('m'),
      '/owner': file('o'),
      '/link': link('a'),
      '/kind': file('k'),
      '/touched': file('t'),
    });
    const after = manifest({
      '/': dir({ mtime: '2026-02-01T00:00:00.000Z' }),
      '/a': file('HELLO'),
      '/new': file('n'),
      '/mode': file('m', { mode: '0755' }),
      '/owner': file('o', { uid: 1000, gid: 1000 }),
      '/link': link('b'),
      '/kind': link('k'),
      '/touched': file('t', { mtime: '2026-03-01T00:00:00.000Z' }),
    });
    const changes = compareManifests(before, after, everything);
    expect(changes.added.map((entry) => entry.path)).toEqual(['/new']);
    expect(changes.deleted.map((entry) => entry.path)).toEqual(['/gone']);
    expect(changes.modified.map((entry) => [entry.path, entry.changes])).toEqual([['/a', ['content']]]);
    expect(changes.metadata.map((entry) => [entry.path, entry.changes])).toEqual([
      ['/kind', ['kind', 'mode']],
      ['/link', ['target']],
      ['/mode', ['mode']],
      ['/owner', ['owner']],
    ]);
    expect(changes.compared).toEqual({ from: 8, to: 8 });
  });

  it('counts only what the filter lets through: prefixes, excluded patterns, mount points', () => {
    expect(underPrefix('/home/me/.cache/x', '/home/*/.cache')).toBe(true);
    expect(underPrefix('/home/me/src/.cache', '/home/*/.cache')).toBe(false);
    expect(underPrefix('/workspace2', '/workspace')).toBe(false);
    expect(underPrefix('/workspace/a', '/workspace/')).toBe(true);
    const include = pathFilter(['/srv', '/etc/hosts'], ['/srv/tmp'], ['/srv/mnt']);
    expect(['/srv', '/srv/a', '/etc/hosts', '/etc/passwd', '/srv/tmp/x', '/srv/mnt', '/srv/mnt/y'].filter(include)).toEqual(['/srv', '/srv/a', '/etc/hosts']);
  });
});

describe('package databases', () => {
  const dpkg = `Package: libc6
Status: install ok installed
Architecture: amd64
Version: 2.36-9

Package: libc6
Status: install ok installed
Architecture: i386
Version: 2.36-9

Package: vim
Status: deinstall ok config-files
Architecture: amd64
Version: 2:9.0.1378-2

Package: curl
Status: install ok installed
Architecture: amd64
Description: a tool
 with a continued line: Version: 0
Version: 7.88.1-10
`;

  it('reads installed dpkg packages, multiarch ones by architecture, removed ones left out', () => {
    expect(parseDpkgStatus(dpkg)).toEqual([
      { name: 'libc6', arch: 'amd64', version: '2.36-9' },
      { name: 'libc6', arch: 'i386', version: '2.36-9' },
      { name: 'curl', arch: 'amd64', version: '7.88.1-10' },
    ]);
  });

  it('reads apk packages', () => {
    expect(parseApkInstalled('C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\n\nP:busybox\nV:1.36.1-r5\n')).toEqual([
      { name: 'musl', arch: '', version: '1.2.4-r2' },
      { name: 'busybox', arch: '', version: '1.36.1-r5' },
    ]);
  });

  it('lists installed, removed and upgraded packages (a multiarch one by name and architecture), and nothing without a database', () => {
    const after = dpkg.replace('Version: 7.88.1-10', 'Version: 7.88.1-10+deb12u5').replace(/Package: libc6\nStatus: install ok installed\nArchitecture: i386\nVersion: 2.36-9\n\n/, '');
    expect(comparePackages({ dpkg }, { dpkg: `${after}\nPackage: jq\nStatus: install ok installed\nVersion: 1.6-2.1\n`, apk: 'P:x\nV:1\n' })).toEqual({
      managers: ['dpkg', 'apk'],
      installed: [{ name: 'jq', version: '1.6-2.1' }, { name: 'x', version: '1' }],
      removed: [{ name: 'libc6:i386', version: '2.36-9' }],
      upgraded: [{ name: 'curl', from: '7.88.1-10', to: '7.88.1-10+deb12u5' }],
    });
    expect(comparePackages({}, {})).toBeNull();
  });
});

describe('the listing made inside a container', () => {
  /**
   * The listing's scripts run here on a real tree with awkward names, with the GNU tools (dash,
   * findutils, coreutils) and with busybox's (as in an Alpine or busybox container).
   */
  const ODD = ['a\nb', 'l n', 'back\\slash', 'ends\n', 'caf\u00e9'];
  const NOT_UTF8 = Buffer.from([0x6e, 0xff, 0x2e, 0x74]); // "n\xff.t"
  let root: string;
  let busyboxPath: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'coi-listing-'));
    mkdirSync(join(root, 'd'));
    for (const [index, name] of ODD.entries()) writeFileSync(join(root, 'd', name), `content ${index}`);
    writeFileSync(Buffer.concat([Buffer.from(`${root}/d/`), NOT_UTF8]), 'not utf-8');
    symlinkSync('/etc/pa ss', join(root, 'd', 'link to'));
    chmodSync(join(root, 'd', 'l n'), 0o750);
    busyboxPath = mkdtempSync(join(tmpdir(), 'coi-busybox-'));
    for (const tool of [...LISTING_TOOLS, 'sh', 'printf', 'awk']) symlinkSync(execFileSync('sh', ['-c', 'command -v busybox']).toString().trim(), join(busyboxPath, tool));
  });

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(busyboxPath, { recursive: true, force: true });
  });

  const toolsets = () => [
    { name: 'GNU', env: process.env },
    { name: 'busybox', env: { ...process.env, PATH: busyboxPath } },
  ];
  const run = (env: NodeJS.ProcessEnv, script: string, args: string[]) => execFileSync('sh', ['-c', script, 'sh', ...args], { env, maxBuffer: 64 * 1024 * 1024 });

  it('lists and hashes names with newlines, spaces, backslashes and bytes that are not UTF-8, with GNU and busybox tools', () => {
    for (const { name, env } of toolsets()) {
      const listing = parseListing(run(env, LISTING_SCRIPT, listingArgs('all', [root], [])), []);
      for (const [index, odd] of ODD.entries()) expect(listing.files.get(`${root}/d/${odd}`)?.stat, `${name}: ${JSON.stringify(odd)}`).toMatchObject({ kind: 'file', size: 9, sha256: sha(`content ${index}`) });
      expect(listing.files.get(`${root}/d/l n`)?.stat.mode).toBe('0750');
      expect(listing.files.get(`${root}/d/link to`)?.stat, name).toMatchObject({ kind: 'symlink', size: 0, target: '/etc/pa ss' });
      expect(listing.files.get(`${root}/d`)?.stat.kind).toBe('dir');
      const odd = [...listing.files.values()].find((entry) => nameBytes(listing, entry).subarray(-NOT_UTF8.length).equals(NOT_UTF8));
      expect(odd?.stat.sha256, name).toBe(sha('not utf-8'));
      expect(Math.abs(listing.listedAt - Date.now() / 1000)).toBeLessThan(60);
    }
  });

  it('lists without hashing, then hashes the files named to it one by one as the container spells them', () => {
    for (const { name, env } of toolsets()) {
      const listing = parseListing(run(env, LISTING_SCRIPT, listingArgs('none', [root], [])), []);
      const files = [...listing.files.values()].filter((entry) => entry.stat.kind === 'file');
      expect(files.every((entry) => entry.stat.sha256 === undefined)).toBe(true);
      const gone = Buffer.from(`${root}/d/gone`);
      const hashed = parseHashedFiles(run(env, HASH_FILES_SCRIPT, [...files.map((entry) => escapedPath(nameBytes(listing, entry))), escapedPath(gone)]));
      expect(hashed.size, name).toBe(ODD.length + 1); // the one that is gone has none
      for (const [index, odd] of ODD.entries()) expect(hashed.get(`${root}/d/${odd}`), `${name}: ${JSON.stringify(odd)}`).toBe(sha(`content ${index}`));
    }
  });

  it('hashes only the files whose ctime is at or after the second it is given, with GNU and busybox tools', () => {
    for (const { name, env } of toolsets()) {
      const all = parseListing(run(env, LISTING_SCRIPT, listingArgs('none', [root], [])), []);
      const files = [...all.files].filter(([, entry]) => entry.stat.kind === 'file');
      const since = Math.min(...files.map(([, entry]) => entry.ctime));
      const recent = parseListing(run(env, LISTING_SCRIPT, listingArgs({ changedSince: since }, [root], [])), []);
      for (const [path, entry] of files) {
        const hash = recent.files.get(path)?.stat.sha256;
        // a name holding a newline is left to the hashing after the listing (see CHANGED_FILES)
        if (!path.includes('\n')) expect(hash, `${name}: ${JSON.stringify(path)}`).toBeDefined();
        if (hash !== undefined) expect(hash).toBe(sha(readFileSync(nameBytes(all, entry))));
      }
      expect(recent.files.get(`${root}/d/link to`)?.stat.sha256).toBeUndefined();
      const later = parseListing(run(env, LISTING_SCRIPT, listingArgs({ changedSince: since + 3600 }, [root], [])), []);
      expect([...later.files.values()].every((entry) => entry.stat.sha256 === undefined), name).toBe(true);
    }
    // without awk (the GNU tools but awk) the listing hashes none: reuseHashes leaves them all to be hashed after
    const noAwk = mkdtempSync(join(tmpdir(), 'coi-no-awk-'));
    for (const tool of [...LISTING_TOOLS, 'sh', 'printf']) symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`]).toString().trim(), join(noAwk, tool));
    const listing = parseListing(run({ ...process.env, PATH: noAwk }, LISTING_SCRIPT, listingArgs({ changedSince: 0 }, [root], [])), []);
    rmSync(noAwk, { recursive: true, force: true });
    expect([...listing.files.values()].every((entry) => entry.stat.sha256 === undefined)).toBe(true);
  });

  it("reuses a hash only for a file whose inode, ctime, size and mtime are the earlier listing's, and only when its ctime was two seconds before that listing", () => {
    const stat = (sha256?: string): FileStat => ({ kind: 'file', size: 3, mode: '0644', uid: 0, gid: 0, mtime: '2026-01-01T00:00:00.000Z', ...(sha256 ? { sha256 } : {}) });
    const entry = (ino: number, ctime: number, sha256?: string) => ({ stat: stat(sha256), nameStart: 0, nameEnd: 0, ino, ctime, mtime: 50, device: 1, linkLength: 3 });
    const earlier = { listedAt: 1000, output: Buffer.alloc(0), mounts: [], files: new Map([['/old', entry(1, 900, sha('a'))], ['/racy', entry(2, 999, sha('b'))], ['/swapped', entry(3, 900, sha('c'))], ['/edited', entry(4, 900, sha('d'))]]) };
    const known = trustedHashes(earlier);
    expect([...known.keys()]).toEqual(['/old', '/swapped', '/edited']); // '/racy' changed within the second the listing began
    const now = { listedAt: 2000, output: Buffer.alloc(0), mounts: [], files: new Map([['/old', entry(1, 900)], ['/racy', entry(2, 999)], ['/swapped', entry(9, 900)], ['/edited', entry(4, 1500)], ['/new', entry(5, 800)]]) };
    const { missing, reused } = reuseHashes(now, known);
    expect(reused).toBe(1);
    expect(now.files.get('/old')!.stat.sha256).toBe(sha('a'));
    expect(missing.map((file) => [...now.files].find(([, candidate]) => candidate === file)![0])).toEqual(['/racy', '/swapped', '/edited', '/new']);
  });

  it('refuses output it cannot read instead of guessing', () => {
    expect(() => parseListing(Buffer.from('R1 1700000000\nB1\n/a'), [])).toThrow(/could not be read/);
    const badHash = `R1 1700000000\nB1\n/a\x0081a4 0 0 1 1 1 1 1 /a\nL\nH\nS1\n/a\x00X0 68\n${sha('x')}  /b\nE\n`;
    expect(() => parseListing(Buffer.from(badHash), [])).toThrow(/does not match its name/);
  });
});

describe('reading an image tar', () => {
  async function tarOf(entries: { name: string; type?: 'file' | 'directory' | 'symlink' | 'link'; content?: string; linkname?: string; mode?: number; uid?: number }[]): Promise<Readable> {
    const archive = pack();
    for (const { content, ...header } of entries) archive.entry({ mode: 0o644, ...header }, content ?? '');
    archive.finalize();
    const chunks: Buffer[] = [];
    for await (const chunk of archive) chunks.push(chunk as Buffer);
    return Readable.from([Buffer.concat(chunks)]);
  }

  it('hashes files, resolves hard links, keeps symlink targets and the package database, and keeps what is asked for', async () => {
    const input = await tarOf([
      { name: 'metadata.yaml', content: 'x' },
      { name: 'rootfs', type: 'directory', mode: 0o755 },
      { name: 'rootfs/etc/hosts', content: '127.0.0.1 localhost\n', uid: 5 },
      { name: 'rootfs/etc/hosts.link', type: 'link', linkname: 'rootfs/etc/hosts' },
      { name: 'rootfs/bin/sh', type: 'symlink', linkname: 'busybox', mode: 0o777 },
      { name: 'rootfs/var/lib/dpkg/status', content: 'Package: a\nStatus: install ok installed\nVersion: 1\n' },
    ]);
    const { manifest: read, kept } = await readTarManifest(input, { root: 'rootfs', keep: (path) => path === '/etc/hosts' });
    expect([...read.files.keys()]).toEqual(['/', '/etc/hosts', '/etc/hosts.link', '/bin/sh', '/var/lib/dpkg/status']);
    expect(read.files.get('/etc/hosts')).toMatchObject({ kind: 'file', size: 20, uid: 5, mode: '0644', sha256: sha('127.0.0.1 localhost\n') });
    expect(read.files.get('/etc/hosts.link')).toMatchObject({ kind: 'file', size: 20, sha256: sha('127.0.0.1 localhost\n') });
    expect(read.files.get('/bin/sh')).toMatchObject({ kind: 'symlink', target: 'busybox', mode: '0777' });
    expect(read.packageDbs.dpkg).toContain('Package: a');
    expect([...kept.keys()]).toEqual(['/etc/hosts']);
  });
});

describe('reading the tar archives tar and Incus write', () => {
  const long = 'x'.repeat(150);
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'coi-tar-'));
    mkdirSync(join(dir, 'rootfs', long, 'deeper'), { recursive: true });
    writeFileSync(join(dir, 'rootfs', long, 'deeper', `${long}.txt`), 'deep\n');
    writeFileSync(join(dir, 'rootfs', 'caf\u00e9'), 'x'.repeat(70_000));
    symlinkSync(`/very/${long}/target`, join(dir, 'rootfs', 'long-link'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const archive = (format: string) => execFileSync('tar', [`--format=${format}`, '--owner=3000000', '--group=5', '-C', dir, '-cf', '-', 'rootfs'], { maxBuffer: 16 * 1024 * 1024 });

  it('reads GNU long names and pax headers (long names and targets), ids too large for octal, content across chunks', async () => {
    for (const format of ['gnu', 'pax']) {
      const bytes = archive(format);
      const chunks = Array.from({ length: Math.ceil(bytes.length / 1000) }, (_, index) => bytes.subarray(index * 1000, index * 1000 + 1000)); // headers split across chunks
      const { manifest: read } = await readTarManifest(Readable.from(chunks), { root: 'rootfs' });
      expect(read.files.get(`/${long}/deeper/${long}.txt`), format).toMatchObject({ kind: 'file', size: 5, sha256: sha('deep\n'), uid: 3000000, gid: 5 });
      expect(read.files.get('/caf\u00e9'), format).toMatchObject({ size: 70_000, sha256: sha('x'.repeat(70_000)) });
      expect(read.files.get('/long-link'), format).toMatchObject({ kind: 'symlink', target: `/very/${long}/target` });
      expect(read.files.get(`/${long}`)?.kind).toBe('dir');
    }
  });

  it('refuses an archive that is cut off or whose header is damaged', async () => {
    const bytes = archive('pax');
    await expect(readTarManifest(Readable.from([bytes.subarray(0, 3000)]), { root: 'rootfs' })).rejects.toThrow(/could not be read \(it ends in the middle of an entry\)/);
    const damaged = Buffer.from(bytes);
    damaged[10] = damaged[10]! ^ 1;
    await expect(readTarManifest(Readable.from([damaged]), { root: 'rootfs' })).rejects.toThrow(/checksum/);
  });
});

describe("one file's content", () => {
  const side = (text: string | Buffer | null) => ({ stat: text === null ? null : file(text.toString()), content: text === null ? undefined : Buffer.from(text) });

  it('is a unified diff for text, with a missing side as empty', () => {
    expect(compareContent(jsdiff, '/f', side('a\nb\n'), side('a\nc\n'), ['s1', 'current'])).toEqual({
      type: 'text',
      same: false,
      unified: '--- s1:/f\n+++ current:/f\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n',
      hunks: [{ oldStart: 1, oldLines: 2, newStart: 1, newLines: 2, lines: [' a', '-b', '+c'] }],
    });
    expect(compareContent(jsdiff, '/f', side(null), side('new\n'), ['s1', 'current'])).toMatchObject({ type: 'text', unified: expect.stringContaining('+new') });
    expect(compareContent(jsdiff, '/f', side('same\n'), side('same\n'), ['s1', 's2'])).toMatchObject({ type: 'text', same: true, unified: '' });
  });

  it('is binary, too large or not a file where a text diff makes no sense', () => {
    expect(compareContent(jsdiff, '/f', side(Buffer.from([0, 1, 2])), side('text'), ['a', 'b'])).toEqual({ type: 'binary', same: false });
    expect(compareContent(jsdiff, '/f', side(Buffer.from([0xff, 0xfe])), side(Buffer.from([0xff, 0xfe])), ['a', 'b'])).toEqual({ type: 'binary', same: true });
    const big = { stat: file('x', { size: 5 * 1024 * 1024 }), content: undefined };
    expect(compareContent(jsdiff, '/f', big, side('x'), ['a', 'b'])).toMatchObject({ type: 'too-large' });
    expect(compareContent(jsdiff, '/d', { stat: dir(), content: undefined }, { stat: null, content: undefined }, ['a', 'b'])).toEqual({ type: 'not-a-file' });
  });
});

describe('the cache of manifests, records and kept hashes', () => {
  const snapshot = { host: 'local', project: 'default', container: 'box', snapshot: 's', createdAt: '2026-11-27T10:00:00Z' };
  const box = { host: 'local', project: 'default', container: 'box', createdAt: '2026-11-27T09:00:00Z', startedAt: '2026-11-27T09:00:01Z' };
  const before = manifest({ '/': dir(), '/w': dir(), '/w/a.txt': file('hello world\n') });
  const row = ['/w/a.txt', 7, 1795000000, 12, 1795000000, sha('hello world\n')] as const;

  /** Each file of the cache, changed as a hand (or a damaged disk) would: `/w/a.txt` gets another file's hash, the file still JSON. */
  function tamper(dir: string): string[] {
    const changed: string[] = [];
    for (const folder of ['manifests', 'records', 'listings']) {
      for (const name of readdirSync(join(dir, folder))) {
        const path = join(dir, folder, name);
        writeFileSync(path, readFileSync(path, 'utf8').replace(sha('hello world\n'), sha('HELLO world\n')));
        changed.push(folder);
      }
    }
    return changed;
  }

  it('reads back what it wrote; a file changed since (still valid JSON) is missing, never a wrong manifest or hash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coi-diff-cache-'));
    const cache = new DiffCache(dir);
    await cache.writeManifest(snapshot, before);
    await cache.writeRecord(snapshot, { manifest: before, unknown: ['/tmp'] });
    await cache.writeHashes(box, 1795000100, new Map([[row[0], row]]));
    expect(await cache.readManifest(snapshot)).toEqual(before);
    expect(await cache.readRecord(snapshot)).toEqual({ manifest: before, unknown: ['/tmp'] });
    const kept = await cache.readHashes(box);
    expect([kept?.listedAt, kept?.hashes()]).toEqual([1795000100, new Map([[row[0], row]])]);

    expect(tamper(dir)).toEqual(['manifests', 'records', 'listings']);
    expect(await cache.readManifest(snapshot)).toBeUndefined();
    expect(await cache.readRecord(snapshot)).toBeUndefined();
    // the first line (when that listing started) is read at once; the rows it no longer matches are none: those files are hashed again
    const tampered = await cache.readHashes(box);
    expect([tampered?.listedAt, tampered?.hashes()]).toEqual([1795000100, new Map()]);
  });

  it('takes a manifest or record whose entries are not [path, stat] pairs as missing, its sha256 right or not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coi-diff-cache-'));
    const cache = new DiffCache(dir);
    await cache.writeManifest(snapshot, before);
    await cache.writeRecord(snapshot, { manifest: before, unknown: [] });
    for (const folder of ['manifests', 'records']) {
      const [name] = readdirSync(join(dir, folder));
      const path = join(dir, folder, name!);
      const [header, body] = readFileSync(path, 'utf8').split('\n') as [string, string];
      const broken = body.replace('["/w/a.txt",', '["/w/a.txt",1,');
      const sha256 = createHash('sha256').update(broken).digest('hex');
      writeFileSync(path, `${header.replace(/"sha256":"[0-9a-f]+"/, `"sha256":"${sha256}"`)}\n${broken}`);
    }
    expect(await cache.readManifest(snapshot)).toBeUndefined();
    expect(await cache.readRecord(snapshot)).toBeUndefined();
  });

  it("uses the kept rows only with the listing time their file's first line gives", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coi-diff-cache-'));
    const cache = new DiffCache(dir);
    await cache.writeHashes(box, 1795000100, new Map([[row[0], row]]));
    const [name] = readdirSync(join(dir, 'listings'));
    const path = join(dir, 'listings', name!);
    writeFileSync(path, readFileSync(path, 'utf8').replace('"listedAt":1795000100}\n', '"listedAt":1795000200}\n'));
    const kept = await cache.readHashes(box);
    expect([kept?.listedAt, kept?.hashes()]).toEqual([1795000200, new Map()]);
  });

  it('removes the temporary file of a write killed half-way when it next writes there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coi-diff-cache-'));
    mkdirSync(join(dir, 'manifests'));
    const left = 'ab.json.999999999.0123abcd.tmp'; // a process id no process has
    writeFileSync(join(dir, 'manifests', left), '{"format":');
    await new DiffCache(dir).writeManifest(snapshot, before);
    expect(readdirSync(join(dir, 'manifests'))).toHaveLength(1);
    expect(readdirSync(join(dir, 'manifests'))).not.toContain(left);
  });
});
