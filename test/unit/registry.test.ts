import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
    const backup = join(dir, 'hosts.json.corrupt-20261125-120000');
    expect(readFileSync(backup, 'utf8')).toBe(text);
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
