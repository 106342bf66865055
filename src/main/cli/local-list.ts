import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { allSnapshotsJson, toJson } from '../../shared/snapshot-json';
import { abandonEarlyGets, peekEarlyGet, syncMetadata, type EarlyGet } from '../incus/early-get';
import { readInstanceList, readVolumeList } from '../incus/instance-list';
import { INSTANCE_LIST_PATH, POOL_LIST_PATH, poolVolumesPath } from '../incus/request-target';
import { RESTORES_DIR } from '../config/paths';
import { coiPrefix } from '../snapshots/coi-naming';
import { coiSnapshotLists, descriptionsOf } from '../snapshots/listing';
import { interrupt } from './command-process';
import { commandConfigDir, localTarget, poolNames, type LocalTarget } from './early-requests';

/** Anything but the plain case: the full CLI runs the command and says what happened. */
const HAND_OVER = Symbol('hand over');

/**
 * `snapshot list --all --format json` on the local host, printed from the answers main.ts asked for
 * early, without loading the rest of the CLI (commander, zod, undici, the core): this is the command
 * scripts run most, and its start-up was most of its time. It reads what the full command reads — the
 * instances, the pools and their volumes — checks them with the same hand-written readers, and prints
 * through the same functions. Anything but the plain case (a hosts.json the registry would refuse,
 * an answer that is an error or does not check, a request that failed, Ctrl-C) hands the command
 * over to the full CLI: it takes the same answers (early-get.ts: peeked, never taken here), so the
 * daemon is asked nothing twice, and reports exactly as it always does. Resolves to whether it printed.
 */
export async function listLocally(env: NodeJS.ProcessEnv): Promise<boolean> {
  const interrupted = new Promise<typeof HAND_OVER>((resolve) => interrupt.signal.addEventListener('abort', () => resolve(HAND_OVER), { once: true }));
  const listing = await Promise.race([readListing(env).catch((): typeof HAND_OVER => HAND_OVER), interrupted]);
  if (listing === HAND_OVER || interrupt.signal.aborted) return false;
  process.stdout.write(listing);
  void abandonEarlyGets();
  return true;
}

/** The listing's JSON as the full command prints it, or HAND_OVER. */
async function readListing(env: NodeJS.ProcessEnv): Promise<string | typeof HAND_OVER> {
  const dir = commandConfigDir(env);
  // A restore a killed command left is finished (and said) by the full command.
  if ((await readdir(join(dir, RESTORES_DIR)).catch(() => [] as string[])).some((name) => name.endsWith('.json'))) return HAND_OVER;
  const project = await localProject(dir);
  if (project === HAND_OVER) return HAND_OVER;
  const local = localTarget(env, project);
  const [instances, descriptions] = await Promise.all([read(local, INSTANCE_LIST_PATH, readInstanceList), poolDescriptions(local)]);
  return toJson(allSnapshotsJson(coiSnapshotLists(instances, descriptions, coiPrefix(env))));
}

/** The snapshot descriptions in every pool's volumes, as SnapshotService reads them. */
async function poolDescriptions(local: LocalTarget): Promise<Map<string, string>> {
  const pools = await read(local, POOL_LIST_PATH, (metadata) => poolNames(metadata) ?? handOver());
  const volumes = await Promise.all(pools.map((pool) => read(local, poolVolumesPath(pool), readVolumeList)));
  return descriptionsOf(volumes.flat());
}

/** The checked metadata of the early GET of `path`; the GET missing, failed or not a plain success hands over. */
async function read<T>(local: LocalTarget, path: string, check: (metadata: unknown, label: string) => T): Promise<T> {
  const early: EarlyGet | undefined = peekEarlyGet(local.socket, local.target(path));
  if (!early) handOver();
  const metadata = syncMetadata(await early.answer);
  if (metadata === undefined) handOver();
  return check(metadata, `GET ${path}`);
}

function handOver(): never {
  throw HAND_OVER;
}

/**
 * The local host's project from hosts.json (undefined: the daemon's default), checked as the registry
 * checks the file; a file it would refuse (and set aside, with a warning) or cannot read hands over.
 * Without a file, nothing more is loaded; with one, its schema.
 */
async function localProject(dir: string): Promise<string | undefined | typeof HAND_OVER> {
  let text: string;
  try {
    text = await readFile(join(dir, 'hosts.json'), 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : HAND_OVER;
  }
  const hosts = (await import('../hosts/hosts-file')).parseHosts(text);
  if (typeof hosts === 'string') return HAND_OVER;
  return hosts.find((host) => host.name === 'local')?.project;
}
