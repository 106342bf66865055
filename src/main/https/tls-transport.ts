import { createHash } from 'node:crypto';
import { isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { AppError } from '../errors';
import { Agent } from '../incus/http';
import { IncusUnreachableError } from '../incus/errors';
import type { ClientIdentity } from './client-cert';

/** Refuses (throws) or accepts the certificate a server showed, by its SHA-256 fingerprint. */
export type ServerCertCheck = (fingerprint: string) => Promise<void>;

export interface HttpsTarget {
  /** `https://host[:port]`. */
  url: string;
  /** The client identity, read (or made) on the first connection. */
  identity: () => Promise<ClientIdentity>;
  checkServerCert: ServerCertCheck;
  /** How long the TCP and TLS handshakes may take together. */
  connectTimeoutMs?: number;
}

/** The SHA-256 of a certificate's DER, in lowercase hex: Incus's certificate fingerprint. */
export function certFingerprint(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

/** `host` and `port` of an `https://` URL (Incus's port 8443 when none is given). */
export function hostPort(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'), port: parsed.port ? Number(parsed.port) : 8443 };
}

/**
 * One keep-alive dispatcher for an Incus server over HTTPS. Each connection is a TLS handshake with
 * the client certificate; the server's certificate is not checked against any CA (Incus servers use
 * self-signed ones) but pinned: the connection is handed to undici only after `checkServerCert`
 * has accepted its fingerprint, so no request (and no byte of one) reaches a server that is not the
 * pinned one.
 */
export function createHttpsDispatcher(target: HttpsTarget): Agent {
  return new Agent({
    keepAliveTimeout: 10_000,
    connect: (_options, callback) => {
      openPinned(target).then(
        (socket) => callback(null, socket as unknown as Socket),
        (error: unknown) => callback(error as Error, null),
      );
    },
  });
}

/** A TLS connection to the target whose server certificate passed the pin check. */
export async function openPinned(target: HttpsTarget): Promise<TLSSocket> {
  const { host, port } = hostPort(target.url);
  const identity = await target.identity();
  const socket = await handshake(target.url, {
    host,
    port,
    cert: identity.cert,
    key: identity.key,
    ...(isIP(host) ? {} : { servername: host }),
    ALPNProtocols: ['http/1.1'],
    // The chain is not checked against CAs: the fingerprint pin below is the check (as the incus client pins).
    rejectUnauthorized: false,
  }, target.connectTimeoutMs ?? 10_000);
  try {
    await target.checkServerCert(certFingerprint(socket.getPeerCertificate().raw));
    return socket;
  } catch (error) {
    socket.destroy();
    throw error;
  }
}

/** Connects and completes the TLS handshake, within `timeoutMs`. */
function handshake(url: string, options: ConnectionOptions, timeoutMs: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect(options);
    const fail = (error: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(unreachable(url, error));
    };
    const timer = setTimeout(() => fail(Object.assign(new Error(`no TLS handshake within ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' })), timeoutMs);
    socket.once('error', fail);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.off('error', fail);
      resolve(socket);
    });
  });
}

/** What a connection failure means, in words that say what to check. */
function unreachable(url: string, error: Error): IncusUnreachableError {
  const code = (error as NodeJS.ErrnoException).code;
  const why =
    code === 'ECONNREFUSED'
      ? 'the connection was refused: is Incus listening there (incus config get core.https_address on the server)?'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'the host name does not resolve'
        : code === 'ETIMEDOUT'
          ? `${error.message}: is the address right and the port open?`
          : error.message;
  return new IncusUnreachableError(url, 'host-unreachable', `cannot reach Incus at ${url}: ${why}`);
}

/** What a failed request over HTTPS means: a refused certificate as it is, anything else as unreachable. */
export function httpsTransportError(url: string, error: unknown): Error {
  if (error instanceof AppError || error instanceof IncusUnreachableError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new IncusUnreachableError(url, 'connection-lost', `the connection to ${url} was lost (${message})`);
}
