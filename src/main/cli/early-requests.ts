import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { configDir } from '../config/paths';
import { startEarlyGet, syncMetadata } from '../incus/early-get';
import { findLocalSocket } from '../incus/local-socket';
import { incusUrl, instanceFullPath, INSTANCE_LIST_PATH, INSTANCE_NAMES_PATH, nameOf, POOL_LIST_PATH, poolVolumesPath, requestTarget, requestTimeoutMs } from '../incus/request-target';

/**
 * Whether the command line is `snapshot list --all` (or `-a`) without `--host` or with `--host local`:
 * a listing of the local host, whose requests (the instances, the pools' volumes) are certain. False
 * for any other command line, or one this cannot read with certainty.
 */
export function listsLocalHost(argv: readonly string[]): boolean {
  const [group, command, ...options] = argv;
  if (group !== 'snapshot' || command !== 'list') return false;
  if (!options.some((option) => option === '--all' || option === '-a')) return false;
  return !asksHelp(options) && namesLocalHost(options);
}

/**
 * The container a `snapshot diff` of the local host compares (`-c`/`--container`, the last one given,
 * else `COI_CONTAINER`), null when the workspace's container is meant (found from the instances'
 * names); undefined for any other command line. A misread only leaves an early answer unused.
 */
export function localDiffContainer(argv: readonly string[], env: NodeJS.ProcessEnv): string | null | undefined {
  const [group, command, ...options] = argv;
  if (group !== 'snapshot' || command !== 'diff' || asksHelp(options) || !namesLocalHost(options)) return undefined;
  return optionValues(options, '--container', '-c').at(-1) ?? (env.COI_CONTAINER || null);
}

/** A local `snapshot diff SNAP` of a named container against its current state: main.ts may send its listing early (early-listing.ts). */
export interface EarlyDiff {
  container: string;
  snapshot: string;
  allPaths: boolean;
}

/** Options of `snapshot diff` read here: those that take a value, and flags; any other (`--path`, `--file`…) leaves the diff alone. */
const DIFF_VALUED = new Set(['-c', '--container', '-H', '--host', '--format']);
const DIFF_FLAGS = new Set(['--all-paths', '--summary']);

/**
 * The local diff of one snapshot against the container `-c` or `COI_CONTAINER` names, spelt with the
 * options read here only; undefined for any other command line.
 */
export function earlyDiff(argv: readonly string[], env: NodeJS.ProcessEnv): EarlyDiff | undefined {
  const container = localDiffContainer(argv, env);
  if (!container) return undefined;
  const options = argv.slice(2);
  const words: string[] = [];
  for (let i = 0; i < options.length; i += 1) {
    const option = options[i]!;
    if (DIFF_VALUED.has(option)) i += 1;
    else if (DIFF_FLAGS.has(option) || /^(--container=|--host=|--format=|-c.|-H.)/.test(option)) continue;
    else if (option.startsWith('-')) return undefined;
    else words.push(option);
  }
  return words.length === 1 ? { container, snapshot: words[0]!, allPaths: options.includes('--all-paths') } : undefined;
}

const asksHelp = (options: readonly string[]) => options.some((option) => option === '-h' || option === '--help');

/** Whether `options` name no host but `local` (`--host`/`-H`, however spelt). */
function namesLocalHost(options: readonly string[]): boolean {
  return optionValues(options, '--host', '-H').every((host) => host === 'local');
}

/** The values given to an option (`--long V`, `--long=V`, `-s V`, `-sV`); undefined for one given last without its value. */
function optionValues(options: readonly string[], long: string, short: string): (string | undefined)[] {
  return options.flatMap((option, i) => {
    if (option === long || option === short) return [options[i + 1]];
    if (option.startsWith(`${long}=`)) return [option.slice(long.length + 1)];
    return option.startsWith(short) && !option.startsWith('--') ? [option.slice(short.length)] : [];
  });
}

/**
 * Whether the command line is exactly a local `snapshot list --all --format json`, spelt with these
 * options only: what the local listing (local-list.ts) prints without the rest of the CLI.
 */
export function isLocalJsonListing(argv: readonly string[]): boolean {
  if (!listsLocalHost(argv)) return false;
  const options = argv.slice(2);
  const known = new Set(['--all', '-a', '--format=json', '--host=local', '-Hlocal']);
  let json = false;
  for (let i = 0; i < options.length; i += 1) {
    const option = options[i]!;
    const spaced = (option === '--host' || option === '-H') && options[i + 1] === 'local' ? 'host' : option === '--format' && options[i + 1] === 'json' ? 'format' : null;
    if (!spaced && !known.has(option)) return false;
    if (spaced) i += 1;
    if (spaced === 'format' || option === '--format=json') json = true;
  }
  return json;
}

/** Where the local daemon's requests go, as the Incus client of the `local` host will send them. */
export interface LocalTarget {
  socket: string;
  /** The request target of `path` in the local host's project. */
  target: (path: string) => string;
  timeoutMs: number;
}

export function localTarget(env: NodeJS.ProcessEnv, project: string | undefined): LocalTarget {
  return { socket: findLocalSocket(env), target: (path) => requestTarget(incusUrl(path, project)), timeoutMs: requestTimeoutMs(env) };
}

/** The config directory of this command (`COI_DESKTOP_CONFIG_DIR`, else the app's). */
export const commandConfigDir = (env: NodeJS.ProcessEnv) => configDir({ env, platform: process.platform, home: env.HOME || homedir() });

/**
 * Starts a local listing's requests (early-get.ts) before the CLI loads its modules: the daemon's
 * answer to the instances (~150 ms for 50 containers × 10 snapshots) then hides their loading. The
 * pools are asked beside it, and each pool's volumes (the snapshot descriptions) as soon as the pools
 * are known. The project is read from the `local` entry of hosts.json as the registry would; a guess
 * that turns out wrong only leaves the early answers unused (the client takes an answer for exactly
 * the URL it asks). A local `snapshot diff` asks the instances' names and its container (state,
 * snapshots, devices) the same way: its listing exec can then go out as soon as the CLI has loaded.
 * Resolves once a listing's instances and pools requests are written (EarlyGet.written): loading the
 * CLI's modules first held them back until it was done (20–30 ms here). Not their answers: a daemon
 * that stays silent must not keep the CLI from loading (its Ctrl-C and its errors are the CLI's). At
 * once for anything else.
 */
export function startEarlyRequests(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  const diffed = localDiffContainer(argv, env);
  if (!listsLocalHost(argv) && diffed === undefined) return Promise.resolve();
  const local = localTarget(env, localProject(commandConfigDir(env)));
  const get = (path: string) => startEarlyGet(local.socket, local.target(path), local.timeoutMs);
  if (diffed !== undefined) {
    get(INSTANCE_NAMES_PATH);
    if (diffed) get(instanceFullPath(diffed));
    return Promise.resolve();
  }
  const instances = get(INSTANCE_LIST_PATH);
  const pools = get(POOL_LIST_PATH);
  pools.answer.then((answer) => {
    for (const pool of poolNames(syncMetadata(answer)) ?? []) get(poolVolumesPath(pool));
  }, () => undefined);
  return Promise.all([instances.written, pools.written]).then(() => undefined);
}

/** The pools' names in the metadata of `GET /1.0/storage-pools` (URLs), or undefined when it is not a list of them. */
export function poolNames(metadata: unknown): string[] | undefined {
  return Array.isArray(metadata) && metadata.every((url) => typeof url === 'string') ? metadata.map(nameOf) : undefined;
}

/** The project hosts.json gives the local host, if it names one; the file itself is the registry's to check. */
export function localProject(dir: string): string | undefined {
  try {
    const file = JSON.parse(readFileSync(join(dir, 'hosts.json'), 'utf8')) as { hosts?: { name?: unknown; kind?: unknown; project?: unknown }[] };
    const local = file.hosts?.find((host) => host.name === 'local' && host.kind === 'local');
    return typeof local?.project === 'string' ? local.project : undefined;
  } catch {
    return undefined;
  }
}
