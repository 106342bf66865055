import { existsSync, statSync } from 'node:fs';

export const SYSTEM_SOCKET = '/var/lib/incus/unix.socket';
export const USER_SOCKET = '/var/lib/incus/unix.socket.user';

/** `INCUS_SOCKET` if set, else the system daemon's socket, else the restricted per-user socket. */
export function findLocalSocket(
  env: NodeJS.ProcessEnv = process.env,
  exists: (path: string) => boolean = existsSync,
): string {
  if (env.INCUS_SOCKET) return env.INCUS_SOCKET;
  if (exists(SYSTEM_SOCKET)) return SYSTEM_SOCKET;
  if (exists(USER_SOCKET)) return USER_SOCKET;
  return SYSTEM_SOCKET;
}

/**
 * What is wrong with `path` when connecting to it was refused because it is no socket at all (a
 * regular file, a directory…); undefined for a socket (whose daemon is then simply not listening).
 */
export function socketProblem(path: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  let kind: string;
  try {
    const stats = statSync(path);
    if (stats.isSocket()) return undefined;
    kind = stats.isFile() ? 'a regular file' : stats.isDirectory() ? 'a directory' : stats.isFIFO() ? 'a named pipe' : 'a device';
  } catch {
    return undefined;
  }
  const named = env.INCUS_SOCKET === path ? `INCUS_SOCKET=${path}` : path;
  return `${named} is ${kind}, not a socket: point INCUS_SOCKET at the Incus daemon's socket (usually ${SYSTEM_SOCKET}) or unset it`;
}

