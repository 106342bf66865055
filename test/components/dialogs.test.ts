import { fireEvent, render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Container } from '../../src/shared/model';
import CreateSnapshotDialog from '../../src/renderer/src/components/CreateSnapshotDialog.svelte';
import DeleteAllDialog from '../../src/renderer/src/components/DeleteAllDialog.svelte';
import DeleteDialog from '../../src/renderer/src/components/DeleteDialog.svelte';
import ExpiryDialog from '../../src/renderer/src/components/ExpiryDialog.svelte';
import RenameDialog from '../../src/renderer/src/components/RenameDialog.svelte';
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
    expect(calls[0]).toEqual({ name: 'snapshots.create', input: { host: 'local', container: 'coi-ab12cd34-1', name: 'before-upgrade', stateful: false, expiresAt: undefined, includeMounts: false } });
  });
});

describe('Restore', () => {
  it('offers "Stop and restore" for a running container and keeps the safety snapshot on by default', async () => {
    const calls = installFakeCoi({ 'snapshots.restore': { container: 'coi-ab12cd34-1', snapshot: 'good', stateful: false, safetySnapshot: 'pre-restore-x' }, 'containers.list': [] });
    render(RestoreDialog, { host: 'local', container: container('Running'), snapshot, onclose: () => undefined });
    expect(screen.getByText(/A restore needs it stopped/)).toBeTruthy();
    expect((screen.getByLabelText(/Start it again afterwards/) as HTMLInputElement).checked).toBe(true);
    await fireEvent.click(screen.getByRole('button', { name: 'Stop and restore' }));
    expect(calls[0]?.input).toEqual({ host: 'local', container: 'coi-ab12cd34-1', snapshot: 'good', stateful: false, safetySnapshot: true, stopFirst: true, startAfter: true, includeMounts: false });
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

describe('errors and vanished snapshots inside dialogs', () => {
  it('shows the failure of Delete inside the dialog, naming a few snapshots and the count, and stays open', async () => {
    const names = Array.from({ length: 40 }, (_, index) => `s${index}`);
    installFakeCoi({ 'snapshots.deleteMany': names.map((name) => ({ name, ok: false, error: 'busy' })), 'containers.list': [] });
    let closed = false;
    const many = { ...container(), snapshots: names.map((name) => ({ ...snapshot, name })) };
    render(DeleteDialog, { host: 'local', container: many, snapshots: names, onclose: () => (closed = true) });
    await fireEvent.click(screen.getByRole('button', { name: 'Delete' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe('40 of 40 could not be deleted: s0: busy; s1: busy; s2: busy; s3: busy; s4: busy; and 35 more');
    expect(closed).toBe(false);
  });

  it('lists at most 50 of the snapshots it will delete, then how many more', () => {
    installFakeCoi({ 'containers.list': [] });
    const names = Array.from({ length: 120 }, (_, index) => `s${index}`);
    render(DeleteDialog, { host: 'local', container: { ...container(), snapshots: names.map((name) => ({ ...snapshot, name })) }, snapshots: names, onclose: () => undefined });
    expect(screen.getAllByRole('listitem')).toHaveLength(50);
    expect(screen.getByText('and 70 more')).toBeTruthy();
  });

  it('says so and disables the action when the snapshot is gone', async () => {
    installFakeCoi({ 'containers.list': [] });
    render(RenameDialog, { host: 'local', container: { ...container(), snapshots: [] }, snapshot, onclose: () => undefined });
    expect(screen.getByRole('alert').textContent).toMatch(/^Snapshot good of coi-ab12cd34-1 no longer exists/);
    expect(screen.getByRole('button', { name: 'Rename' }).hasAttribute('disabled')).toBe(true);
  });

  it('refuses a past expiry with the shared rule before calling anything', async () => {
    const calls = installFakeCoi({ 'containers.list': [] });
    render(ExpiryDialog, { host: 'local', container: container(), snapshot, onclose: () => undefined });
    await fireEvent.input(screen.getByLabelText('Expires at'), { target: { value: '2020-01-01T00:00' } });
    expect(screen.getByText(/is in the past: Incus would delete the snapshot within a minute/)).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Set expiry' }).hasAttribute('disabled')).toBe(true);
    expect(calls).toEqual([]);
  });
});

describe('mounted folders', () => {
  const workspace = { device: 'workspace', path: '/workspace', source: '/home/me/proj', kind: 'host-folder' as const };
  const held = { device: 'workspace', path: '/workspace', source: '/home/me/proj', bytes: 2048, files: 3, excludes: ['node_modules'] };
  const mounted = (): Container => ({ ...container(), notCaptured: [workspace], mountExcludes: ['node_modules'], snapshots: [{ ...snapshot, mounts: [held] }, { ...snapshot, name: 'plain' }] });

  it('includes them by default in a COI container, and remembers when the user turns that off', async () => {
    localStorage.clear();
    const calls = installFakeCoi({ 'snapshots.create': snapshot, 'containers.list': [], 'containers.setMountExcludes': { ...mounted(), mountExcludes: ['node_modules', 'build'] } });
    const first = render(CreateSnapshotDialog, { host: 'local', container: mounted(), onclose: () => undefined });
    const include = screen.getByLabelText(/Include mounted folders \(\/workspace\), leaving out node_modules/) as HTMLInputElement;
    expect(include.checked).toBe(true);
    await userEvent.type(screen.getByLabelText(/Leave out/), ', build');
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(calls.shift()).toEqual({ name: 'containers.setMountExcludes', input: { host: 'local', container: 'coi-ab12cd34-1', excludes: ['node_modules', 'build'] } });
    await screen.findByLabelText(/Include mounted folders \(\/workspace\), leaving out node_modules, build/);
    await userEvent.click(include);
    expect(screen.getByRole('note').textContent).toContain('Not in snapshots: /workspace (host folder /home/me/proj).');
    await fireEvent.click(screen.getByRole('button', { name: 'Create snapshot' }));
    expect(calls[0]?.input).toMatchObject({ includeMounts: false });
    first.unmount();
    render(CreateSnapshotDialog, { host: 'local', container: mounted(), onclose: () => undefined });
    expect((screen.getByLabelText(/Include mounted folders/) as HTMLInputElement).checked).toBe(false);
  });

  it('offers to restore them only from a snapshot that holds them, and otherwise says they stay', async () => {
    const calls = installFakeCoi({ 'snapshots.restore': { container: 'c', snapshot: 'good', stateful: false, safetySnapshot: null, stopped: false, startedAgain: false }, 'containers.list': [] });
    const holding = render(RestoreDialog, { host: 'local', container: mounted(), snapshot: { ...snapshot, mounts: [held] }, onclose: () => undefined });
    expect((screen.getByLabelText(/Also restore mounted folders \(\/workspace: 3 files, 2\.0 KiB\)/) as HTMLInputElement).checked).toBe(true);
    expect(screen.queryByRole('note')).toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: 'Restore' }));
    expect(calls[0]?.input).toMatchObject({ includeMounts: true });
    holding.unmount();

    render(RestoreDialog, { host: 'local', container: mounted(), snapshot: { ...snapshot, name: 'plain' }, onclose: () => undefined });
    expect(screen.queryByLabelText(/Also restore mounted folders/)).toBeNull();
    expect(screen.getByRole('note').textContent).toContain('files in /workspace will stay as they are now');
  });
});
