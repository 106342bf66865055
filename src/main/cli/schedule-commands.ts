import { Command, Option } from 'commander';
import type { Schedule } from '../../shared/schedule';
import type * as ScheduleUseCases from '../snapshots/schedule';
import { localTime, toJson } from './format';
import { formatOption, withHostOptions } from './options';
import type { CliSession, HostChoice } from './session';

/** Loaded when a schedule command runs: it brings croner, which `snapshot list` never needs. */
const useCases = (): Promise<typeof ScheduleUseCases> => import('../snapshots/schedule');
const containerOption = () => new Option('-c, --container <name>', 'container (default: COI_CONTAINER, else the workspace container)');

/** `snapshot schedule set|show|off`: automatic snapshots that Incus takes itself. */
export function scheduleCommand(session: CliSession): Command {
  const schedule = new Command('schedule').description('Automatic snapshots, taken by Incus itself (snapshots.schedule)');
  const target = async (options: HostChoice & { container?: string }) => {
    const client = await session.client(options);
    return { client, container: await session.container(await session.service(options), options.container) };
  };

  schedule
    .command('set')
    .description('Take snapshots on a schedule, named snap-YYYYMMDD-HHMMSS like the app\'s own')
    .requiredOption('--every <spec>', "cron expression ('0 * * * *'), @hourly, @daily, @weekly, @monthly, or an interval such as 30m, 2h")
    .option('--stopped', 'take snapshots while the container is stopped too')
    .option('--expiry <duration>', 'how long each scheduled snapshot lives: 30m, 12h, 7d, 2w, 3mo, 1y')
    .addOption(containerOption())
    .action(async (options: HostChoice & { container?: string; every: string; stopped?: boolean; expiry?: string }) => {
      const { client, container } = await target(options);
      const set = await (await useCases()).setSchedule(client, container, { every: options.every, stopped: options.stopped ?? false, expiry: options.expiry ?? null });
      session.say(`Incus now snapshots '${container}' ${set.summary} (${set.cron})`);
      session.io.stdout.write(scheduleText(container, set));
    });

  schedule
    .command('show')
    .description('Show the schedule and its next three runs (local time)')
    .addOption(containerOption())
    .addOption(formatOption())
    .action(async (options: HostChoice & { container?: string; format: string }) => {
      const { client, container } = await target(options);
      const current = await (await useCases()).getSchedule(client, container);
      if (options.format === 'json') return void session.io.stdout.write(toJson({ container, schedule: current }));
      session.io.stdout.write(current ? scheduleText(container, current) : `${container}: no automatic snapshots (set them with: coi-desktop snapshot schedule set -c ${container} --every 1h)\n`);
    });

  schedule
    .command('off')
    .description('Stop automatic snapshots (the snapshots already taken stay)')
    .addOption(containerOption())
    .action(async (options: HostChoice & { container?: string }) => {
      const { client, container } = await target(options);
      await (await useCases()).scheduleOff(client, container);
      session.say(`Incus takes no more automatic snapshots of '${container}'`);
    });

  for (const command of schedule.commands) withHostOptions(command);
  return schedule;
}

/** The schedule as `schedule show` prints it. */
export function scheduleText(container: string, schedule: Schedule): string {
  const lines = [
    `${container}: ${schedule.summary} (${schedule.cron})${schedule.stopped ? ', stopped or not' : ', while running'}`,
    `  each snapshot expires after: ${schedule.expiry ?? 'never (unless a retention policy says so)'}`,
    `  names: ${schedule.coiPattern ? 'snap-YYYYMMDD-HHMMSS (the daemon\'s local time)' : schedule.pattern ? `Incus pattern ${schedule.pattern}` : 'Incus default snapN'}`,
    `  next runs: ${schedule.nextRuns.length > 0 ? schedule.nextRuns.map(localTime).join(', ') : 'unknown'}`,
  ];
  return `${lines.join('\n')}\n`;
}
