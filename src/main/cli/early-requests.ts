import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { configDir } from '../config/paths';
import { startEarlyGet } from '../incus/early-get';
import { findLocalSocket } from '../incus/local-socket';
import { incusUrl, requestTarget, requestTimeoutMs } from '../incus/request-target';

/**
 * The requests a command line is certain to make on the local host first, as the Incus client would
 * send them: `snapshot list --all` (and `-a`) without `--host` or with `--host local` reads
 * `/1.0/instances?recursion=2`. Any other command line, or one this cannot read with certainty: none.
 */
export function earlyPaths(argv: readonly string[]): string[] {
  const [group, command, ...options] = argv;
  if (group !== 'snapshot' || command !== 'list') return [];
  if (!options.some((option) => option === '--all' || option === '-a')) return [];
  if (options.some((option) => option === '-h' || option === '--help')) return [];
  const hosts = options.flatMap((option, i) => {
    if (option === '--host' || option === '-H') return [options[i + 1]];
    if (option.startsWith('--host=')) return [option.slice('--host='.length)];
    return option.startsWith('-H') ? [option.slice(2)] : [];
  });
  return hosts.every((host) => host === 'local') ? ['/1.0/instances?recursion=2'] : [];
}

/**
 * Starts the command line's early requests (early-get.ts) before the CLI loads its modules: the
 * daemon's answer (~200 ms for 50 containers × 10 snapshots) then hides their loading. The project is
 * read from the `local` entry of hosts.json as the registry would; a guess that turns out wrong only
 * leaves the early answer unused (the client takes an answer for exactly the URL it asks).
 */
export function startEarlyRequests(argv: readonly string[], env: NodeJS.ProcessEnv): void {
  const paths = earlyPaths(argv);
  if (paths.length === 0) return;
  const project = localProject(configDir({ env, platform: process.platform, home: env.HOME || homedir() }));
  const socket = findLocalSocket(env);
  for (const path of paths) startEarlyGet(socket, requestTarget(incusUrl(path, project)), requestTimeoutMs(env));
}

/** The project hosts.json gives the local host, if it names one; the file itself is the registry's to check. */
function localProject(dir: string): string | undefined {
  try {
    const file = JSON.parse(readFileSync(join(dir, 'hosts.json'), 'utf8')) as { hosts?: { name?: unknown; kind?: unknown; project?: unknown }[] };
    const local = file.hosts?.find((host) => host.name === 'local' && host.kind === 'local');
    return typeof local?.project === 'string' ? local.project : undefined;
  } catch {
    return undefined;
  }
}
