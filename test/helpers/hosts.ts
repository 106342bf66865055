import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostConfig, HostStatus, SshHostConfig } from '../../src/shared/hosts';
import type { CoiEvent } from '../../src/shared/contract';
import type { CoiCore } from '../../src/main/app/core';
import { findLocalSocket } from '../../src/main/incus/local-socket';
import { HostPool } from '../../src/main/hosts/pool';
import { HostRegistry } from '../../src/main/hosts/registry';
import type { AskPassphrase } from '../../src/main/ssh/auth';
import { HostKeyPolicy, type AskTrust } from '../../src/main/ssh/host-key-check';
import { KnownHosts } from '../../src/main/ssh/known-hosts';
import { certPins, ServerCertPolicy } from '../../src/main/https/server-certs';
import type { TestSshd } from './sshd';

/** A user's home of its own: `.ssh/` with known_hosts, and the app's config directory. */
export function tempHome(): { home: string; sshDir: string; configDir: string } {
  const home = mkdtempSync(join(tmpdir(), 'coi-home-'));
  const sshDir = join(home, '.ssh');
  mkdirSync(sshDir, { mode: 0o700 });
  return { home, sshDir, configDir: join(home, 'config') };
}

/** Trusts `sshd`'s host key the way a user who has ssh'd there before does: a line in ~/.ssh/known_hosts. */
export function knowHost(sshDir: string, ...servers: Pick<TestSshd, 'knownHostsLine'>[]): void {
  writeFileSync(join(sshDir, 'known_hosts'), servers.map((server) => server.knownHostsLine()).join('\n') + '\n');
}

export function sshHost(name: string, sshd: TestSshd, extra: Partial<SshHostConfig> = {}): SshHostConfig {
  return { kind: 'ssh', name, user: 'root', host: sshd.host, port: sshd.port, identityFiles: [], ...extra };
}

export interface PoolSetup {
  home: ReturnType<typeof tempHome>;
  hosts: HostConfig[];
  env?: NodeJS.ProcessEnv;
  askTrust?: AskTrust;
  askPassphrase?: AskPassphrase;
  hostTimeoutMs?: number;
  readyTimeoutMs?: number;
}

/** The pool the app builds, on a registry in a temporary config directory. */
export async function makePool(setup: PoolSetup): Promise<{ pool: HostPool; policy: HostKeyPolicy; certs: ServerCertPolicy; registry: HostRegistry }> {
  const registry = await HostRegistry.open(setup.home.configDir);
  for (const host of setup.hosts) await registry.add(host);
  const knownHosts = new KnownHosts({ user: [join(setup.home.sshDir, 'known_hosts')], app: join(setup.home.configDir, 'known_hosts') });
  const policy = new HostKeyPolicy(knownHosts, setup.askTrust);
  const certs = new ServerCertPolicy(certPins(registry), setup.askTrust);
  const pool = new HostPool({
    registry,
    coiPrefix: 'coi-',
    checkHostKeyFor: (host) => policy.checkFor(host),
    checkServerCertFor: (config) => certs.checkFor(config),
    configDir: setup.home.configDir,
    localSocket: findLocalSocket(),
    env: setup.env ?? {},
    platform: 'linux',
    sshDir: setup.home.sshDir,
    askPassphrase: setup.askPassphrase,
    hostTimeoutMs: setup.hostTimeoutMs,
    readyTimeoutMs: setup.readyTimeoutMs,
  });
  return { pool, policy, certs, registry };
}

/** Resolves when `core` gives `host` the status `state`; rejects, naming the status it has, after `timeoutMs`. */
export function statusReached(core: CoiCore, host: string, state: HostStatus['state'], timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (stop(), reject(new Error(`${host} is still ${core.pool.status(host).state}, not ${state}, after ${timeoutMs} ms`))), timeoutMs);
    const listen = (event: CoiEvent) => {
      if (event.type !== 'host-status' || event.host !== host || event.status.state !== state) return;
      stop();
      resolve();
    };
    const stop = () => {
      clearTimeout(timer);
      core.events.off('event', listen);
    };
    core.events.on('event', listen);
  });
}
