import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { IncusHostSchema, SshHostSchema, type IncusHostConfig, type SshHostConfig } from '../../shared/hosts';
import type { HostOverview, HostTestResult } from '../../shared/model';
import { AppError, parseInput } from '../errors';
import { importSshConfig, parseEndpoint } from '../hosts/ssh-config-import';
import { hostListText, hostOverviewText, hostStatusText, hostTarget, toJson } from './format';
import { UsageError } from './io';
import { certFingerprintOf, formatOption, trustOption } from './options';
import type { CliSession } from './session';

const collect = (value: string, previous: string[]) => [...previous, value];

interface AddOptions {
  ssh?: string;
  url?: string;
  token?: string;
  identity: string[];
  jump?: string;
  socket?: string;
  project?: string;
  test: boolean;
  trustFingerprint?: string;
}

export function hostCommand(session: CliSession): Command {
  const host = new Command('host').description('Manage the Incus hosts COI Desktop talks to (local, or over SSH)');
  const out = (text: string) => session.io.stdout.write(text);

  host
    .command('add')
    .description('Add a remote host reached over SSH, or an Incus server over HTTPS; the connection is tested before it is saved')
    .argument('<name>')
    .option('--ssh <user@host[:port]>', 'the SSH login')
    .option('--url <https://host[:port]>', 'an Incus server over HTTPS (as `incus remote add` takes it)')
    .option('--token <token>', 'with --url: a trust token from the server (incus config trust add NAME), to add this app\'s certificate to its trust store')
    .option('-i, --identity <file>', 'private key file (repeatable; default: the agent, then ~/.ssh/id_*)', collect, [])
    .option('-J, --jump <user@host[:port]>', 'one jump host (ProxyJump)')
    .option('--socket <path>', 'the Incus socket there (default: /var/lib/incus/unix.socket, else unix.socket.user)')
    .option('--project <name>', 'Incus project')
    .option('--no-test', 'save without connecting first')
    .addOption(trustOption())
    .action(async (name: string, options: AddOptions) => {
      if (Boolean(options.ssh) === Boolean(options.url)) throw new AppError('invalid-input', 'give either --ssh USER@HOST or --url https://HOST:8443');
      if (options.token && !options.url) throw new AppError('invalid-input', '--token goes with --url (an Incus server over HTTPS)');
      const config = options.url ? incusHost(name, options) : sshHost(name, options, session.io.env.USER ?? 'root');
      const result = await (await session.core(options)).addHost(config, options.test || options.token !== undefined, options.token);
      if (result.error) throw new AppError(result.error.code, `${result.error.message}\nThe host was not saved${options.token ? '' : ' (use --no-test to save it anyway)'}.`);
      if (options.test || options.token) session.say(hostStatusText(result));
      session.say(`Added host '${name}' (${hostTarget(config)})`);
    });

  host
    .command('import-ssh-config')
    .description('Add hosts from ~/.ssh/config (HostName, User, Port, IdentityFile, ProxyJump); all of them when none is named')
    .argument('[aliases...]')
    .option('--config <file>', 'the ssh config file', '')
    .action(async (aliases: string[], options: { config: string }) => {
      const file = options.config || join(session.home, '.ssh', 'config');
      const imported = importSshConfig(await readFile(file, 'utf8'), session.home, aliases);
      const outcomes = await (await session.core()).importHosts(imported);
      for (const { alias, added, reason } of outcomes) {
        const config = imported.find((candidate) => candidate.alias === alias)?.host;
        if (!added || !config) session.say(`Skipped '${alias}': ${reason}`);
        else session.say(`Added host '${config.name}' (${config.user}@${config.host}:${config.port}${config.jump ? ` via ${config.jump.host}` : ''})`);
      }
    });

  host
    .command('import-incus-remotes')
    .description("Add the incus client's HTTPS remotes (config.yml, client.crt/key and servercerts/ of $INCUS_CONF, else ~/.config/incus); all of them when none is named")
    .argument('[remotes...]')
    .option('--config-dir <dir>', "the incus client's configuration directory")
    .action(async (names: string[], options: { configDir?: string }) => {
      const core = await session.core();
      const { dir, remotes } = await core.incusRemotes(names, options.configDir);
      if (!dir) throw new AppError('not-found', 'no incus client configuration found (config.yml in $INCUS_CONF or ~/.config/incus); give --config-dir');
      session.say(`Reading the incus client's remotes in ${dir}`);
      for (const { alias, added, reason } of await core.importHosts(remotes)) {
        const config = remotes.find((candidate) => candidate.alias === alias)?.host;
        if (!added || !config) session.say(`Skipped '${alias}': ${reason}`);
        else session.say(`Added host '${config.name}' (${config.url}${config.serverCertFingerprint ? `, certificate ${config.serverCertFingerprint}` : ', certificate not pinned yet: trusted on first connection'})`);
      }
    });

  host
    .command('list')
    .description('List the configured hosts')
    .addOption(formatOption())
    .action(async (options: { format: string }) => {
      const hosts = (await session.core()).registry.list();
      out(options.format === 'json' ? toJson(hosts) : hostListText(hosts));
    });

  host
    .command('remove')
    .description('Remove a host (nothing on the host is touched)')
    .argument('<name>')
    .action(async (name: string) => {
      await (await session.core()).registry.remove(name);
      session.say(`Removed host '${name}'`);
    });

  host
    .command('test')
    .description('Connect to a host and say how it is')
    .argument('<name>')
    .addOption(formatOption())
    .addOption(trustOption())
    .action(async (name: string, options: { format: string; trustFingerprint?: string }) => {
      const result: HostTestResult = await (await session.core(options)).pool.test(name);
      if (options.format === 'json') out(toJson(result));
      else if (!result.error) out(`${hostStatusText(result)}\n`);
      if (result.error) throw new AppError(result.error.code, result.error.message);
    });

  host
    .command('forget-key')
    .description("Forget the old SSH key of a host whose key has changed (from COI Desktop's own known_hosts)")
    .argument('<name>')
    .option('--fingerprint <fingerprint>', 'the NEW key\'s SHA256:… fingerprint, as you compared it with the host\'s real key')
    .action(async (name: string, options: { fingerprint?: string }) => {
      const core = await session.core();
      if (!options.fingerprint) {
        const { status } = await core.pool.test(name);
        if (status.state !== 'host-key-changed') throw new AppError('invalid-input', `the host key of ${name} has not changed (${status.state}); nothing to forget`);
        throw new AppError(
          'confirmation-required',
          `${status.reason}\nCompare ${status.fingerprint} with the host's real key (on the host: for f in /etc/ssh/ssh_host_*_key.pub; do ssh-keygen -lf $f; done), then run: coi-desktop host forget-key ${name} --fingerprint ${status.fingerprint}`,
        );
      }
      const forgotten = await core.forgetHostKey(name, options.fingerprint);
      session.say(`Forgot the old key of '${name}' (${forgotten.removed} line${forgotten.removed === 1 ? '' : 's'} removed from ${forgotten.file}).`);
      session.say(`Trust its new key and connect: coi-desktop host test ${name} --trust-fingerprint ${options.fingerprint}`);
    });

  return host;
}

export function overviewCommand(session: CliSession): Command {
  return new Command('overview')
    .description("Every host's status, containers and snapshots; each host is shown as soon as it answers")
    .addOption(formatOption())
    .action(async (options: { format: string }) => {
      const { pool } = await session.core();
      const show = options.format === 'json' ? undefined : (result: HostOverview) => session.io.stdout.write(hostOverviewText(result));
      const all = await pool.overview(show);
      if (options.format === 'json') session.io.stdout.write(toJson(all));
    });
}

/** An Incus server over HTTPS; `--trust-fingerprint` pins its certificate from the start. */
function incusHost(name: string, options: AddOptions): IncusHostConfig {
  const pin = options.trustFingerprint ? certFingerprintOf(options.trustFingerprint) : undefined;
  if (options.trustFingerprint && !pin) {
    throw new UsageError(`--trust-fingerprint '${options.trustFingerprint}' is not a server certificate's fingerprint: that is 64 hex digits (SHA-256, colons allowed), as 'incus info' on the server or the Add host dialog shows it`);
  }
  return parseInput(IncusHostSchema, { kind: 'incus', name, url: options.url, ...(pin ? { serverCertFingerprint: pin } : {}), ...(options.project ? { project: options.project } : {}) }, `host '${name}'`);
}

function sshHost(name: string, options: AddOptions, defaultUser: string): SshHostConfig {
  const login = parseEndpoint(options.ssh ?? '', defaultUser);
  return parseInput(SshHostSchema, {
    kind: 'ssh',
    name,
    ...login,
    identityFiles: options.identity,
    ...(options.jump ? { jump: parseEndpoint(options.jump, defaultUser) } : {}),
    ...(options.socket ? { socketPath: options.socket } : {}),
    ...(options.project ? { project: options.project } : {}),
    ...(options.trustFingerprint ? { hostKeyFingerprint: options.trustFingerprint } : {}),
  }, `host '${name}'`);
}

