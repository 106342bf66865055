import type { SshEndpoint } from './hosts';

/** `user@host[:port]` (also `[v6]:port`, `ssh://…`) as an endpoint; the user defaults to `defaultUser`. Null if it is not one. */
export function parseEndpoint(text: string, defaultUser: string): SshEndpoint | null {
  const match = /^(?:([^@\s]+)@)?(\[[^\]]+\]|[^:@\s]+)(?::(\d{1,5}))?$/.exec(text.trim().replace(/^ssh:\/\//, ''));
  if (!match) return null;
  const port = match[3] ? Number(match[3]) : 22;
  if (port < 1 || port > 65535) return null;
  return { user: match[1] ?? defaultUser, host: match[2]!.replace(/^\[|\]$/g, ''), port };
}
