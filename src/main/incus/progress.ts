import type { Operation } from './api-schemas';

/** A one-line description of a running operation's progress, from the metadata Incus attaches. */
export function progressText(operation: Operation): string {
  const metadata = operation.metadata ?? {};
  const structured = metadata.progress as { stage?: unknown; percent?: unknown; speed?: unknown } | undefined;
  if (structured && structured.percent !== undefined) {
    const stage = typeof structured.stage === 'string' ? `${structured.stage}: ` : '';
    return `${operation.description}: ${stage}${String(structured.percent)}%`;
  }
  const legacy = Object.entries(metadata).find(([key, value]) => key.endsWith('_progress') && typeof value === 'string');
  return legacy ? `${operation.description}: ${String(legacy[1])}` : `${operation.description}…`;
}
