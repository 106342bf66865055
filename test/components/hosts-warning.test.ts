import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { createCoiApi } from '../../src/shared/coi-api';
import type { CoiListener } from '../../src/shared/contract';
import HostsWarning from '../../src/renderer/src/components/HostsWarning.svelte';

const atStart = '/cfg/hosts.json could not be read (not JSON: x); it was kept as /cfg/hosts.json.corrupt-20261125-120000-1-abcdef and no saved hosts were loaded';
const later = '/cfg/hosts.json could not be read (version: invalid); it was kept as /cfg/hosts.json.corrupt-20261125-120500-1-fedcba and no saved hosts were loaded';

/** `window.coi` answering `hosts.warnings` with `warnings`, with a way to push events. */
function installCoi(warnings: string[]) {
  const listeners = new Set<CoiListener>();
  const api = createCoiApi(
    async (name) => (name === 'hosts.warnings' ? { ok: true, value: warnings } : { ok: false, error: { code: 'internal', message: `no answer for ${name}` } }),
    (listener) => (listeners.add(listener), () => void listeners.delete(listener)),
  );
  Object.defineProperty(window, 'coi', { value: api, configurable: true, writable: true });
  return { push: (message: string) => listeners.forEach((listener) => listener({ type: 'hosts-warning', message })) };
}

describe('the saved-hosts warning', () => {
  it('shows the warning the app started with and one that arrives later, each until dismissed', async () => {
    const coi = installCoi([atStart]);
    render(HostsWarning);
    expect((await screen.findByRole('alert')).textContent).toContain(atStart);

    coi.push(later);
    await screen.findByText(later, { exact: false });
    expect(screen.getAllByRole('alert')).toHaveLength(2);

    await fireEvent.click(screen.getAllByRole('button', { name: 'Dismiss' })[0]!);
    expect(screen.getAllByRole('alert').map((alert) => alert.textContent)).toEqual([expect.stringContaining(later)]);
    coi.push(atStart); // the same warning again stays dismissed
    await fireEvent.click(screen.getByRole('button', { name: 'Dismiss' }));
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('shows nothing when the hosts were read', async () => {
    installCoi([]);
    render(HostsWarning);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(screen.queryByRole('alert')).toBeNull();
  });
});
