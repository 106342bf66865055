import { IncusClient, type WaitOptions } from '../incus/client';
import { createLocalDispatcher, findLocalSocket } from '../incus/local-socket';
import { progressText } from '../incus/progress';
import { coiPrefix } from '../snapshots/coi-naming';
import { resolveContainer } from '../snapshots/resolve-container';
import { SnapshotService } from '../snapshots/service';
import type { CliIo } from './io';

/** One CLI invocation's connection to Incus: opened on first use, closed when the command ends. */
export class CliSession {
  private client: IncusClient | undefined;
  private serviceInstance: SnapshotService | undefined;

  constructor(readonly io: CliIo) {}

  get service(): SnapshotService {
    if (!this.serviceInstance) {
      const socket = findLocalSocket(this.io.env);
      this.client = new IncusClient({ dispatcher: createLocalDispatcher(socket), endpoint: socket });
      this.serviceInstance = new SnapshotService(this.client, { coiPrefix: coiPrefix(this.io.env) });
    }
    return this.serviceInstance;
  }

  /** `-c/--container`, else `COI_CONTAINER`, else the current workspace's one COI container. */
  async container(explicit: string | undefined): Promise<string> {
    const names = await this.service.listContainerNames();
    const choice = { explicit, fromEnv: this.io.env.COI_CONTAINER, workspace: this.io.cwd, prefix: coiPrefix(this.io.env) };
    return resolveContainer(choice, names).name;
  }

  /**
   * How a command waits for an Incus operation: Ctrl-C cancels it (or says why the daemon will not),
   * and progress shows on a terminal's stderr (nothing when stderr is a file or pipe).
   */
  get wait(): WaitOptions {
    const onCancelRefused = (reason: string) => this.say(`Cannot cancel: ${reason}; waiting for it to finish (Ctrl-C again stops waiting, not the operation)`);
    const cancel = { signal: this.io.signal, onCancelRefused };
    if (!this.io.stderr.isTTY) return cancel;
    return { ...cancel, onProgress: (operation) => this.io.stderr.write(`\r\x1b[K${progressText(operation)}`) };
  }

  say(line: string): void {
    if (this.io.stderr.isTTY) this.io.stderr.write('\r\x1b[K');
    this.io.stderr.write(`${line}\n`);
  }

  async close(): Promise<void> {
    await this.client?.close();
  }
}
