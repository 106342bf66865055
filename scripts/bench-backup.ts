// The `backup` section of `npm run bench`: export and import of a container holding MB megabytes of
// random data (incompressible, so the backup is about as big), over the local socket and over SSH
// (a real sshd on 127.0.0.1), beside `incus export` / `incus import` on the same container, with each
// command's peak RSS (GNU time's %M). The import table also has `incus import` through a tunnel the
// OpenSSH client opens to the same sshd: what the SSH transport itself costs, the floor of our SSH row. The commands of one table take turns (peer, local, SSH; peer,
// local, SSH; …) so that a load that changes during the section weighs on each of them alike, and the
// 1-minute load average is read at every run and printed with the table.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostRegistry } from '../src/main/hosts/registry';
import { knowHost, sshHost, tempHome } from '../test/helpers/hosts';
import { runProcess } from '../test/helpers/incus';
import { sshdWithKey } from '../test/helpers/sshd';

/** Runs a command with standard input closed (`incus launch` reads YAML from a non-terminal stdin); fails on a non-zero exit. */
async function run(command: string, argv: string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<{ stdout: string; stderr: string }> {
  const result = await runProcess(command, argv, options.env);
  if (result.code !== 0) throw new Error(`${command} ${argv.join(' ')} failed (${result.code}): ${result.stderr.trim()}`);
  return result;
}

export interface BackupRow {
  label: string;
  /** Median seconds. */
  seconds: number;
  /** Fastest and slowest run, seconds. */
  min: number;
  max: number;
  /** MiB/s of the backup file at the median. */
  rate: number;
  /** The median of this command's time ÷ the peer's time in the same round (1 for the peer). */
  ratio: number;
  /** Peak RSS of the command, MiB (the largest of the runs). */
  rssMiB: number;
}

export interface BackupTable {
  rows: BackupRow[];
  /** The 1-minute load average read before each run: lowest, median, highest. */
  load: { min: number; median: number; max: number };
}

interface Setup {
  cli: string;
  image: string;
  prefix: string;
  megabytes: number;
  runs: number;
}

interface Sample {
  seconds: number;
  rssMiB: number;
}

/** One command of a table: what it is called, one timed run, and what to undo after each run. */
interface Contender {
  label: string;
  once: () => Promise<Sample>;
  after: () => Promise<void>;
}

/** Runs `argv` under GNU time; its wall time (s) and peak RSS (MiB). */
async function measured(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<Sample> {
  const started = process.hrtime.bigint();
  const { stderr } = await run('/usr/bin/time', ['-f', 'RSS_KB=%M', ...argv], { env });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const kb = Number(/RSS_KB=(\d+)/.exec(stderr)?.[1] ?? NaN);
  return { seconds, rssMiB: kb / 1024 };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * Runs the contenders in turns, `runs` rounds; the first is the peer every ratio is taken against,
 * round by round (a ratio of two runs a few seconds apart says more on a shared machine than a
 * ratio of medians measured minutes apart).
 */
async function rounds(title: string, runs: number, bytes: () => number, contenders: Contender[]): Promise<BackupTable> {
  const samples = contenders.map(() => [] as Sample[]);
  const loads: number[] = [];
  for (let round = 0; round < runs; round += 1) {
    for (const [i, contender] of contenders.entries()) {
      loads.push(loadavg()[0]!);
      const sample = await contender.once();
      await contender.after();
      samples[i]!.push(sample);
      process.stderr.write(`  ${title} round ${round + 1}/${runs}, ${contender.label}: ${sample.seconds.toFixed(2)} s, ${sample.rssMiB.toFixed(0)} MiB RSS (load ${loads.at(-1)!.toFixed(1)})\n`);
    }
  }
  const rows = contenders.map((contender, i): BackupRow => {
    const times = samples[i]!.map((sample) => sample.seconds);
    const seconds = median(times);
    const ratios = times.map((time, round) => time / samples[0]![round]!.seconds);
    return { label: contender.label, seconds, min: Math.min(...times), max: Math.max(...times), rate: bytes() / 1048576 / seconds, ratio: median(ratios), rssMiB: Math.max(...samples[i]!.map((sample) => sample.rssMiB)) };
  });
  return { rows, load: { min: Math.min(...loads), median: median(loads), max: Math.max(...loads) } };
}

/** Export and import rows; makes and removes its own container, sshd and files. */
export async function backupRows(setup: Setup): Promise<{ exports: BackupTable; imports: BackupTable; fileMiB: number }> {
  const name = `${setup.prefix}backup`;
  const copy = `${setup.prefix}backup-imported`;
  const dir = mkdtempSync(join(tmpdir(), 'coi-bench-backup-'));
  const { sshd, key } = await sshdWithKey('bench-backup');
  const home = tempHome();
  knowHost(home.sshDir, sshd);
  const registry = await HostRegistry.open(home.configDir);
  await registry.add(sshHost('bench', sshd, { identityFiles: [key.file] }));
  const env = { ...process.env, HOME: home.home, COI_DESKTOP_CONFIG_DIR: home.configDir, SSH_AUTH_SOCK: '' };
  const file = (label: string) => join(dir, `${label}.tar.gz`);
  const remove = (path: string) => async () => rmSync(path, { force: true });
  const deleteCopy = async () => void (await run('incus', ['delete', '-f', copy]).catch(() => undefined));
  let made = false;
  try {
    process.stderr.write(`Creating ${name} with ${setup.megabytes} MB of random data…\n`);
    await run('incus', ['launch', setup.image, name, '-q']);
    made = true;
    await run('incus', ['exec', name, '--', 'dd', 'if=/dev/urandom', 'of=/data', 'bs=1048576', `count=${setup.megabytes}`]);
    await run('incus', ['stop', name]);
    // One export kept for the imports, and its size for every rate.
    await run('incus', ['export', name, file('reference')]);
    const size = () => statSync(file('reference')).size;
    const cli = (label: string, argv: string[], after: () => Promise<void>): Contender => ({ label, once: () => measured([process.execPath, setup.cli, ...argv], env), after });
    const exports = await rounds('export', setup.runs, size, [
      { label: 'incus export (Go client, local socket)', once: () => measured(['incus', 'export', name, file('peer')]), after: remove(file('peer')) },
      cli('coi-desktop backup export (local socket)', ['backup', 'export', '-c', name, '-o', file('local')], remove(file('local'))),
      cli('coi-desktop backup export --host (SSH tunnel)', ['backup', 'export', '-c', name, '-o', file('ssh'), '--host', 'bench'], remove(file('ssh'))),
    ]);
    const viaOpenSsh = openSshTunnel(dir, sshd, key.file, join(home.sshDir, 'known_hosts'));
    const imports = await rounds('import', setup.runs, size, [
      { label: 'incus import (Go client, local socket)', once: () => measured(['incus', 'import', file('reference'), copy]), after: deleteCopy },
      { label: 'incus import through an OpenSSH tunnel (ssh -L, same sshd)', once: () => measured(viaOpenSsh(['incus', 'import', file('reference'), copy])), after: deleteCopy },
      cli('coi-desktop backup import (local socket)', ['backup', 'import', file('reference'), '--name', copy], deleteCopy),
      cli('coi-desktop backup import --host (SSH tunnel)', ['backup', 'import', file('reference'), '--name', copy, '--host', 'bench'], deleteCopy),
    ]);
    return { exports, imports, fileMiB: size() / 1048576 };
  } finally {
    await deleteCopy();
    if (made) await run('incus', ['delete', '-f', name]).catch(() => undefined);
    await sshd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `argv` (an `incus` command) run through a tunnel the OpenSSH client opens to the same sshd: the
 * transport's floor for the SSH rows (OpenSSH's own C client, same cipher as ours, aes128-gcm, host
 * key checked). One shell command, so that its time includes the SSH handshake as ours does: the
 * master connection forks once its forward is up (`-f`, ExitOnForwardFailure), Incus's client
 * reaches the remote socket through it (INCUS_SOCKET), and `-O exit` ends it.
 */
function openSshTunnel(dir: string, sshd: { host: string; port: number }, identity: string, knownHosts: string): (argv: string[]) => string[] {
  const socket = join(dir, 'tunnel.sock');
  const control = join(dir, 'tunnel.ctl');
  const options = ['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'IdentitiesOnly=yes', '-i', identity, '-p', String(sshd.port), '-o', `ControlPath=${control}`];
  const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;
  const ssh = (extra: string[]) => ['ssh', ...options, ...extra, `root@${sshd.host}`].map(quote).join(' ');
  return (argv) => [
    'sh',
    '-c',
    [
      `rm -f ${quote(socket)}`,
      `${ssh(['-c', 'aes128-gcm@openssh.com', '-M', '-f', '-N', '-o', 'ExitOnForwardFailure=yes', '-L', `${socket}:/var/lib/incus/unix.socket`])} || exit 1`,
      `INCUS_SOCKET=${quote(socket)} ${argv.map(quote).join(' ')}; code=$?`,
      `${ssh(['-O', 'exit'])} 2>/dev/null`,
      'exit $code',
    ].join('\n'),
  ];
}

/** A markdown table: time (median, range), throughput, the ratio to the first row (the peer), peak RSS; then the load average. */
export function backupTable(title: string, table: BackupTable): string {
  const { load } = table;
  return [
    title,
    '',
    '| command | median s | min–max s | MiB/s | time vs incus (median of rounds) | peak RSS MiB |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...table.rows.map((r) => `| ${r.label} | ${r.seconds.toFixed(2)} | ${r.min.toFixed(2)}–${r.max.toFixed(2)} | ${r.rate.toFixed(1)} | ${r.ratio.toFixed(2)}× | ${r.rssMiB.toFixed(0)} |`),
    '',
    `Load average (1 min) before each run: ${load.min.toFixed(1)}–${load.max.toFixed(1)}, median ${load.median.toFixed(1)} (${cpus().length} CPUs).`,
    '',
  ].join('\n');
}
