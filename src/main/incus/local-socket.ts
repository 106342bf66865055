import { existsSync } from 'node:fs';
import { Agent } from 'undici';

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
 * One keep-alive dispatcher per host. undici connects only when it has a request to write, and
 * writes it at once: Incus 6.0.4 freezes its whole local API while an accepted connection stays
 * silent, so this app never pre-connects or probes.
 */
export function createLocalDispatcher(socketPath: string): Agent {
  return new Agent({ connect: { socketPath }, keepAliveTimeout: 10_000 });
}
