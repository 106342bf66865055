import type { Dispatcher } from 'undici';
import type { HostConfig } from '../../shared/hosts';
import { IncusClient, requestTimeoutMs } from '../incus/client';
import { takeEarlyGet } from '../incus/early-get';
import { createLocalDispatcher } from '../incus/http';
import { createAuthHandler, type AskPassphrase } from '../ssh/auth';
import type { HostKeyCheck } from '../ssh/connection';
import { SshConnection } from '../ssh/connection';
import { IncusOverSsh } from '../ssh/incus-over-ssh';
import { appIdentity, readIdentity } from '../https/client-cert';
import { createHttpsDispatcher, httpsTransportError, type ServerCertCheck } from '../https/tls-transport';

export interface HostClientDeps {
  localSocket: string;
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  sshDir: string;
  checkHostKey: HostKeyCheck;
  /** How an HTTPS host's certificate is checked against its pin (an Incus host only). */
  checkServerCert: ServerCertCheck;
  /** The app's config directory: its own client certificate is kept there. */
  configDir: string;
  askPassphrase?: AskPassphrase;
  readyTimeoutMs?: number;
  /** Aborting abandons every pending request of the host's client (Ctrl-C in the CLI). */
  signal?: AbortSignal;
  /**
   * Why the host is not to be asked anything now (it waits for the user: a changed host key, keys it
   * did not accept…), or nothing: while it gives a reason, every request fails at once with it.
   */
  refusal?: () => Error | undefined;
}

export interface HostClient {
  client: IncusClient;
  /** The SSH session of a remote host; absent for the local one and HTTPS. */
  connection?: SshConnection;
}

/** An Incus client for one configured host: the local socket, the host's socket over SSH, or HTTPS. */
export function openHostClient(config: HostConfig, deps: HostClientDeps): HostClient {
  const project = config.project;
  const requests = { requestTimeoutMs: requestTimeoutMs(deps.env), signal: deps.signal };
  const gate = (dispatcher: Dispatcher) => (deps.refusal ? gated(dispatcher, deps.refusal) : dispatcher);
  if (config.kind === 'local') {
    const early = (target: string, method: string, body: string | undefined) => takeEarlyGet(deps.localSocket, target, method, body);
    return { client: new IncusClient({ dispatcher: gate(createLocalDispatcher(deps.localSocket)), endpoint: deps.localSocket, project, ...requests, early }) };
  }
  if (config.kind === 'incus') {
    const files = config.clientCert;
    const dispatcher = gate(createHttpsDispatcher({
      url: config.url,
      identity: () => (files ? readIdentity(files) : appIdentity(deps.configDir)),
      checkServerCert: deps.checkServerCert,
    }));
    const transportError = (error: unknown) => httpsTransportError(config.url, error);
    return { client: new IncusClient({ dispatcher, endpoint: config.url, origin: config.url, project, ...requests, transportError }) };
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
  const client = new IncusClient({ dispatcher: gate(remote.dispatcher()), endpoint: `ssh ${config.name}`, project, ...requests, transportError: (error) => remote.transportError(error) });
  return { client, connection };
}

/**
 * `dispatcher`, sending nothing while `refusal` gives a reason: each request (an event stream too)
 * fails at once with it, and no connection is opened.
 */
function gated(dispatcher: Dispatcher, refusal: () => Error | undefined): Dispatcher {
  return dispatcher.compose((dispatch) => (options, handler) => {
    const refused = refusal();
    if (!refused) return dispatch(options, handler);
    // undici hands an interceptor its wrapped handler, whose error callback needs no controller.
    handler.onResponseError?.(null as never, refused);
    return true;
  });
}
