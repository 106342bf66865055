import { userInfo } from 'node:os';
import { join } from 'node:path';
import SSHConfig, { type Line } from 'ssh-config';
import { HostNameSchema, SshHostSchema, type SshEndpoint, type SshHostConfig } from '../../shared/hosts';
import { parseEndpoint as parseEndpointText } from '../../shared/endpoint';
import { AppError } from '../errors';

export interface ImportedHost {
  host?: SshHostConfig;
  /** The `Host` alias in ~/.ssh/config. */
  alias: string;
  /** Why this alias cannot be used as it is. */
  problem?: string;
}

const isPattern = (alias: string) => /[*?!]/.test(alias);

/** The concrete `Host` aliases of an ssh config (patterns such as `*.example.org` are not hosts). */
export function sshConfigAliases(config: SSHConfig): string[] {
  const aliases = config.flatMap((line: Line) => {
    if (!('param' in line) || line.param.toLowerCase() !== 'host') return [];
    const value = line.value;
    return typeof value === 'string' ? value.split(/\s+/) : value.map((part) => part.val);
  });
  return [...new Set(aliases.filter((alias) => alias && !isPattern(alias)))];
}

/**
 * Hosts from the text of `~/.ssh/config`, resolved the way OpenSSH resolves them (first value wins,
 * `Host *` defaults apply): HostName, User, Port, IdentityFile, ProxyJump. `Match exec` is not run.
 * `only` picks aliases; unknown ones are an error.
 */
export function importSshConfig(text: string, home: string, only: readonly string[] = []): ImportedHost[] {
  const config = SSHConfig.parse(text);
  const aliases = sshConfigAliases(config);
  const missing = only.filter((alias) => !aliases.includes(alias));
  if (missing.length > 0) {
    throw new AppError('not-found', `not in ~/.ssh/config: ${missing.join(', ')} (hosts there: ${aliases.join(', ') || 'none'})`);
  }
  return (only.length > 0 ? only : aliases).map((alias) => resolveAlias(config, alias, home));
}

function resolveAlias(config: SSHConfig, alias: string, home: string): ImportedHost {
  const computed = config.compute(alias, { ignoreCase: true, matchExec: false });
  const first = (key: string): string | undefined => {
    const value = computed[key];
    return Array.isArray(value) ? value[0] : value;
  };
  const all = (key: string): string[] => {
    const value = computed[key];
    return value === undefined ? [] : Array.isArray(value) ? value : [value];
  };
  try {
    const name = HostNameSchema.safeParse(alias).success ? alias : alias.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '');
    const jump = proxyJump(first('proxyjump'));
    const host = SshHostSchema.parse({
      kind: 'ssh',
      name,
      displayName: alias,
      user: first('user') ?? userInfo().username,
      host: first('hostname') ?? alias,
      port: Number(first('port') ?? 22),
      identityFiles: all('identityfile').map((file) => expandHome(file, home)),
      ...(jump ? { jump } : {}),
    });
    return { alias, host };
  } catch (error) {
    return { alias, problem: error instanceof AppError ? error.message : zodMessage(error) };
  }
}

/** `[user@]host[:port]` of the first hop; more hops are refused (one jump host is supported). */
function proxyJump(value: string | undefined): Partial<SshEndpoint> | undefined {
  if (!value || value.toLowerCase() === 'none') return undefined;
  if (value.includes(',')) throw new AppError('invalid-input', `ProxyJump ${value} has more than one hop; COI Desktop goes through one jump host`);
  return parseEndpoint(value, userInfo().username);
}

/** `user@host[:port]` as an endpoint, or an error that says what is expected. */
export function parseEndpoint(text: string, defaultUser: string): SshEndpoint {
  const endpoint = parseEndpointText(text, defaultUser);
  if (!endpoint) throw new AppError('invalid-input', `'${text}' is not USER@HOST[:PORT]`);
  return endpoint;
}

function expandHome(path: string, home: string): string {
  return path === '~' ? home : path.startsWith('~/') ? join(home, path.slice(2)) : path;
}

function zodMessage(error: unknown): string {
  const issues = (error as { issues?: { path: PropertyKey[]; message: string }[] }).issues;
  const issue = issues?.[0];
  return issue ? `${issue.path.join('.')}: ${issue.message}` : String(error);
}
