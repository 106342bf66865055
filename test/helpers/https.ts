import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { incus, runProcess, testName } from './incus';

/** The project daemon over HTTPS, and the second, clustered daemon (scripts/provision-incus-https.sh). */
export const HTTPS_URL = process.env.COI_TEST_HTTPS_URL ?? 'https://127.0.0.1:8443';
export const CLUSTER_URL = process.env.COI_TEST_CLUSTER_URL ?? 'https://127.0.0.1:8444';
export const CLUSTER_SOCKET = `${process.env.COI_TEST_CLUSTER_DIR ?? '/var/lib/incus-cluster'}/unix.socket`;

/** `incus ARGS` on the clustered daemon. */
export async function clusterIncus(...args: string[]): Promise<string> {
  const run = await runProcess('incus', args, { ...process.env, INCUS_SOCKET: CLUSTER_SOCKET });
  if (run.code !== 0) throw new Error(`incus ${args.join(' ')} (cluster) failed (${run.code}): ${run.stderr.trim()}`);
  return run.stdout;
}

const on = (socket: string | undefined) => (socket ? (...args: string[]) => clusterIncus(...args) : incus);

export async function requireHttps(socket?: string): Promise<void> {
  const address = (await on(socket)('config', 'get', 'core.https_address').catch(() => '')).trim();
  if (!address) throw new Error('Incus does not listen on HTTPS: run scripts/provision-incus-https.sh (as root) before these tests');
}

/** The daemon's own certificate fingerprint, as `incus info` prints it. */
export async function serverFingerprint(socket?: string): Promise<string> {
  const server = JSON.parse(await on(socket)('query', '/1.0')) as { environment: { certificate_fingerprint: string } };
  return server.environment.certificate_fingerprint;
}

/** A one-time trust token for a client named after `label` (`incus config trust add`). */
export async function trustToken(label: string, socket?: string): Promise<string> {
  return (await on(socket)('config', 'trust', 'add', testName(label), '-q')).trim();
}

/** The SHA-256 of the client certificate in `configDir`, as the server's trust store names it. */
export function clientFingerprint(configDir: string): string {
  return new X509Certificate(readFileSync(join(configDir, 'client.crt'))).fingerprint256.replace(/:/g, '').toLowerCase();
}

/** Removes the app's certificate of `configDir` from the daemon's trust store (a test's clean-up). */
export async function untrust(configDir: string, socket?: string): Promise<void> {
  if (!existsSync(join(configDir, 'client.crt'))) return; // never made: never trusted
  await on(socket)('config', 'trust', 'remove', clientFingerprint(configDir)).catch(() => undefined);
}

/** A token of the right shape whose secret the daemon never issued. */
export function bogusToken(fingerprint: string): string {
  const token = { client_name: 'nobody', fingerprint, addresses: ['127.0.0.1:8443'], secret: 'f'.repeat(64), expires_at: '0001-01-01T00:00:00Z' };
  return Buffer.from(JSON.stringify(token)).toString('base64');
}
