import { Command } from 'commander';
import { containerJson, containerTable, toJson } from './format';
import { formatOption, withHostOptions } from './options';
import type { CliSession, HostChoice } from './session';

export function containerCommand(session: CliSession): Command {
  const container = new Command('container').description('List, start and stop containers');

  container
    .command('list')
    .description('List instances with their snapshot counts, COI containers first')
    .addOption(formatOption())
    .option('--coi', 'only COI containers')
    .action(async (options: HostChoice & { format: string; coi?: boolean }) => {
      const service = await session.service(options);
      const all = options.coi ? await service.listCoiContainers() : await service.listContainers();
      session.io.stdout.write(options.format === 'json' ? toJson(all.map(containerJson)) : containerTable(all));
    });

  container
    .command('start')
    .argument('<name>')
    .action(async (name: string, options: HostChoice) => {
      await (await session.service(options)).start(name, session.wait);
      session.say(`Started container '${name}'`);
    });

  container
    .command('stop')
    .argument('<name>')
    .option('--force', 'kill at once instead of a clean shutdown')
    .option('--timeout <seconds>', 'seconds to wait for a clean shutdown', '30')
    .action(async (name: string, options: HostChoice & { force?: boolean; timeout: string }) => {
      await (await session.service(options)).stop(name, { force: options.force, timeoutSeconds: Number(options.timeout) }, session.wait);
      session.say(`Stopped container '${name}'`);
    });

  container
    .command('mount-excludes')
    .description('Show or set the names left out when mounted folders are archived (snapshot create --include-mounts)')
    .argument('<name>')
    .option('--set <names>', "comma-separated names, e.g. 'node_modules,.venv' ('' for none)")
    .action(async (name: string, options: HostChoice & { set?: string }) => {
      const service = await session.service(options);
      const current = options.set === undefined
        ? await service.getContainer(name)
        : await service.setMountExcludes(name, options.set.split(',').filter((entry) => entry.trim() !== ''));
      session.io.stdout.write(`${(current.mountExcludes ?? []).join(',')}\n`);
    });

  for (const command of container.commands) withHostOptions(command);
  return container;
}
