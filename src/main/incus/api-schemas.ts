import { z } from 'zod';
import { fromIncusTime } from './instance-list';

export const incusTime = z.string().nullish().transform(fromIncusTime);

const stringMap = z.record(z.string(), z.string()).nullish().transform((value) => value ?? {});
const deviceMap = z
  .record(z.string(), z.record(z.string(), z.string()))
  .nullish()
  .transform((value) => value ?? {});

/** Every answer of the daemon: `sync`, `async` (an operation was created) or `error`. */
export const EnvelopeSchema = z.object({
  type: z.enum(['sync', 'async', 'error']),
  status_code: z.number().optional(),
  error_code: z.number().optional(),
  error: z.string().optional(),
  operation: z.string().optional(),
  metadata: z.unknown(),
});
export type Envelope = z.infer<typeof EnvelopeSchema>;

export const OperationSchema = z.object({
  id: z.string(),
  class: z.string(),
  description: z.string(),
  created_at: z.string(),
  updated_at: z.string().optional(),
  status: z.string(),
  status_code: z.number(),
  resources: z.record(z.string(), z.array(z.string())).nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
  may_cancel: z.boolean(),
  err: z.string(),
});
export type Operation = z.infer<typeof OperationSchema>;

export const InstanceSnapshotSchema = z.object({
  name: z.string(),
  created_at: z.string(),
  expires_at: incusTime,
  last_used_at: incusTime,
  stateful: z.boolean(),
  size: z.number().nullish(),
  description: z.string().nullish().transform((value) => value ?? ''),
  architecture: z.string().nullish().transform((value) => value ?? ''),
  ephemeral: z.boolean().nullish().transform((value) => value ?? false),
  profiles: z.array(z.string()).nullish().transform((value) => value ?? []),
  config: stringMap,
  devices: deviceMap,
  /** The devices from the instance's profiles too, as they were when the snapshot was taken. */
  expanded_devices: deviceMap,
});
export type InstanceSnapshot = z.infer<typeof InstanceSnapshotSchema>;

/** An instance as `GET /1.0/instances?recursion=2` returns it, state and snapshots included. */
export const InstanceFullSchema = z.object({
  name: z.string(),
  status: z.string(),
  status_code: z.number(),
  type: z.string(),
  created_at: z.string(),
  /** When it last started (Incus sets it at each start, not on exec): a restart changes it. */
  last_used_at: z.string().nullish(),
  project: z.string().nullish(),
  location: z.string().nullish(),
  expanded_config: stringMap,
  expanded_devices: deviceMap,
  snapshots: z.array(InstanceSnapshotSchema).nullish().transform((value) => value ?? []),
});
export type InstanceFull = z.infer<typeof InstanceFullSchema>;

/** A cluster member as `GET /1.0/cluster/members?recursion=1` returns it. */
export const ClusterMemberApiSchema = z.object({
  server_name: z.string(),
  url: z.string().nullish().transform((value) => value ?? ''),
  roles: z.array(z.string()).nullish().transform((value) => value ?? []),
  status: z.string(),
  message: z.string().nullish().transform((value) => value ?? ''),
});
export type ClusterMemberApi = z.infer<typeof ClusterMemberApiSchema>;
