import { X509Certificate } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { HostNameSchema, IncusHostSchema, type IncusHostConfig } from '../../shared/hosts';
import { AppError } from '../errors';
import { certFingerprint } from './tls-transport';

/** One remote of the incus client, as the import offers it: a host to add, or why it is skipped. */
export interface IncusRemote {
  alias: string;
  host?: IncusHostConfig;
  problem?: string;
}

/** The part of the incus client's `config.yml` the import reads. */
const ClientConfigSchema = z.object({
  'default-remote': z.string().nullish(),
  remotes: z
    .record(
      z.string(),
      z.object({
        addr: z.string(),
        protocol: z.string().nullish(),
        auth_type: z.string().nullish(),
        project: z.string().nullish(),
        public: z.boolean().nullish(),
      }),
    )
    .nullish(),
});

interface Where {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  home: string;
}

/**
 * Where the incus client keeps its configuration, in the order it looks: `$INCUS_CONF`; else
 * `~/.config/incus` (Incus 6 on every OS); newer clients use the OS's config folder on macOS
 * (`~/Library/Application Support/incus`) and Windows (`%APPDATA%\incus`).
 */
export function incusConfigDirs({ env, platform, home }: Where): string[] {
  if (env.INCUS_CONF) return [env.INCUS_CONF];
  const dirs = [join(home, '.config', 'incus')];
  if (platform === 'darwin') dirs.push(join(home, 'Library', 'Application Support', 'incus'));
  if (platform === 'win32') dirs.push(join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'incus'));
  return dirs;
}

/** The first of `incusConfigDirs` that holds a `config.yml`, or undefined. */
export async function findIncusConfigDir(where: Where): Promise<string | undefined> {
  for (const dir of incusConfigDirs(where)) {
    if (await exists(join(dir, 'config.yml'))) return dir;
  }
  return undefined;
}

/**
 * The remotes of the incus client configured in `dir`: each HTTPS remote as a host that uses the
 * client's own certificate and key where they are (never copied) and the server certificate the
 * client pinned (`servercerts/NAME.crt`); image servers, the local socket and OIDC remotes are
 * listed with the reason they are skipped. `only` keeps the named remotes.
 */
export async function readIncusRemotes(dir: string, only: readonly string[] = []): Promise<IncusRemote[]> {
  const file = join(dir, 'config.yml');
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new AppError('not-found', `cannot read the incus client's configuration ${file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
  });
  const { parse } = await import('yaml');
  const parsed = ClientConfigSchema.safeParse(parseYaml(parse, text, file));
  if (!parsed.success) throw new AppError('invalid-input', `${file} is not an incus client configuration: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? ''}`);
  const identity = { cert: join(dir, 'client.crt'), key: join(dir, 'client.key') };
  const hasIdentity = (await exists(identity.cert)) && (await exists(identity.key));
  const remotes = Object.entries(parsed.data.remotes ?? {}).filter(([alias]) => only.length === 0 || only.includes(alias));
  const missing = only.filter((alias) => !remotes.some(([known]) => known === alias));
  if (missing.length > 0) throw new AppError('not-found', `no remote named ${missing.map((alias) => `'${alias}'`).join(', ')} in ${file}`);
  const result: IncusRemote[] = [];
  for (const [alias, remote] of remotes) {
    const problem = skipReason(remote, hasIdentity, dir);
    if (problem) {
      result.push({ alias, problem });
      continue;
    }
    const pin = await pinnedFingerprint(join(dir, 'servercerts', `${alias}.crt`));
    const host = IncusHostSchema.safeParse({
      kind: 'incus',
      name: alias,
      url: remote.addr,
      clientCert: identity,
      ...(pin ? { serverCertFingerprint: pin } : {}),
      ...(remote.project && remote.project !== 'default' ? { project: remote.project } : {}),
    });
    if (!HostNameSchema.safeParse(alias).success) result.push({ alias, problem: 'its name cannot be a COI Desktop host name (letters, digits, ".", "_", "-")' });
    else if (!host.success) result.push({ alias, problem: `its address ${remote.addr} is not https://HOST[:PORT]` });
    else result.push({ alias, host: host.data });
  }
  return result;
}

/** Why a remote is not imported, or undefined when it is an Incus server over HTTPS. */
function skipReason(remote: { addr: string; protocol?: string | null; auth_type?: string | null }, hasIdentity: boolean, dir: string): string | undefined {
  const protocol = remote.protocol ?? 'incus';
  if (protocol === 'simplestreams' || protocol === 'oci') return `an image server (${protocol}), not an Incus server with containers`;
  if (protocol !== 'incus') return `its protocol '${protocol}' is not Incus`;
  if (remote.addr.startsWith('unix:')) return "the local socket: COI Desktop's built-in 'local' host is this machine's Incus";
  if (!remote.addr.startsWith('https://')) return `its address ${remote.addr} is not https://`;
  if (remote.auth_type === 'oidc') return 'it signs in with OIDC, which COI Desktop does not support: join it with a trust token instead (coi-desktop host add NAME --url … --token …)';
  if (!hasIdentity) return `there is no client.crt and client.key in ${dir}`;
  return undefined;
}

/** The SHA-256 of the server certificate the incus client pinned, if it kept one. */
async function pinnedFingerprint(file: string): Promise<string | undefined> {
  const pem = await readFile(file, 'utf8').catch(() => undefined);
  if (pem === undefined) return undefined;
  try {
    return certFingerprint(new X509Certificate(pem).raw);
  } catch (error) {
    throw new AppError('invalid-input', `${file} is not a certificate: ${(error as Error).message}`);
  }
}

function parseYaml(parse: (text: string) => unknown, text: string, file: string): unknown {
  try {
    return parse(text);
  } catch (error) {
    throw new AppError('invalid-input', `${file} is not valid YAML: ${(error as Error).message}`);
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}
