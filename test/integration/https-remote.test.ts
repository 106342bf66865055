import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { CallName, CallResult, CoiApi, CoiEvent } from '../../src/shared/contract';
import type { IncusHostConfig } from '../../src/shared/hosts';
import type { CoiCore } from '../../src/main/app/core';
import { cli } from '../helpers/cli';
import { tempHome } from '../helpers/hosts';
import { bogusToken, HTTPS_URL, requireHttps, serverFingerprint, trustToken, untrust } from '../helpers/https';
import { Fixtures, incus, requireDaemon, runProcess, testName } from '../helpers/incus';
import { openCore, preloadFace, type Face } from '../helpers/transports';

let fixtures: Fixtures;
let core: CoiCore;
let home: ReturnType<typeof tempHome>;
let face: Face;
let api: CoiApi;
let fingerprint: string;
/** One config directory (one client certificate) for the CLI runs, which are never trusted until the last test. */
const cliHome = tempHome();
const asCli = { env: { COI_DESKTOP_CONFIG_DIR: cliHome.configDir, HOME: cliHome.home } };
/** The incus client configuration the import test makes (its certificate is trusted by the daemon meanwhile). */
let importedClient: string | undefined;

/** The daemon's certificate in PEM, as the incus client keeps it in servercerts/. */
async function serverCertificate(): Promise<string> {
  return (JSON.parse(await incus('query', '/1.0')) as { environment: { certificate: string } }).environment.certificate;
}

beforeAll(async () => {
  requireDaemon();
  await requireHttps();
  fixtures = await Fixtures.inProject('https');
  ({ core, home } = await openCore());
  face = preloadFace(core);
  api = face.api;
  fingerprint = await serverFingerprint();
});
afterAll(async () => {
  await face?.close();
  await core?.close();
  if (home) await untrust(home.configDir);
  await untrust(cliHome.configDir);
  if (importedClient) await untrust(importedClient);
  await fixtures?.cleanup();
});

function ok<N extends CallName>(result: CallResult<N>): Extract<CallResult<N>, { ok: true }>['value'] {
  if (!result.ok) throw new Error(`expected success, got ${result.error.code}: ${result.error.message}`);
  return result.value;
}

function nextEvent(match: (event: CoiEvent) => boolean, timeoutMs = 10_000): Promise<CoiEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (stop(), reject(new Error('no such event arrived'))), timeoutMs);
    const stop = api.on((event) => {
      if (!match(event)) return;
      clearTimeout(timer);
      stop();
      resolve(event);
    });
  });
}

const remote = (): IncusHostConfig => ({ kind: 'incus', name: 'remote', url: HTTPS_URL, project: fixtures.project });

describe('an Incus server over HTTPS (the project daemon on loopback)', () => {
  it('joins with a trust token, pinning the certificate the token names, and lists, creates, restores and branches', async () => {
    const container = await fixtures.launch(testName('tls'));
    const added = ok(await api['hosts.add']({ host: remote(), token: await trustToken('join') }));
    expect(added.status.state).toBe('online');
    expect(core.registry.get('remote')).toMatchObject({ kind: 'incus', serverCertFingerprint: fingerprint });

    const listed = ok(await api['containers.list']({ host: 'remote' }));
    expect(listed.map((candidate) => candidate.name)).toEqual([container]);

    const created = ok(await api['snapshots.create']({ host: 'remote', container, name: 'over-tls' }));
    expect(created.name).toBe('over-tls');
    expect(await fixtures.incus('snapshot', 'list', container, '--format', 'csv', '-c', 'n')).toBe('over-tls\n');

    const restored = ok(await api['snapshots.restore']({ host: 'remote', container, snapshot: 'over-tls', stopFirst: true }));
    expect(restored).toMatchObject({ stopped: true, startedAgain: true });
    expect(restored.safetySnapshot).toMatch(/^pre-restore-/);
    expect((await fixtures.incus('list', `^${container}$`, '--format', 'csv', '-c', 's')).trim()).toBe('RUNNING');

    const target = testName('tls-branch');
    fixtures.adopt(target);
    const branched = ok(await api['snapshots.branch']({ host: 'remote', container, snapshot: 'over-tls', target }));
    expect(branched.name).toBe(target);
    expect(ok(await api['operations.list']({ host: 'remote' }))).toBeInstanceOf(Array);
  });

  it('hears live events over the TLS websocket', async () => {
    await core.liveEventsOpen('remote');
    const container = await fixtures.launch(testName('tls-ev'), { stopped: true });
    const heard = nextEvent((event) => event.type === 'lifecycle' && event.host === 'remote' && event.action === 'instance-snapshot-created' && event.container === container);
    await fixtures.incus('snapshot', 'create', container, 'from-terminal');
    expect(await heard).toMatchObject({ source: expect.stringContaining('from-terminal') });
  });

  it('refuses a server certificate that no longer matches the pin, until the user forgets the old one', async () => {
    const other = 'a'.repeat(64);
    await core.registry.modify('remote', (config) => ({ ...config, serverCertFingerprint: other }));
    const tested = ok(await api['hosts.test']({ host: 'remote' }));
    expect(tested.status).toMatchObject({ state: 'host-key-changed', fingerprint, keyType: 'TLS certificate' });
    expect(tested.error?.message).toContain(`WARNING: the TLS certificate of ${HTTPS_URL} (remote) has CHANGED`);
    expect(tested.error?.message).toContain(`coi-desktop host forget-key remote --fingerprint ${fingerprint}`);
    expect(ok(await api['containers.overview']({})).find((host) => host.host === 'remote')?.containers).toEqual([]);

    expect(await api['hosts.forgetKey']({ host: 'remote', fingerprint: other })).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
    ok(await api['hosts.forgetKey']({ host: 'remote', fingerprint }));
    ok(await api['hosts.trustFingerprint']({ host: 'remote', fingerprint }));
    expect(core.registry.get('remote')).toMatchObject({ serverCertFingerprint: fingerprint });
    expect(ok(await api['hosts.test']({ host: 'remote' })).status.state).toBe('online');
  });

  it('trusts an unknown certificate on first use through the contract, as the Add host dialog does', async () => {
    // A page cannot make the app use other key files (an import can, in main).
    const withKeys = { ...remote(), name: 'keys', clientCert: { cert: '/etc/hostname', key: '/etc/hostname' } };
    expect(await api['hosts.add']({ host: withKeys as IncusHostConfig })).toMatchObject({ ok: false, error: { code: 'invalid-input' } });

    const again: IncusHostConfig = { ...remote(), name: 'again' };
    const first = ok(await api['hosts.add']({ host: again }));
    expect(first.status).toEqual({ state: 'host-key-unknown', fingerprint, keyType: 'TLS certificate' });
    expect(() => core.registry.get('again')).toThrow(/no host named 'again'/);
    ok(await api['hosts.trustFingerprint']({ host: 'again', fingerprint }));
    expect(ok(await api['hosts.add']({ host: again })).status.state).toBe('online');
    expect(core.registry.get('again')).toMatchObject({ serverCertFingerprint: fingerprint });
  });

  it('refuses a wrong token with the daemon\'s reason, and saves nothing', async () => {
    const run = await cli(['host', 'add', 'wrong', '--url', HTTPS_URL, '--token', bogusToken(fingerprint)], asCli);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`Error: ${HTTPS_URL} refused the trust token: No matching certificate add operation found`);
    expect(run.stderr).toContain('The host was not saved.');
    expect((await cli(['host', 'list', '--format', 'json'], asCli)).stdout).not.toContain('wrong');
  });

  it('refuses a --trust-fingerprint that is not a certificate fingerprint, saving nothing', async () => {
    const run = await cli(['host', 'add', 'badpin', '--url', HTTPS_URL, '--trust-fingerprint', 'abc'], asCli);
    expect(run).toMatchObject({ code: 2, stderr: expect.stringContaining("--trust-fingerprint 'abc' is not a server certificate's fingerprint") });
    expect((await cli(['host', 'list'], asCli)).stdout).not.toContain('badpin');
  });

  it('stops at an unknown certificate on first use; --trust-fingerprint trusts it (any spelling)', async () => {
    const refused = await cli(['host', 'add', 'tofu', '--url', HTTPS_URL], asCli);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`Its TLS certificate SHA-256 fingerprint is ${fingerprint}`);
    const colons = fingerprint.toUpperCase().match(/../g)!.join(':');
    const untrusted = await cli(['host', 'add', 'tofu', '--url', HTTPS_URL, '--trust-fingerprint', colons], asCli);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toContain("does not trust COI Desktop's client certificate");
  });

  it('never sends a token to a server whose certificate is not the one the token names', async () => {
    const token = await trustToken('mitm');
    const claims = JSON.parse(Buffer.from(token, 'base64').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, fingerprint: 'b'.repeat(64) })).toString('base64');
    const refused = await cli(['host', 'add', 'mitm', '--url', HTTPS_URL, '--token', forged], asCli);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`is not the one the trust token names (${'b'.repeat(64)})`);
    // the real token still works: it was never sent
    const joined = await cli(['host', 'add', 'mitm', '--url', HTTPS_URL, '--token', token], asCli);
    expect(joined.stderr).toContain(`Added host 'mitm' (${HTTPS_URL})`);
    expect(joined.code).toBe(0);
  });

  it("imports the incus client's HTTPS remote with its certificate and pinned server certificate, skipping the image server", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'incus-conf-'));
    await runProcess('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp384r1', '-nodes', '-keyout', join(dir, 'client.key'), '-out', join(dir, 'client.crt'), '-days', '2', '-subj', '/CN=incus-client-test']);
    importedClient = dir;
    await incus('config', 'trust', 'add-certificate', join(dir, 'client.crt'), '--name', testName('imported'));
    mkdirSync(join(dir, 'servercerts'));
    writeFileSync(join(dir, 'servercerts', 'tls.crt'), await serverCertificate());
    const remotes = { images: { addr: 'https://images.linuxcontainers.org', protocol: 'simplestreams', public: true }, local: { addr: 'unix://', public: false }, tls: { addr: HTTPS_URL, auth_type: 'tls', project: fixtures.project, protocol: 'incus', public: false } };
    writeFileSync(join(dir, 'config.yml'), stringify({ 'default-remote': 'local', remotes, aliases: {} }));

    const env = { env: { ...asCli.env, INCUS_CONF: dir } };
    const run = await cli(['host', 'import-incus-remotes'], env);
    expect(run.stderr).toContain(`Added host 'tls' (${HTTPS_URL}, certificate ${fingerprint})`);
    expect(run.stderr).toContain("Skipped 'images': an image server (simplestreams), not an Incus server with containers");
    expect(run.stderr).toContain("Skipped 'local': the local socket");
    expect(run.code).toBe(0);
    const container = await fixtures.launch(testName('imp'), { stopped: true });
    const listed = await cli(['container', 'list', '--host', 'tls', '--format', 'json'], env);
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as { name: string }[]).map((entry) => entry.name)).toContain(container);
  });
});
