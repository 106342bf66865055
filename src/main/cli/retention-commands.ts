import { Command, Option } from 'commander';
import { policySummary, RetentionPolicySchema, type RetentionEntry, type RetentionPlan, type RetentionPolicy } from '../../shared/retention';
import { someNames } from '../../shared/names';
import { AppError, toErrorInfo } from '../errors';
import type { IncusClient } from '../incus/client';
import * as retention from '../snapshots/retention';
import { readInstance } from '../snapshots/service';
import { localTime, table, toJson } from './format';
import { confirm, UsageError } from './io';
import { formatOption, withHostOptions } from './options';
import type { CliSession, HostChoice } from './session';

const containerOption = () => new Option('-c, --container <name>', 'container (default: COI_CONTAINER, else the workspace container)');
const count = (flag: string) => (value: string) => {
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag} takes a whole number, not '${value}'`);
  return Number(value);
};

type Target = HostChoice & { container?: string };

/** `retention set|show|off|apply`: a policy stored on the instance, enforced by Incus through each snapshot's expiry. */
export function retentionCommand(session: CliSession): Command {
  const command = new Command('retention').description('Thin out snapshots by a policy that Incus enforces (grandfather-father-son)');
  const out = (text: string) => session.io.stdout.write(text);
  const target = async (options: Target) => {
    const client = await session.client(options);
    return { client, container: await session.container(await session.service(options), options.container) };
  };

  command
    .command('set')
    .description('Store the policy on the container (apply it with `retention apply`)')
    .requiredOption('--keep-last <n>', 'always keep the newest N snapshots', count('--keep-last'))
    .option('--hourly <n>', 'keep one snapshot for each of the last N hours', count('--hourly'), 0)
    .option('--daily <n>', 'keep one for each of the last N days', count('--daily'), 0)
    .option('--weekly <n>', 'keep one for each of the last N weeks', count('--weekly'), 0)
    .option('--monthly <n>', 'keep one for each of the last N months', count('--monthly'), 0)
    .option('--include-named', 'cover named checkpoints and pre-restore safety snapshots too (pinned ones never)')
    .addOption(containerOption())
    .action(async (options: Target & { keepLast: number; hourly: number; daily: number; weekly: number; monthly: number; includeNamed?: boolean }) => {
      const parsed = RetentionPolicySchema.safeParse({ ...pick(options), includeNamed: options.includeNamed ?? false });
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new UsageError(`--${String(issue.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${issue.message}`);
      }
      const { client, container } = await target(options);
      const stored = await retention.setPolicy(client, container, parsed.data);
      session.say(`Retention policy of '${container}': ${policySummary(stored)}. Nothing changed yet: see what it does with 'coi-desktop retention apply -c ${container} --dry-run'`);
    });

  command
    .command('show')
    .description('Show the stored policy')
    .addOption(containerOption())
    .addOption(formatOption())
    .action(async (options: Target & { format: string }) => {
      const { client, container } = await target(options);
      const policy = await retention.getPolicy(client, container);
      if (options.format === 'json') return void out(toJson({ container, policy }));
      out(policy ? `${container}: ${policySummary(policy)}\n` : `${container}: no retention policy (set one with: coi-desktop retention set -c ${container} --keep-last 10 --daily 7)\n`);
    });

  command
    .command('off')
    .description('Remove the policy (the expiries it gave stay)')
    .addOption(containerOption())
    .action(async (options: Target) => {
      const { client, container } = await target(options);
      await retention.policyOff(client, container);
      session.say(`'${container}' has no retention policy now; the expiries it gave stay (change one with 'coi-desktop snapshot …' or the app's Expiry)`);
    });

  command
    .command('apply')
    .description("Give each covered snapshot the expiry the policy implies; Incus deletes the ones going within a minute")
    .addOption(containerOption())
    .option('-a, --all', 'every container of the host that has a policy (what a server\'s cron runs)')
    .option('--dry-run', 'show what would happen and change nothing')
    .option('-f, --force', 'skip the confirmation')
    .addOption(formatOption())
    .action(async (options: Target & { all?: boolean; dryRun?: boolean; force?: boolean; format: string }) => {
      if (options.all && options.container) throw new UsageError('give either -c/--container or --all, not both');
      const client = await session.client(options);
      const plans = options.all ? await plansOfAll(session, client) : [await planOne(session, client, options)];
      if (options.dryRun) {
        out(options.format === 'json' ? toJson(plans.map(({ plan }) => plan ?? null)) : plans.map(({ plan }) => (plan ? planText(plan) : '')).join('\n'));
        return failIfAny(plans, []);
      }
      const ready = plans.flatMap(({ plan }) => (plan && plan.counts.changes > 0 ? [plan] : []));
      if (ready.length > 0 && !options.force) {
        if (!(await confirm(session.io, applyWarning(ready), 'apply the retention policy'))) return session.say('Aborted');
      }
      const results = [];
      for (const plan of plans.flatMap(({ plan }) => (plan ? [plan] : []))) {
        const result = await retention.applyPlan(client, plan, {
          wait: session.wait,
          onProgress: (done, total, entry, error) => session.say(`${plan.container}: ${done}/${total} ${entry.name} ${error ? `failed: ${error}` : entryOutcome(entry)}`),
        });
        session.say(appliedText(plan, result.applied, result.failed.length));
        results.push(result);
      }
      if (options.format === 'json') out(toJson(results));
      failIfAny(plans, results.flatMap((result) => result.failed.map((failure) => `${result.plan.container}/${failure.name}: ${failure.error}`)));
    });

  for (const sub of command.commands) withHostOptions(sub);
  return command;
}

const pick = (options: Omit<RetentionPolicy, 'includeNamed'>) => ({ keepLast: options.keepLast, hourly: options.hourly, daily: options.daily, weekly: options.weekly, monthly: options.monthly });

interface Planned {
  container: string;
  plan?: RetentionPlan;
  error?: string;
}

async function planOne(session: CliSession, client: IncusClient, options: Target): Promise<Planned> {
  const container = await session.container(await session.service(options), options.container);
  return { container, plan: retention.planFor(await readInstance(client, container), undefined, Date.now()) };
}

/** Every instance with a policy; one whose stored policy cannot be read is reported, the others still planned. */
async function plansOfAll(session: CliSession, client: IncusClient): Promise<Planned[]> {
  const instances = await retention.instancesWithPolicy(client);
  if (instances.length === 0) session.say('No container on this host has a retention policy');
  return instances.map((instance) => {
    try {
      return { container: instance.name, plan: retention.planFor(instance, undefined, Date.now()) };
    } catch (error) {
      const message = toErrorInfo(error).message;
      session.say(`Skipped ${message}`);
      return { container: instance.name, error: message };
    }
  });
}

function failIfAny(plans: readonly Planned[], failures: readonly string[]): void {
  const unread = plans.filter((planned) => planned.error).map((planned) => planned.container);
  if (unread.length === 0 && failures.length === 0) return;
  const parts = [
    ...(unread.length > 0 ? [`the policy of ${someNames(unread)} could not be read`] : []),
    ...(failures.length > 0 ? [`${failures.length} expiry write(s) failed: ${someNames(failures)}`] : []),
  ];
  throw new AppError('operation-failed', parts.join('; '));
}

/** What applying an entry does, in words. */
function entryOutcome(entry: RetentionEntry): string {
  if (entry.status === 'going') return 'going: Incus deletes it within a minute';
  if (entry.status === 'expiring') return `kept until ${localTime(entry.expiresAt)}`;
  return 'kept, no expiry';
}

function keptByText(entry: RetentionEntry): string {
  if (entry.status === 'untouched') return `left alone: ${entry.reason}`;
  if (entry.keptBy.length === 0) return 'not kept by the policy';
  return entry.keptBy.map((reason) => (reason.rule === 'last' ? `newest ${reason.bucket}` : `${reason.rule} ${reason.bucket}`)).join(', ');
}

/** The plan as `--dry-run` prints it: every snapshot, newest first, with what happens to it and why. */
export function planText(plan: RetentionPlan): string {
  const rows = plan.entries.map((entry) => [
    entry.name,
    localTime(entry.createdAt),
    entry.status,
    entry.status === 'going' ? 'now' : localTime(entry.expiresAt),
    keptByText(entry),
  ]);
  const { kept, expiring, going, untouched } = plan.counts;
  const head = `${plan.container}: ${policySummary(plan.policy)} — ${kept} kept, ${expiring} expiring, ${going} going, ${untouched} left alone\n`;
  return head + table(['NAME', 'CREATED', 'STATUS', 'EXPIRES', 'WHY'], rows);
}

function applyWarning(plans: readonly RetentionPlan[]): string {
  const lines = plans.map((plan) => {
    const going = plan.entries.filter((entry) => entry.status === 'going').map((entry) => entry.name);
    const dated = plan.entries.filter((entry) => entry.change && entry.status === 'expiring').length;
    return `  ${plan.container}: ${going.length} deleted by Incus within a minute${going.length > 0 ? ` (${someNames(going)})` : ''}; ${dated} given a later expiry`;
  });
  return `Applying the retention policy sets snapshot expiries; Incus deletes expired snapshots by itself:\n${lines.join('\n')}`;
}

function appliedText(plan: RetentionPlan, applied: number, failed: number): string {
  const { kept, expiring, going, untouched } = plan.counts;
  return `${plan.container}: ${applied} expiries written${failed > 0 ? `, ${failed} failed` : ''}; ${going} going (Incus deletes them within a minute), ${expiring} expiring, ${kept} kept, ${untouched} left alone`;
}
