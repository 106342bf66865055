/**
 * Where a request goes and how long it may wait: shared by the Incus client and the CLI's early
 * requests (early-get.ts), which must name a resource exactly as the client would to be taken by it.
 * Free of undici and zod, so the CLI's entry can load it before anything else.
 */

const ORIGIN = 'http://incus.local';
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** How long one request may go unanswered: `COI_DESKTOP_REQUEST_TIMEOUT_MS`, else 30 s. */
export function requestTimeoutMs(env: NodeJS.ProcessEnv): number {
  const configured = Number(env.COI_DESKTOP_REQUEST_TIMEOUT_MS);
  return Number.isInteger(configured) && configured > 0 ? configured : DEFAULT_REQUEST_TIMEOUT_MS;
}

/**
 * The URL of `path` on a daemon, in `project` (the daemon's default project when absent); `origin` is
 * `https://host:port` for a server over HTTPS, a placeholder for a socket (default). `ws:` asks for
 * the matching WebSocket URL (`wss:` over HTTPS).
 */
export function incusUrl(path: string, project: string | undefined, protocol: 'http:' | 'ws:' = 'http:', origin = ORIGIN): URL {
  const url = new URL(path, origin);
  const secure = url.protocol === 'https:';
  url.protocol = protocol === 'ws:' ? (secure ? 'wss:' : 'ws:') : secure ? 'https:' : 'http:';
  if (project) url.searchParams.set('project', project);
  return url;
}

/** The request target of `url` as it goes on the wire: path and query. */
export const requestTarget = (url: URL) => `${url.pathname}${url.search}`;

/** The listing's requests, named once for the client (instances.ts) and the CLI's early requests. */
export const INSTANCE_LIST_PATH = '/1.0/instances?recursion=2';
/** The instances' names (URLs), and one instance with its state and snapshots: what a diff asks first. */
export const INSTANCE_NAMES_PATH = '/1.0/instances';
export const instanceFullPath = (name: string) => `/1.0/instances/${encodeURIComponent(name)}?recursion=1`;
export const POOL_LIST_PATH = '/1.0/storage-pools';
/** Every volume of a pool, volume snapshots included (named `instance/snapshot`). */
export const poolVolumesPath = (pool: string) => `/1.0/storage-pools/${encodeURIComponent(pool)}/volumes?recursion=1`;

/** The name at the end of a resource URL such as `/1.0/instances/c1?project=p`. */
export const nameOf = (url: string) => decodeURIComponent(url.slice(url.lastIndexOf('/') + 1).split('?')[0] ?? '');
