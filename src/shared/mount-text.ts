import type { HeldMount, NotCaptured } from './model';
import { humanSize } from './size';

/** "/workspace (host folder /home/me/proj)" — how every face names a disk that snapshots leave out. */
export function describeMount(mount: NotCaptured): string {
  return `${mount.path} (${mount.kind === 'host-folder' ? 'host folder' : 'custom volume'} ${mount.source})`;
}

/** "/workspace: 20000 files, 78.1 MiB" — a mounted folder a snapshot holds. */
export function describeHeldMount(mount: HeldMount): string {
  return `${mount.path}: ${filesText(mount.files)}, ${humanSize(mount.bytes)}`;
}

export const filesText = (count: number) => `${count} file${count === 1 ? '' : 's'}`;
