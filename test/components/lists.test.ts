import { createRawSnippet } from 'svelte';
import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import CommandPalette from '../../src/renderer/src/components/CommandPalette.svelte';
import VirtualList from '../../src/renderer/src/components/VirtualList.svelte';
import { ui } from '../../src/renderer/src/lib/ui-state.svelte';
import { installFakeCoi } from './fake-coi';

describe('the virtual list', () => {
  it('puts only the rows in view into the page, however many there are', () => {
    const items = Array.from({ length: 25_000 }, (_, i) => `snap-${i}`);
    const row = createRawSnippet((item: () => string) => ({ render: () => `<span>${item()}</span>` }));
    render(VirtualList<string>, { items, label: 'Snapshots', key: (item: string) => item, row });
    const rendered = screen.getAllByRole('listitem');
    expect(rendered.length).toBeGreaterThan(0);
    expect(rendered.length).toBeLessThan(60);
    expect(rendered[0]?.getAttribute('aria-setsize')).toBe('25000');
    expect(screen.getByText('snap-0')).toBeTruthy();
    expect(screen.queryByText('snap-24999')).toBeNull();
  });
});

describe('the command palette', () => {
  it('filters as you type and runs the chosen command with Enter', async () => {
    installFakeCoi();
    ui.addHost = false;
    render(CommandPalette);
    const input = screen.getByRole('combobox');
    await userEvent.type(input, 'add h');
    expect(screen.getAllByRole('option').map((option) => option.textContent?.trim())).toEqual(['Add host']);
    await userEvent.keyboard('{Enter}');
    expect(ui.addHost).toBe(true);
  });
});
