import { afterAll, describe, expect, it } from 'vitest';
import type { SshHostConfig } from '../../src/shared/hosts';
import type { HostPool } from '../../src/main/hosts/pool';
import { HostRegistry } from '../../src/main/hosts/registry';
import { cliProcess } from '../helpers/cli';
import { makePool, tempHome } from '../helpers/hosts';
import { closeAfterBanner, closeAfterKex, FaultyListener, neverSpeak, type ConnectionBehaviour } from '../helpers/sshd';

const pools: HostPool[] = [];
const listeners: FaultyListener[] = [];

afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.close()));
  await Promise.all(listeners.map((listener) => listener.close()));
});

async function listener(behaviour: ConnectionBehaviour): Promise<FaultyListener> {
  const started = await FaultyListener.start(behaviour);
  listeners.push(started);
  return started;
}

const boxAt = (port: number, extra: Partial<SshHostConfig> = {}): SshHostConfig => ({ kind: 'ssh', name: 'box', user: 'root', host: '127.0.0.1', port, identityFiles: [], ...extra });

/** A user of their own whose registry holds `hosts`, and the environment the CLI needs to be that user. */
async function userWith(...hosts: SshHostConfig[]) {
  const home = tempHome();
  const registry = await HostRegistry.open(home.configDir);
  for (const host of hosts) await registry.add(host);
  return { home, env: { HOME: home.home, COI_DESKTOP_CONFIG_DIR: home.configDir, SSH_AUTH_SOCK: '' } };
}

async function poolFor(host: SshHostConfig, readyTimeoutMs = 3_000): Promise<HostPool> {
  const { home } = await userWith();
  const { pool } = await makePool({ home, hosts: [host], readyTimeoutMs });
  pools.push(pool);
  return pool;
}

describe('a handshake that ends early is an error, never silence', () => {
  const closing: [string, ConnectionBehaviour][] = [
    ['reads the key exchange and closes', closeAfterKex],
    ['closes right after its banner', closeAfterBanner],
  ];

  it.each(closing)('a server that %s: the host test fails and says so', async (_label, behaviour) => {
    const server = await listener(behaviour);
    const pool = await poolFor(boxAt(server.port));
    const result = await pool.test('box');
    expect(result.status).toMatchObject({ state: 'offline' });
    expect(result.error).toMatchObject({ code: 'host-unreachable', message: expect.stringMatching(/the SSH server closed the connection during the handshake/) });
  }, 10_000);

  it('a server that accepts and never speaks: the test fails when the handshake time is up', async () => {
    const server = await listener(neverSpeak);
    const pool = await poolFor(boxAt(server.port), 1_500);
    const result = await pool.test('box');
    expect(result.error).toMatchObject({ code: 'host-unreachable', message: expect.stringMatching(/no SSH answer in time/) });
  }, 10_000);

  it.each(closing)('a server that %s: every command exits 1 with the reason', async (_label, behaviour) => {
    const server = await listener(behaviour);
    const { env } = await userWith(boxAt(server.port));
    const commands = [
      ['host', 'test', 'box'],
      ['snapshot', 'list', '--host', 'box', '-c', 'anything'],
      ['snapshot', 'list', '--all', '--host', 'box'],
      ['snapshot', 'create', '--host', 'box', '-c', 'anything'],
    ];
    const runs = await Promise.all(commands.map((args) => cliProcess(args, env)));
    for (const run of runs) {
      expect(run).toMatchObject({ code: 1, stdout: '' });
      expect(run.stderr).toMatch(/^Error: cannot reach SSH on 127\.0\.0\.1:\d+: the SSH server closed the connection during the handshake/m);
    }
  }, 30_000);
});
