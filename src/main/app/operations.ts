import { z } from 'zod';
import type { OperationSummary } from '../../shared/model';
import { OperationSchema, type Operation } from '../incus/api-schemas';
import type { IncusClient } from '../incus/client';
import { progressText } from '../incus/progress';

const OperationListSchema = z.record(z.string(), z.array(OperationSchema).nullish());

/** An Incus operation as the operations drawer shows it. */
export function toOperationSummary(operation: Operation): OperationSummary {
  const structured = operation.metadata?.progress as { percent?: unknown } | undefined;
  const percent = Number(structured?.percent);
  const instances = Object.values(operation.resources ?? {}).flat().filter((url) => url.startsWith('/1.0/instances/'));
  return {
    id: operation.id,
    description: operation.description,
    status: operation.status,
    createdAt: operation.created_at,
    mayCancel: operation.may_cancel,
    progress: operation.status === 'Running' ? progressText(operation) : null,
    percent: Number.isFinite(percent) && percent >= 0 && percent <= 100 ? percent : null,
    error: operation.err,
    instances: [...new Set(instances.map((url) => decodeURIComponent(url.split('/')[3] ?? '').split('?')[0] ?? ''))],
  };
}

/** Every operation the daemon still knows (running ones, and finished ones for a few seconds), newest first. */
export async function listOperations(client: IncusClient): Promise<OperationSummary[]> {
  const byStatus = await client.query('GET', '/1.0/operations?recursion=1', OperationListSchema);
  const all = Object.values(byStatus).flatMap((operations) => operations ?? []);
  return all.map(toOperationSummary).sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
}
