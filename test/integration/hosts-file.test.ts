import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CoiEvent } from '../../src/shared/contract';
import { CoiCore } from '../../src/main/app/core';
import { cliProcess } from '../helpers/cli';
import { tempHome } from '../helpers/hosts';
import { preloadFace, webFace, type Face } from '../helpers/transports';

/** hosts.json written by several processes at once: the CLI's, and the app's long-running core. */

const opened: { core: CoiCore; faces: Face[] }[] = [];
afterEach(async () => {
  for (const { core, faces } of opened.splice(0)) {
    for (const face of faces) await face.close();
    await core.close();
  }
});

/** The app's core (following hosts.json, as the window and web mode do) with both faces of the contract. */
async function runningApp(home = tempHome()) {
  const core = await CoiCore.open({ configDir: home.configDir, home: home.home, env: { ...process.env, SSH_AUTH_SOCK: '' }, platform: 'linux' });
  const entry = { core, faces: [preloadFace(core), await webFace(core)] };
  opened.push(entry);
  return { ...entry, configDir: home.configDir };
}

/** The first event of the core that `match` accepts; fails after `timeoutMs`. */
function nextEvent(core: CoiCore, match: (event: CoiEvent) => boolean, timeoutMs = 10_000): Promise<CoiEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      core.events.off('event', listener);
      reject(new Error(`no such event within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (event: CoiEvent) => {
      if (!match(event)) return;
      clearTimeout(timer);
      core.events.off('event', listener);
      resolve(event);
    };
    core.events.on('event', listener);
  });
}

const addHost = (configDir: string, name: string) => cliProcess(['host', 'add', name, '--ssh', 'u@127.0.0.1:2222', '--no-test'], { COI_DESKTOP_CONFIG_DIR: configDir });
const hostNames = (configDir: string) => (JSON.parse(readFileSync(join(configDir, 'hosts.json'), 'utf8')) as { hosts: { name: string }[] }).hosts.map((host) => host.name).sort();
const range = <T>(count: number, name: (index: number) => T): T[] => Array.from({ length: count }, (_value, index) => name(index));

describe('hosts.json with several writer processes', () => {
  it('keeps every host when 20 `host add` commands run at once', async () => {
    const { configDir } = tempHome();
    const runs = await Promise.all(range(20, (index) => `h${index}`).map((name) => addHost(configDir, name)));
    expect(runs.filter((run) => run.code !== 0)).toEqual([]);
    expect(hostNames(configDir)).toEqual(range(20, (index) => `h${index}`).sort());
  });

  it('keeps the hosts a command adds while the app is running and adding its own', async () => {
    const { core, configDir } = await runningApp();
    const host = (name: string) => ({ kind: 'ssh' as const, name, user: 'u', host: '127.0.0.1', port: 2222, identityFiles: [] });
    const [first, run] = await Promise.all([core.addHost(host('app-1'), false), addHost(configDir, 'from-cli')]);
    expect(first.error).toBeUndefined();
    expect(run).toMatchObject({ code: 0 });
    expect((await core.addHost(host('app-2'), false)).error).toBeUndefined(); // before or after the app has noticed the command's host
    expect(hostNames(configDir)).toEqual(['app-1', 'app-2', 'from-cli']);
  });

  it('shows the running app a host a command added, and forgets one a command removed', async () => {
    const { core, faces, configDir } = await runningApp();
    const names = async () => {
      const listed = await faces[1]!.api['hosts.list']({});
      return listed.ok ? listed.value.map((host) => host.config.name) : [];
    };
    let changed = nextEvent(core, (event) => event.type === 'hosts-changed');
    expect(await addHost(configDir, 'box')).toMatchObject({ code: 0 });
    await changed;
    expect(await names()).toEqual(['local', 'box']);

    changed = nextEvent(core, (event) => event.type === 'hosts-changed');
    expect(await cliProcess(['host', 'remove', 'box'], { COI_DESKTOP_CONFIG_DIR: configDir })).toMatchObject({ code: 0 });
    await changed;
    expect(await names()).toEqual(['local']);
    expect(() => core.pool.service('box')).toThrow("no host named 'box'");
  });
});

describe('a corrupt hosts.json', () => {
  it('is kept in a backup when 8 commands start on it at once, and none of them fails', async () => {
    const { configDir } = tempHome();
    const corrupt = '{"version": 1, "hosts": [';
    await addHost(configDir, 'first');
    writeFileSync(join(configDir, 'hosts.json'), corrupt);
    const runs = await Promise.all(range(8, () => cliProcess(['host', 'list'], { COI_DESKTOP_CONFIG_DIR: configDir })));
    expect(runs.filter((run) => run.code !== 0)).toEqual([]);
    const backups = readdirSync(configDir).filter((name) => name.startsWith('hosts.json.corrupt-'));
    expect(backups.length).toBeGreaterThanOrEqual(1);
    expect(backups.map((name) => readFileSync(join(configDir, name), 'utf8'))).toContain(corrupt);
    expect(runs.filter((run) => run.stderr.includes('could not be read')).length).toBeGreaterThanOrEqual(1);
  });

  it('is reported to the app and to web mode, at start and when it turns corrupt while running', async () => {
    const home = tempHome();
    expect(await addHost(home.configDir, 'first')).toMatchObject({ code: 0 });
    writeFileSync(join(home.configDir, 'hosts.json'), 'not json');
    const { core, faces, configDir } = await runningApp(home);
    for (const face of faces) {
      const warnings = await face.api['hosts.warnings']({});
      expect(warnings).toEqual({ ok: true, value: [expect.stringMatching(/hosts\.json could not be read \(not JSON: .*\); it was kept as .*hosts\.json\.corrupt-\d{8}-\d{6}-\d+-[0-9a-f]{6} and no saved hosts were loaded$/)] });
    }

    expect(await addHost(configDir, 'second')).toMatchObject({ code: 0 });
    const heard = new Promise<CoiEvent>((resolve) => faces[1]!.api.on((event) => event.type === 'hosts-warning' && resolve(event)));
    const warned = nextEvent(core, (event) => event.type === 'hosts-warning');
    writeFileSync(join(configDir, 'hosts.json'), '{"version": 2}');
    expect(await warned).toEqual({ type: 'hosts-warning', message: expect.stringContaining('hosts.json could not be read (version: ') });
    expect(await heard).toEqual(await warned);
    const warnings = await faces[0]!.api['hosts.warnings']({});
    expect(warnings.ok && warnings.value).toHaveLength(2);
    expect(core.registry.list().map((host) => host.name)).toEqual(['local']);
  });
});
