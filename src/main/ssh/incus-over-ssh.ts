import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import { Agent, closingSilent } from '../incus/http';
import { AppError } from '../errors';
import { IncusUnreachableError } from '../incus/errors';
import { SYSTEM_SOCKET, USER_SOCKET } from '../incus/local-socket';
import type { SshConnection } from './connection';
import { diagnose, diagnosticCommand } from './diagnose';

/**
 * ssh2 sends each 32 KiB packet of a channel with a write() of its own on the connection: ~16,000
 * system calls for a 500 MB upload (a backup import). Corking the connection while one chunk is cut
 * into packets sends them with one writev instead (~13% less CPU for an upload here, and bigger reads
 * for sshd). Relies on ssh2's internals (`_write`, `_client._sock`); without them nothing changes.
 */
function batchPackets(channel: ClientChannel): void {
  const internals = channel as unknown as { _write?: (...args: unknown[]) => unknown; _client?: { _sock?: Writable } };
  const write = internals._write;
  const connection = internals._client?._sock;
  if (typeof write !== 'function' || typeof connection?.cork !== 'function') return;
  internals._write = function (this: unknown, ...args: unknown[]) {
    if (!connection.writableCorked) {
      connection.cork();
      process.nextTick(() => connection.uncork());
    }
    return write.apply(this, args);
  };
}

/**
 * ssh2's `Channel.destroy()` drops the error it is given, so undici's timeouts (it destroys the
 * socket with a HeadersTimeoutError or BodyTimeoutError) read as a connection "closed": an Incus that
 * stopped answering behind a working SSH connection (an export stalled mid-stream) was reported as
 * "the connection to HOST was lost (closed)". The error is emitted first, as a socket's `destroy(error)` does.
 * The channel then reads as destroyed at once, as a socket does: ssh2 only asks sshd to close it, so undici
 * (an aborted request, `closingSilent`) took it for open, could send the next request on it, and when the
 * close came failed a request it had already failed, a TypeError thrown from the channel's 'close' event
 * (an uncaught exception: the CLI or the app's main process ended).
 */
function passDestroyError(channel: ClientChannel): void {
  const destroy = channel.destroy.bind(channel);
  channel.destroy = (error?: Error) => {
    if (error && channel.listenerCount('error') > 0) channel.emit('error', error);
    destroy();
    channel.destroyed = true;
    return channel;
  };
}

const isChannelOpenFailure = (error: unknown) => error instanceof Error && error.message.startsWith('(SSH) Channel open failure');

/**
 * The remote Incus socket reached through an SSH connection: each HTTP connection undici makes is a
 * `direct-streamlocal@openssh.com` channel of the one SSH session. No TCP port is opened anywhere,
 * so no other local user can borrow the remote user's Incus access.
 */
export class IncusOverSsh {
  /** The socket that answered; the configured one, or found by trying the system then the user socket. */
  private socketPath: string | undefined;

  constructor(
    private readonly connection: SshConnection,
    private readonly target: { label: string; user: string; socketPath?: string },
  ) {
    this.socketPath = target.socketPath;
  }

  dispatcher(): Agent {
    return new Agent({
      keepAliveTimeout: 10_000,
      // the remote Incus freezes as the local one does while a connection (here a channel) it accepted stays silent
      connect: closingSilent((_options, callback) => {
        this.openChannel().then(
          (channel) => callback(null, channel as unknown as Socket),
          (error: unknown) => callback(error as Error, null),
        );
      }),
    });
  }

  /** Maps a failed request to what the user should read: lost connections are retryable. */
  transportError(error: unknown): Error {
    if (error instanceof AppError) {
      return error.code === 'connection-lost' || error.code === 'host-unreachable'
        ? new IncusUnreachableError(`ssh ${this.target.label}`, error.code, error.message)
        : error;
    }
    const message = error instanceof Error ? error.message : String(error);
    return new IncusUnreachableError(`ssh ${this.target.label}`, 'connection-lost', `the connection to ${this.target.label} was lost (${message}); COI Desktop reconnects on its own`);
  }

  private async openChannel(): Promise<ClientChannel> {
    const paths = this.socketPath ? [this.socketPath] : [SYSTEM_SOCKET, USER_SOCKET];
    for (const path of paths) {
      try {
        const channel = await this.connection.openStreamLocal(path);
        // Without this a half-closed channel never finishes closing (websocket close would hang).
        channel.allowHalfOpen = false;
        batchPackets(channel);
        passDestroyError(channel);
        this.socketPath = path;
        return channel;
      } catch (error) {
        if (!isChannelOpenFailure(error)) throw error;
      }
    }
    throw await this.diagnosis(paths);
  }

  private async diagnosis(paths: string[]): Promise<AppError> {
    const result = await this.connection.exec(diagnosticCommand(paths)).catch((error: unknown) => ({ code: -1, stdout: '', stderr: String(error) }));
    const finding = diagnose(result, { label: this.target.label, user: this.target.user, socketPaths: paths });
    // A group change applies only to a new SSH session: the next attempt must open one.
    if (finding.code === 'permission-denied') this.connection.disconnect();
    return finding;
  }
}
