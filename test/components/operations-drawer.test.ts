import { render, screen } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import { describe, expect, it } from 'vitest';
import type { OperationSummary } from '../../src/shared/model';
import { OperationSummarySchema } from '../../src/shared/model';
import OperationsDrawer from '../../src/renderer/src/components/OperationsDrawer.svelte';
import { app } from '../../src/renderer/src/lib/app-state.svelte';
import { installFakeCoi } from './fake-coi';

const exporting: OperationSummary = {
  id: 'job-1', description: 'Export of web', status: 'Running', createdAt: '2026-11-27T10:00:00Z', mayCancel: true,
  progress: '2.0 MiB of 16.0 MiB (12%) · 1.0 MiB/s · 12 s left', percent: 12, error: '', instances: [],
};

/** The drawer's running operation as it stands when `change` is announced. */
function announce(change: Partial<OperationSummary>): void {
  app.operations = { local: [{ ...exporting, ...change }] };
  flushSync();
}

describe('a stalled transfer in the Operations drawer', () => {
  it('is marked Stalled in words and announced once, politely, until it moves again', () => {
    installFakeCoi();
    render(OperationsDrawer, { onclose: () => undefined });
    announce({});
    const status = screen.getByRole('status');
    expect(screen.queryByText('Stalled')).toBeNull();
    expect(status.textContent).toBe('');

    announce({ progress: '2.0 MiB of 16.0 MiB (12%) · 0.5 MiB/s · nothing moved for 1 s', stalledSeconds: 1 });
    const item = screen.getByRole('listitem');
    expect(item.classList.contains('stalled')).toBe(true);
    expect(item.textContent).toMatch(/^⚠ Stalled Export of web/);
    expect(status.textContent).toBe('Export of web on local has stalled: nothing is moving.');
    const said = status.firstChild;

    announce({ progress: '2.0 MiB of 16.0 MiB (12%) · 0.3 MiB/s · nothing moved for 2 s', stalledSeconds: 2 });
    expect(status.firstChild).toBe(said); // the same words, not said again each second
    expect(status.textContent).toBe('Export of web on local has stalled: nothing is moving.');

    announce({ progress: '3.0 MiB of 16.0 MiB (18%) · 0.4 MiB/s · 30 s left', percent: 18, stalledSeconds: 0 });
    expect(screen.queryByText('Stalled')).toBeNull();
    expect(screen.getByRole('listitem').classList.contains('stalled')).toBe(false);
    expect(status.textContent).toBe('');
  });

  it('reads an operation without stalledSeconds (an Incus operation, an older payload)', () => {
    expect(OperationSummarySchema.parse(exporting).stalledSeconds).toBeUndefined();
    expect(OperationSummarySchema.safeParse({ ...exporting, stalledSeconds: -1 }).success).toBe(false);
  });
});
