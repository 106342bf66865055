import type * as Ssh2 from 'ssh2';

/**
 * The ssh2 package, loaded on the first SSH connection only: a command on the local host never pays
 * for it. Imported from CommonJS, its exports are the namespace's default when the runtime's module
 * loader cannot see them as named ones (Node's does not for ssh2's `utils`).
 */
export async function loadSsh2(): Promise<typeof Ssh2> {
  const loaded = (await import('ssh2')) as typeof Ssh2 & { default?: typeof Ssh2 };
  return loaded.default ?? loaded;
}
