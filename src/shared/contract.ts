import { z } from 'zod';
import type { ErrorInfo } from './errors';
import { ContainerSchema } from './model';

/**
 * Every call the renderer can make, declared once: input and output schemas. Main validates both
 * directions; the preload and web mode expose exactly these names as `window.coi`.
 */
export const contract = {
  'containers.list': { input: z.object({}).strict(), output: z.array(ContainerSchema) },
} as const;

export type CallName = keyof typeof contract;
export type CallInput<N extends CallName> = z.infer<(typeof contract)[N]['input']>;
export type CallOutput<N extends CallName> = z.infer<(typeof contract)[N]['output']>;

/** Results cross the boundary as data, so the renderer shows the real reason of a failure. */
export type CallResult<N extends CallName> = { ok: true; value: CallOutput<N> } | { ok: false; error: ErrorInfo };

export const IPC_CHANNEL_PREFIX = 'coi:';

export type CoiApi = { [N in CallName]: (input: CallInput<N>) => Promise<CallResult<N>> };
