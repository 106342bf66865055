import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CoiCore } from '../../src/main/app/core';
import { HostRegistry } from '../../src/main/hosts/registry';
import type { HostConfig } from '../../src/shared/hosts';

const box: HostConfig = { kind: 'ssh', name: 'box', user: 'ada', host: 'box.lan', port: 22, identityFiles: [] };

describe('the host registry', () => {
  it('always has the local host, and keeps added hosts across openings in a 0600 file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coi-reg-'));
    const registry = await HostRegistry.open(dir);
    expect(registry.list().map((host) => host.name)).toEqual(['local']);
    await registry.add(box);
    await expect(registry.add(box)).rejects.toThrow("a host named 'box' already exists");
    const again = await HostRegistry.open(dir);
    expect(again.get('box')).toEqual(box);
    expect(statSync(join(dir, 'hosts.json')).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['hosts.json']); // no temporary file left behind
    await again.remove('box');
    expect((await HostRegistry.open(dir)).list().map((host) => host.name)).toEqual(['local']);
  });

  it('says which hosts exist when one is missing, and refuses to remove the built-in local host', async () => {
    const registry = await HostRegistry.open(mkdtempSync(join(tmpdir(), 'coi-reg-')));
    expect(() => registry.get('nope')).toThrow("no host named 'nope' (hosts: local); add it with 'coi-desktop host add'");
    await expect(registry.remove('local')).rejects.toThrow('the local host is built in and cannot be removed');
  });

  it.each([
    ['not JSON', '{"version": 1, "hosts": [', /not JSON/],
    ['a wrong shape', JSON.stringify({ version: 1, hosts: [{ kind: 'ssh', name: 'x' }] }), /hosts\.0\.\w+/],
  ])('keeps a corrupt file (%s) aside as a backup and reports it', async (_label, text, reason) => {
    const dir = mkdtempSync(join(tmpdir(), 'coi-reg-'));
    writeFileSync(join(dir, 'hosts.json'), text);
    const registry = await HostRegistry.open(dir, () => new Date(2026, 10, 25, 12, 0, 0));
    const [backup, ...more] = readdirSync(dir).filter((name) => name.startsWith('hosts.json.corrupt-')).map((name) => join(dir, name));
    expect(backup).toMatch(new RegExp(`hosts\\.json\\.corrupt-20261125-120000-${process.pid}-[0-9a-f]{6}$`));
    expect(more).toEqual([]);
    expect(readFileSync(backup!, 'utf8')).toBe(text);
    expect(existsSync(join(dir, 'hosts.json'))).toBe(false);
    expect(registry.warning).toMatch(reason);
    expect(registry.warning).toContain(`it was kept as ${backup}`);
    expect(registry.list().map((host) => host.name)).toEqual(['local']);
  });
});

describe('the local host', () => {
  it('can be configured once (a project), and its name is not for a remote host', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coi-reg-'));
    const registry = await HostRegistry.open(dir);
    await expect(registry.add({ ...box, name: 'local' })).rejects.toThrow("'local' names this machine's own Incus");
    await registry.add({ kind: 'local', name: 'local', project: 'agents' });
    expect(registry.list()).toEqual([{ kind: 'local', name: 'local', project: 'agents' }]);
    await expect(registry.add({ kind: 'local', name: 'local' })).rejects.toThrow('already exists');
  });
});

describe('hosts.json shared by many writers', () => {
  const host = (name: string): HostConfig => ({ ...box, name });

  it('keeps every host when many registries add at once (each change rereads the file under the lock)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coi-reg-'));
    const registries = await Promise.all(Array.from({ length: 12 }, () => HostRegistry.open(dir)));
    await Promise.all(registries.map((registry, index) => registry.add(host(`h${index}`))));
    const names = (await HostRegistry.open(dir)).list().map((known) => known.name);
    expect(names.sort()).toEqual(['local', ...registries.map((_registry, index) => `h${index}`)].sort());
  });

  it('refuses a name another registry added since this one read the file, and then lists it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coi-reg-'));
    const [mine, theirs] = await Promise.all([HostRegistry.open(dir), HostRegistry.open(dir)]);
    await theirs!.add(host('box'));
    await expect(mine!.add(host('box'))).rejects.toThrow("a host named 'box' already exists");
    expect(mine!.list().map((known) => known.name)).toEqual(['local', 'box']);
  });

  it('removes only the host named, keeping one another registry added meanwhile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coi-reg-'));
    const mine = await HostRegistry.open(dir);
    await mine.add(host('old'));
    await (await HostRegistry.open(dir)).add(host('new'));
    await mine.remove('old');
    expect((await HostRegistry.open(dir)).list().map((known) => known.name)).toEqual(['local', 'new']);
  });

  it('takes over the lock a killed process left behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coi-reg-'));
    mkdirSync(join(dir, 'hosts.json.lock'));
    const longAgo = new Date(Date.now() - 60_000);
    utimesSync(join(dir, 'hosts.json.lock'), longAgo, longAgo);
    const registry = await HostRegistry.open(dir);
    await registry.add(host('after'));
    expect((await HostRegistry.open(dir)).list().map((known) => known.name)).toEqual(['local', 'after']);
    expect(existsSync(join(dir, 'hosts.json.lock'))).toBe(false);
  });

  it('keeps a corrupt file in a backup of its own when many open it at once, and none fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coi-reg-'));
    writeFileSync(join(dir, 'hosts.json'), '{ broken');
    const same = () => new Date(2026, 10, 25, 12, 0, 0);
    const registries = await Promise.all(Array.from({ length: 60 }, () => HostRegistry.open(dir, same)));
    const backups = readdirSync(dir).filter((name) => name.startsWith('hosts.json.corrupt-20261125-120000-'));
    expect(backups).toHaveLength(1);
    expect(readFileSync(join(dir, backups[0]!), 'utf8')).toBe('{ broken');
    expect(registries.filter((registry) => registry.warning).map((registry) => registry.warning)).toEqual([expect.stringContaining(backups[0]!)]);
  });
});

describe('temporary files of a writer that was killed', () => {
  it("are removed on the next start when their writer is gone or they are old; a live writer's and other files stay", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coi-reg-'));
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    const file = (name: string) => (writeFileSync(join(dir, name), '{"version":1,"hosts":[{"na'), name);
    const deadWriter = [file(`hosts.json.${gone}.0badf00d.tmp`), file(`settings.json.${gone}.0badf00d.tmp`), file(`known_hosts.${gone}.0badf00d.tmp`)];
    const oldOne = file(`hosts.json.${process.pid}.0badf00e.tmp`);
    utimesSync(join(dir, oldOne), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    const writing = file(`hosts.json.${process.pid}.0badf00f.tmp`);
    const notOurs = [file('hosts.json.tmp'), file(`hosts.json.${gone}.notours.tmp`), file('notes.txt')];

    const core = await CoiCore.open({ configDir: dir, home: dir, env: {}, platform: 'linux', liveEvents: false });
    await core.close();
    expect(readdirSync(dir).sort()).toEqual([writing, ...notOurs].sort());
    expect([...deadWriter, oldOne].filter((name) => existsSync(join(dir, name)))).toEqual([]);
  });
});

describe('importing hosts from ~/.ssh/config', () => {
  it('skips a host another process added after this one read the file, and adds the rest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coi-reg-'));
    const core = await CoiCore.open({ configDir: dir, home: dir, env: {}, platform: 'linux', liveEvents: false });
    await (await HostRegistry.open(dir)).add({ ...box, name: 'lab' });
    const outcomes = await core.importHosts([
      { alias: 'lab', host: { ...box, name: 'lab' } },
      { alias: 'gpu', host: { ...box, name: 'gpu' } },
      { alias: 'bad', problem: 'no HostName' },
    ]);
    await core.close();
    expect(outcomes).toEqual([
      { alias: 'lab', added: false, reason: "a host named 'lab' already exists" },
      { alias: 'gpu', added: true },
      { alias: 'bad', added: false, reason: 'no HostName' },
    ]);
    expect((await HostRegistry.open(dir)).list().map((host) => host.name)).toEqual(['local', 'lab', 'gpu']);
  });
});
