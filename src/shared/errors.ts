import { z } from 'zod';

/** What went wrong, as data: the same codes reach the CLI, the IPC boundary and web mode. */
export const ErrorCodeSchema = z.enum([
  'invalid-input',
  'not-found',
  'already-exists',
  'container-running',
  'container-frozen',
  'not-stateful',
  'ambiguous-container',
  'no-container',
  'confirmation-required',
  'safety-snapshot-failed',
  /** The container lacks a program a step needs (tar for mounted folders). */
  'tools-missing',
  /** Another command or the app is already doing this to the same object (a restore of the container). */
  'busy',
  'incus',
  'incus-unreachable',
  'operation-failed',
  'host-unreachable',
  'connection-lost',
  'auth-failed',
  'host-key-unknown',
  'host-key-changed',
  'permission-denied',
  'incus-missing',
  'forwarding-disabled',
  'internal',
]);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

export const ErrorInfoSchema = z.object({
  code: ErrorCodeSchema,
  message: z.string(),
  host: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type ErrorInfo = z.infer<typeof ErrorInfoSchema>;
