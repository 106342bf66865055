import type { HostStates } from '../app/quick-snapshot';

/** What a tray item does when clicked. */
export type TrayAction =
  | { kind: 'quick-snapshot'; host: string; container: string }
  | { kind: 'quick-snapshot-all' }
  | { kind: 'open' }
  | { kind: 'quit' };

/** A tray menu item as plain data; the shell turns it into Electron's MenuItemConstructorOptions. */
export interface TrayItem {
  label?: string;
  type?: 'normal' | 'separator' | 'submenu';
  enabled?: boolean;
  submenu?: TrayItem[];
  action?: TrayAction;
}

const separator: TrayItem = { type: 'separator' };

function hostItems(host: HostStates): TrayItem[] {
  const running = host.containers.filter((container) => container.status === 'Running');
  const heading: TrayItem = { label: host.status.state === 'online' ? host.host : `${host.host} (${host.status.state})`, enabled: false };
  if (running.length === 0) return [heading, { label: host.status.state === 'online' ? 'No running containers' : 'Unavailable', enabled: false }];
  return [
    heading,
    ...running.map((container): TrayItem => ({
      label: container.name,
      type: 'submenu',
      submenu: [{ label: 'Quick snapshot', action: { kind: 'quick-snapshot', host: host.host, container: container.name } }],
    })),
  ];
}

/**
 * The tray (menu bar) menu: per host its running containers, each with "Quick snapshot"; then a
 * quick snapshot of everything running, "Open COI Desktop" and "Quit".
 */
export function trayTemplate(hosts: readonly HostStates[]): TrayItem[] {
  const anyRunning = hosts.some((host) => host.containers.some((container) => container.status === 'Running'));
  const perHost = hosts.flatMap((host, index) => [...(index > 0 ? [separator] : []), ...hostItems(host)]);
  return [
    ...(perHost.length > 0 ? [...perHost, separator] : [{ label: 'No hosts', enabled: false }, separator]),
    { label: 'Quick snapshot of all running containers', enabled: anyRunning, action: { kind: 'quick-snapshot-all' } },
    separator,
    { label: 'Open COI Desktop', action: { kind: 'open' } },
    { label: 'Quit', action: { kind: 'quit' } },
  ];
}
