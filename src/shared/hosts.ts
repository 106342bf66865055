import { z } from 'zod';

/** A host's name in the registry and on the command line (`--host NAME`). */
export const HostNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'a host name holds letters, digits, ".", "_" and "-", starts with a letter or digit, and has at most 63 characters');

/** `user@host:port` of an SSH server. */
export const SshEndpointSchema = z.object({
  user: z.string().min(1).regex(/^[^\s@:]+$/, 'a user name has no spaces, "@" or ":"'),
  host: z.string().min(1).regex(/^[^\s@/]+$/, 'a host has no spaces, "@" or "/"'),
  port: z.number().int().min(1).max(65535).default(22),
});
export type SshEndpoint = z.infer<typeof SshEndpointSchema>;

const common = {
  name: HostNameSchema,
  displayName: z.string().max(200).optional(),
  /** Incus project; the daemon's default project when absent. */
  project: z.string().min(1).max(63).optional(),
};

export const LocalHostSchema = z.object({
  ...common,
  kind: z.literal('local'),
}).strict();

export const SshHostSchema = z.object({
  ...common,
  kind: z.literal('ssh'),
  ...SshEndpointSchema.shape,
  /** Private key files tried after the agent, in order; empty means OpenSSH's default files. */
  identityFiles: z.array(z.string().min(1)).default([]),
  /** One jump host (ProxyJump). */
  jump: SshEndpointSchema.optional(),
  /** The Incus socket on the remote host; absent: the system socket, else the restricted user socket. */
  socketPath: z.string().startsWith('/').optional(),
  /**
   * The host key's fingerprint given when the host was added (`host add --trust-fingerprint`): while no
   * key of the host is known, a first connection trusts a key with this fingerprint and refuses any other.
   */
  hostKeyFingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'an SSH host key fingerprint is SHA256: and 43 characters, as ssh-keygen -lf prints it').optional(),
}).strict();

/** The SHA-256 of a TLS certificate (DER), as Incus prints it: 64 lowercase hex digits. */
export const CertFingerprintSchema = z.string().regex(/^[0-9a-f]{64}$/, 'a certificate fingerprint is 64 hex digits (SHA-256)');

/** `https://host[:port]` of an Incus server (no path). */
export const IncusUrlSchema = z
  .string()
  .regex(/^https:\/\/(\[[0-9A-Fa-f:.]+\]|[^\s/:@[\]]+)(:\d{1,5})?\/?$/, 'an Incus address looks like https://HOST[:PORT]')
  .transform((url) => url.replace(/\/$/, ''));

/** An Incus server reached over HTTPS, as `incus remote add` reaches it. */
export const IncusHostSchema = z.object({
  ...common,
  kind: z.literal('incus'),
  url: IncusUrlSchema,
  /** The server certificate pinned on first use (or from the trust token); absent: not trusted yet. */
  serverCertFingerprint: CertFingerprintSchema.optional(),
  /**
   * The client certificate and key files; absent: the app's own (`client.crt`/`client.key` in its
   * config directory). Imported remotes use the incus client's files where they are, never copied.
   */
  clientCert: z.object({ cert: z.string().min(1), key: z.string().min(1) }).strict().optional(),
}).strict();

/**
 * What `incus config trust add NAME` prints: base64 of JSON naming the client, the server's
 * certificate fingerprint and addresses, and the one-time secret.
 */
export const TrustTokenSchema = z.object({
  client_name: z.string(),
  fingerprint: z.string().regex(/^[0-9a-fA-F]{64}$/),
  addresses: z.array(z.string()).nullish(),
  secret: z.string().min(1),
  expires_at: z.string().nullish(),
});
export type TrustToken = z.infer<typeof TrustTokenSchema>;

/** A trust token's content (its fingerprint in lowercase), or undefined when the text is not a token. */
export function readTrustToken(token: string): TrustToken | undefined {
  let json: unknown;
  try {
    json = JSON.parse(atob(token.trim()));
  } catch {
    return undefined;
  }
  const parsed = TrustTokenSchema.safeParse(json);
  return parsed.success ? { ...parsed.data, fingerprint: parsed.data.fingerprint.toLowerCase() } : undefined;
}

export const HostConfigSchema = z.discriminatedUnion('kind', [LocalHostSchema, SshHostSchema, IncusHostSchema]);
export type HostConfig = z.infer<typeof HostConfigSchema>;
export type SshHostConfig = z.infer<typeof SshHostSchema>;
export type IncusHostConfig = z.infer<typeof IncusHostSchema>;

/** How a host is doing, as every face of the app shows it. */
export const HostStatusSchema = z.discriminatedUnion('state', [
  z.object({ state: z.literal('idle') }),
  z.object({ state: z.literal('connecting') }),
  z.object({ state: z.literal('online'), latencyMs: z.number() }),
  z.object({ state: z.literal('offline'), reason: z.string(), nextRetryAt: z.string().nullable() }),
  /** The user cannot use Incus there, or sshd refuses what we need: `fix` says what to do. */
  z.object({ state: z.literal('permission-denied'), reason: z.string(), fix: z.string() }),
  z.object({ state: z.literal('incus-missing'), reason: z.string(), fix: z.string() }),
  z.object({ state: z.literal('forwarding-disabled'), reason: z.string(), fix: z.string() }),
  z.object({ state: z.literal('auth-failed'), reason: z.string() }),
  z.object({ state: z.literal('host-key-unknown'), fingerprint: z.string(), keyType: z.string() }),
  z.object({ state: z.literal('host-key-changed'), fingerprint: z.string(), keyType: z.string(), reason: z.string() }),
]);
export type HostStatus = z.infer<typeof HostStatusSchema>;

/** The file the host registry keeps: `hosts.json` in the app's config directory. */
export const HostsFileSchema = z.object({
  version: z.literal(1),
  hosts: z.array(HostConfigSchema),
});
export type HostsFile = z.infer<typeof HostsFileSchema>;

export const LOCAL_HOST: HostConfig = { name: 'local', kind: 'local', displayName: 'This machine' };
