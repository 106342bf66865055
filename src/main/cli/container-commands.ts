import { Command, Option } from 'commander';
import { containerJson, containerTable, toJson } from './format';
import type { CliSession } from './session';

export function containerCommand(session: CliSession): Command {
  const container = new Command('container').description('List, start and stop containers');

  container
    .command('list')
    .description('List instances with their snapshot counts, COI containers first')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--coi', 'only COI containers')
    .action(async (options: { format: string; coi?: boolean }) => {
      const all = options.coi ? await session.service.listCoiContainers() : await session.service.listContainers();
      session.io.stdout.write(options.format === 'json' ? toJson(all.map(containerJson)) : containerTable(all));
    });

  container
    .command('start')
    .argument('<name>')
    .action(async (name: string) => {
      await session.service.start(name, session.wait);
      session.say(`Started container '${name}'`);
    });

  container
    .command('stop')
    .argument('<name>')
    .option('--force', 'kill at once instead of a clean shutdown')
    .option('--timeout <seconds>', 'seconds to wait for a clean shutdown', '30')
    .action(async (name: string, options: { force?: boolean; timeout: string }) => {
      await session.service.stop(name, { force: options.force, timeoutSeconds: Number(options.timeout) }, session.wait);
      session.say(`Stopped container '${name}'`);
    });

  return container;
}
