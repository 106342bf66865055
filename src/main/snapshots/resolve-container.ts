import { AppError } from '../errors';
import { isCoiContainer, workspaceContainers, workspaceHash } from './coi-naming';

export interface ContainerChoice {
  /** `-c/--container`, or the container picked in the UI. */
  explicit?: string;
  /** The `COI_CONTAINER` environment variable. */
  fromEnv?: string;
  /** The workspace directory whose container is meant (the CLI's working directory). */
  workspace?: string;
  prefix: string;
}

export interface ResolvedContainer {
  name: string;
  source: 'explicit' | 'env' | 'workspace';
}

/**
 * Which container a command means, in the order `coi` uses: explicit choice, then
 * `COI_CONTAINER`, then the one COI container of the current workspace; else an error that
 * lists the candidates.
 */
export function resolveContainer(choice: ContainerChoice, existing: readonly string[]): ResolvedContainer {
  if (choice.explicit) return mustExist(choice.explicit, existing, 'explicit', '');
  if (choice.fromEnv) return mustExist(choice.fromEnv, existing, 'env', ' from COI_CONTAINER');
  if (!choice.workspace) {
    throw new AppError('no-container', 'no container given: use --container NAME (or set COI_CONTAINER)');
  }
  const mine = workspaceContainers(existing, choice.workspace, choice.prefix);
  if (mine.length === 1) return { name: mine[0]!, source: 'workspace' };
  if (mine.length > 1) {
    throw new AppError(
      'ambiguous-container',
      `multiple COI containers found for workspace, use --container to specify: ${mine.join(', ')}`,
      { candidates: mine },
    );
  }
  const coi = existing.filter((name) => isCoiContainer(name, choice.prefix));
  const others = coi.length > 0 ? ` COI containers here: ${coi.join(', ')}.` : ` There are no COI containers (prefix '${choice.prefix}') here.`;
  throw new AppError(
    'no-container',
    `no COI container found for workspace ${choice.workspace} (named ${choice.prefix}${workspaceHash(choice.workspace)}-<slot>); use --container to specify.${others}`,
    { candidates: coi },
  );
}

function mustExist(name: string, existing: readonly string[], source: ResolvedContainer['source'], origin: string): ResolvedContainer {
  if (existing.includes(name)) return { name, source };
  throw new AppError('not-found', `container '${name}'${origin} not found`);
}
