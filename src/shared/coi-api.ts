import type { CallName, CoiApi, CoiListener } from './contract';

// `window.coi` from the names of the contract's calls, free of zod (types only from ./contract): web mode's
// page builds it without loading the contract's schemas, which only the dialogs that check input need.

/** The name of every call of the contract; contract.ts checks its table has exactly these names. */
export const CALL_NAMES = [
  'hosts.list', 'hosts.warnings', 'hosts.add', 'hosts.importCandidates', 'hosts.import', 'hosts.incusRemoteCandidates', 'hosts.importIncusRemotes', 'hosts.remove', 'hosts.test', 'hosts.trustFingerprint', 'hosts.forgetKey', 'hosts.answerPassphrase',
  'containers.list', 'containers.get', 'containers.overview', 'containers.start', 'containers.setMountExcludes', 'containers.stop',
  'snapshots.list', 'snapshots.create', 'snapshots.restore', 'snapshots.delete', 'snapshots.deleteMany', 'snapshots.deleteAll', 'snapshots.info', 'snapshots.branch', 'snapshots.rename', 'snapshots.setExpiry', 'snapshots.setDescription', 'snapshots.diff', 'snapshots.diffFile',
  'schedule.get', 'schedule.set', 'schedule.off',
  'retention.get', 'retention.set', 'retention.off', 'retention.preview', 'retention.apply', 'retention.pin',
  'backups.files', 'backups.export', 'backups.import',
  'operations.list', 'operations.cancel',
] as const;

export type ListedCall = (typeof CALL_NAMES)[number];

/**
 * Builds `window.coi` from the contract's call names over any transport: Electron IPC in the preload,
 * HTTP in web mode. Nothing but the contract's calls and `on` is on it.
 */
export function createCoiApi(
  invoke: (name: CallName, input: unknown) => Promise<unknown>,
  subscribe: (listener: CoiListener) => () => void,
): CoiApi {
  const calls = Object.fromEntries(CALL_NAMES.map((name) => [name, (input: unknown) => invoke(name, input)]));
  return { ...calls, on: subscribe } as CoiApi;
}
