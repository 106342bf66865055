import { join } from 'node:path';
import { Command } from 'commander';
import { CoiCore } from '../app/core';
import { UsageError } from './io';
import type { CliSession } from './session';
import { startWebServer } from '../web/server';

/** `coi-desktop web`: the app in a browser tab, served on loopback until Ctrl-C. */
export function webCommand(session: CliSession): Command {
  return new Command('web')
    .description('Serve the COI Desktop UI to a browser on 127.0.0.1 (guarded by a one-time token)')
    .option('--port <port>', 'port (default: any free one)', '0')
    .option('--bind <address>', 'loopback address to listen on', '127.0.0.1')
    .option('--host-config-dir <dir>', 'where the host registry lives (default: the app config directory)')
    .action(async (options: { port: string; bind: string; hostConfigDir?: string }) => {
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port ${options.port} is not a port number`);
      // The window asks for host keys and passphrases: this core is not the session's terminal-bound one.
      const core = await CoiCore.open({ configDir: options.hostConfigDir ?? session.configDir, home: session.home, env: session.io.env, platform: process.platform });
      try {
        const server = await startWebServer({ handlers: core.handlers, events: core.events, backups: core.transfers, rendererDir: join(__dirname, '..', 'renderer'), port, bind: options.bind });
        session.io.stdout.write(`COI Desktop web UI: ${server.url}#token=${server.token}\n`);
        await new Promise<void>((resolve) => session.io.signal?.addEventListener('abort', () => resolve(), { once: true }));
        await server.close();
      } finally {
        await core.close();
      }
    });
}
