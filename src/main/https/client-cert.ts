import { generateKeyPair, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { writeFileAtomic } from '../config/atomic-file';
import { withFileLock } from '../config/file-lock';
import { AppError } from '../errors';

/** A TLS client identity in PEM: what the Incus server trusts, by the certificate's fingerprint. */
export interface ClientIdentity {
  cert: string;
  key: string;
}

export const CLIENT_CERT_FILE = 'client.crt';
export const CLIENT_KEY_FILE = 'client.key';

/** Where the app keeps its own client certificate and key (the key 0600, as the incus client keeps its own). */
export function appIdentityFiles(configDir: string): { cert: string; key: string } {
  return { cert: join(configDir, CLIENT_CERT_FILE), key: join(configDir, CLIENT_KEY_FILE) };
}

/**
 * The app's own client certificate, made on first use: an RSA key from Node's crypto and a
 * self-signed X.509 certificate from node-forge (loaded only then), written with mode 0600 under the
 * config directory's lock so two processes starting at once make one. The key never leaves this
 * machine: it only signs the TLS handshake.
 */
export async function appIdentity(configDir: string): Promise<ClientIdentity> {
  const files = appIdentityFiles(configDir);
  const existing = await readIdentity(files).catch(() => undefined);
  if (existing) return existing;
  return withFileLock(files.key, async () => {
    const again = await readIdentity(files).catch(() => undefined);
    if (again) return again;
    const made = await makeIdentity(`coi-desktop@${hostname()}`);
    await writeFileAtomic(files.key, made.key);
    await writeFileAtomic(files.cert, made.cert);
    return made;
  });
}

/** A client identity from the given files (an imported incus client's, or the app's own). */
export async function readIdentity(files: { cert: string; key: string }): Promise<ClientIdentity> {
  const read = (path: string, what: string) =>
    readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new AppError('auth-failed', `cannot read the client ${what} ${path}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
    });
  return { cert: await read(files.cert, 'certificate'), key: await read(files.key, 'key') };
}

/** A new key pair and a self-signed client certificate valid for ten years. */
async function makeIdentity(commonName: string): Promise<ClientIdentity> {
  const { publicKey, privateKey } = await promisify(generateKeyPair)('rsa', {
    modulusLength: 3072,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const { pki, md, asn1 } = (await import('node-forge')).default;
  const certificate = pki.createCertificate();
  certificate.publicKey = pki.publicKeyFromPem(publicKey);
  certificate.serialNumber = `01${randomBytes(15).toString('hex')}`; // positive, 16 bytes
  certificate.validity.notBefore = new Date(Date.now() - 60_000);
  certificate.validity.notAfter = new Date(Date.now() + 10 * 365 * 24 * 3600_000);
  // UTF8String: forge's default PrintableString cannot hold "@", and Go (Incus) refuses such a certificate.
  const utf8 = asn1.Type.UTF8 as number;
  const subject = [{ name: 'commonName', value: commonName, valueTagClass: utf8 }, { name: 'organizationName', value: 'COI Desktop', valueTagClass: utf8 }];
  certificate.setSubject(subject);
  certificate.setIssuer(subject);
  certificate.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', clientAuth: true },
  ]);
  certificate.sign(pki.privateKeyFromPem(privateKey), md.sha256.create());
  return { cert: pki.certificateToPem(certificate), key: privateKey };
}
