import { HostsFileSchema, type HostConfig } from '../../shared/hosts';

// Reading `hosts.json`, apart from the registry (registry.ts): the CLI's local listing
// (cli/local-list.ts) checks the file as the registry would without loading the registry's locks and watchers.

/** The hosts in `text` (none when there is no file), or what is wrong with it. */
export function parseHosts(text: string | undefined): HostConfig[] | string {
  if (text === undefined) return [];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return `not JSON: ${(error as Error).message}`;
  }
  const parsed = HostsFileSchema.safeParse(json);
  if (parsed.success) return parsed.data.hosts;
  const issue = parsed.error.issues[0];
  return `${issue?.path.join('.') || 'file'}: ${issue?.message ?? 'invalid'}`;
}
