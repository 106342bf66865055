import { fireEvent, render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Container } from '../../src/shared/model';
import CreateSnapshotDialog from '../../src/renderer/src/components/CreateSnapshotDialog.svelte';
import DeleteAllDialog from '../../src/renderer/src/components/DeleteAllDialog.svelte';
import RestoreDialog from '../../src/renderer/src/components/RestoreDialog.svelte';
import { installFakeCoi } from './fake-coi';

const snapshot = { name: 'good', createdAt: '2026-11-25T10:00:00Z', expiresAt: null, stateful: false, sizeBytes: null, description: '' };
const container = (status = 'Stopped', statefulCapable = false): Container => ({ name: 'coi-ab12cd34-1', status, type: 'container', createdAt: '', coi: true, statefulCapable, snapshots: [snapshot] });

describe('Create snapshot', () => {
  it('prefills the auto name, explains a bad or taken name, and sends what the user chose', async () => {
    const calls = installFakeCoi({ 'snapshots.create': snapshot, 'containers.list': [] });
    const onclose = () => undefined;
    render(CreateSnapshotDialog, { host: 'local', container: container(), onclose });
    const name = screen.getByLabelText('Name') as HTMLInputElement;
    expect(name.value).toMatch(/^snap-\d{8}-\d{6}$/);
    const create = screen.getByRole('button', { name: 'Create snapshot' });

    await userEvent.clear(name);
    await userEvent.type(name, '..');
    expect(screen.getByText("'..' is not a snapshot name (it names a directory)")).toBeTruthy();
    expect(create.hasAttribute('disabled')).toBe(true);
    await userEvent.clear(name);
    await userEvent.type(name, 'good');
    expect(screen.getByText("snapshot 'good' already exists for container 'coi-ab12cd34-1'")).toBeTruthy();

    await userEvent.clear(name);
    await userEvent.type(name, 'before-upgrade');
    expect((screen.getByLabelText(/Stateful/) as HTMLInputElement).disabled).toBe(true);
    await fireEvent.click(create);
    expect(calls[0]).toEqual({ name: 'snapshots.create', input: { host: 'local', container: 'coi-ab12cd34-1', name: 'before-upgrade', stateful: false, expiresAt: undefined } });
  });
});

describe('Restore', () => {
  it('offers "Stop and restore" for a running container and keeps the safety snapshot on by default', async () => {
    const calls = installFakeCoi({ 'snapshots.restore': { container: 'coi-ab12cd34-1', snapshot: 'good', stateful: false, safetySnapshot: 'pre-restore-x' }, 'containers.list': [] });
    render(RestoreDialog, { host: 'local', container: container('Running'), snapshot, onclose: () => undefined });
    expect(screen.getByText(/A restore needs it stopped/)).toBeTruthy();
    expect((screen.getByLabelText(/Start it again afterwards/) as HTMLInputElement).checked).toBe(true);
    await fireEvent.click(screen.getByRole('button', { name: 'Stop and restore' }));
    expect(calls[0]?.input).toEqual({ host: 'local', container: 'coi-ab12cd34-1', snapshot: 'good', stateful: false, safetySnapshot: true, stopFirst: true, startAfter: true });
  });

  it('names what will be lost when the safety snapshot is turned off', async () => {
    const calls = installFakeCoi({ 'snapshots.restore': { container: 'c', snapshot: 'good', stateful: false, safetySnapshot: null }, 'containers.list': [] });
    render(RestoreDialog, { host: 'local', container: container('Stopped'), snapshot, onclose: () => undefined });
    await userEvent.click(screen.getByLabelText(/First take a safety snapshot/));
    expect(screen.getByRole('alert').textContent).toMatch(/Everything in coi-ab12cd34-1 that changed since .* will be lost/);
    await fireEvent.click(screen.getByRole('button', { name: 'Restore' }));
    expect(calls[0]?.input).toMatchObject({ safetySnapshot: false, stopFirst: false, startAfter: false });
  });
});

describe('Delete all', () => {
  it("stays disabled until the container's name is typed exactly", async () => {
    const calls = installFakeCoi({ 'snapshots.deleteAll': [{ name: 'good', ok: true }], 'containers.list': [] });
    render(DeleteAllDialog, { host: 'local', container: container(), onclose: () => undefined });
    const button = screen.getByRole('button', { name: 'Delete all snapshots' });
    const input = screen.getByLabelText('Container name to confirm');
    await userEvent.type(input, 'coi-ab12cd34');
    expect(button.hasAttribute('disabled')).toBe(true);
    await userEvent.type(input, '-1');
    expect(button.hasAttribute('disabled')).toBe(false);
    await fireEvent.click(button);
    expect(calls[0]).toEqual({ name: 'snapshots.deleteAll', input: { host: 'local', container: 'coi-ab12cd34-1', confirmName: 'coi-ab12cd34-1' } });
  });
});
