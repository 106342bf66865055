import type { HostConfig } from '../../shared/hosts';
import { IncusClient, requestTimeoutMs } from '../incus/client';
import { createLocalDispatcher } from '../incus/local-socket';
import { createAuthHandler, type AskPassphrase } from '../ssh/auth';
import type { HostKeyCheck } from '../ssh/connection';
import { SshConnection } from '../ssh/connection';
import { IncusOverSsh } from '../ssh/incus-over-ssh';

export interface HostClientDeps {
  localSocket: string;
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  sshDir: string;
  checkHostKey: HostKeyCheck;
  askPassphrase?: AskPassphrase;
  readyTimeoutMs?: number;
  /** Aborting abandons every pending request of the host's client (Ctrl-C in the CLI). */
  signal?: AbortSignal;
}

export interface HostClient {
  client: IncusClient;
  /** The SSH session of a remote host; absent for the local one. */
  connection?: SshConnection;
}

/** An Incus client for one configured host: the local socket, or the host's socket over SSH. */
export function openHostClient(config: HostConfig, deps: HostClientDeps): HostClient {
  const project = config.project;
  const requests = { requestTimeoutMs: requestTimeoutMs(deps.env), signal: deps.signal };
  if (config.kind === 'local') {
    return { client: new IncusClient({ dispatcher: createLocalDispatcher(deps.localSocket), endpoint: deps.localSocket, project, ...requests }) };
  }
  const connection = new SshConnection({
    label: config.name,
    target: { user: config.user, host: config.host, port: config.port },
    ...(config.jump ? { jump: config.jump } : {}),
    auth: (endpoint, tried) =>
      createAuthHandler({ user: endpoint.user, host: config.name, identityFiles: config.identityFiles, sshDir: deps.sshDir, env: deps.env, platform: deps.platform, askPassphrase: deps.askPassphrase }, tried),
    checkHostKey: deps.checkHostKey,
    readyTimeoutMs: deps.readyTimeoutMs,
  });
  const remote = new IncusOverSsh(connection, { label: config.name, user: config.user, socketPath: config.socketPath });
  const client = new IncusClient({ dispatcher: remote.dispatcher(), endpoint: `ssh ${config.name}`, project, ...requests, transportError: (error) => remote.transportError(error) });
  return { client, connection };
}
