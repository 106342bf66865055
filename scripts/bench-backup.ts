// The `backup` section of `npm run bench`: export and import of a container holding MB megabytes of
// random data (incompressible, so the backup is about as big), over the local socket and over SSH
// (a real sshd on 127.0.0.1), beside `incus export` / `incus import` on the same container, with each
// command's peak RSS (GNU time's %M).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
  /** MiB/s of the backup file at the median. */
  rate: number;
  /** Peak RSS of the command, MiB (the largest of the runs). */
  rssMiB: number;
}

interface Setup {
  cli: string;
  image: string;
  prefix: string;
  megabytes: number;
  runs: number;
}

/** Runs `argv` under GNU time; its wall time (s) and peak RSS (MiB). */
async function measured(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ seconds: number; rssMiB: number }> {
  const started = process.hrtime.bigint();
  const { stderr } = await run('/usr/bin/time', ['-f', 'RSS_KB=%M', ...argv], { env });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const kb = Number(/RSS_KB=(\d+)/.exec(stderr)?.[1] ?? NaN);
  return { seconds, rssMiB: kb / 1024 };
}

async function row(label: string, runs: number, bytes: () => number, once: () => Promise<{ seconds: number; rssMiB: number }>, after: () => Promise<void>): Promise<BackupRow> {
  const samples: { seconds: number; rssMiB: number }[] = [];
  for (let i = 0; i < runs; i += 1) {
    samples.push(await once());
    await after();
  }
  const sorted = [...samples].sort((a, b) => a.seconds - b.seconds);
  const seconds = sorted[Math.floor(sorted.length / 2)]!.seconds;
  const result = { label, seconds, rate: bytes() / 1048576 / seconds, rssMiB: Math.max(...samples.map((sample) => sample.rssMiB)) };
  process.stderr.write(`  ${label}: ${seconds.toFixed(2)} s, ${result.rate.toFixed(1)} MiB/s, ${result.rssMiB.toFixed(0)} MiB RSS\n`);
  return result;
}

/** Export and import rows; makes and removes its own container, sshd and files. */
export async function backupRows(setup: Setup): Promise<{ exports: BackupRow[]; imports: BackupRow[]; fileMiB: number }> {
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
    const exports = [
      await row('incus export (Go client, local socket)', setup.runs, size, () => measured(['incus', 'export', name, file('peer')]), remove(file('peer'))),
      await row('coi-desktop backup export (local socket)', setup.runs, size, () => measured([process.execPath, setup.cli, 'backup', 'export', '-c', name, '-o', file('local')], env), remove(file('local'))),
      await row('coi-desktop backup export --host (SSH tunnel)', setup.runs, size, () => measured([process.execPath, setup.cli, 'backup', 'export', '-c', name, '-o', file('ssh'), '--host', 'bench'], env), remove(file('ssh'))),
    ];
    const imports = [
      await row('incus import (Go client, local socket)', setup.runs, size, () => measured(['incus', 'import', file('reference'), copy]), deleteCopy),
      await row('coi-desktop backup import (local socket)', setup.runs, size, () => measured([process.execPath, setup.cli, 'backup', 'import', file('reference'), '--name', copy], env), deleteCopy),
      await row('coi-desktop backup import --host (SSH tunnel)', setup.runs, size, () => measured([process.execPath, setup.cli, 'backup', 'import', file('reference'), '--name', copy, '--host', 'bench'], env), deleteCopy),
    ];
    return { exports, imports, fileMiB: size() / 1048576 };
  } finally {
    await deleteCopy();
    if (made) await run('incus', ['delete', '-f', name]).catch(() => undefined);
    await sshd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A markdown table: time, throughput, the ratio to the first row (the peer), peak RSS. */
export function backupTable(title: string, rows: BackupRow[]): string {
  const peer = rows[0]!.seconds;
  return [
    title,
    '',
    '| command | median s | MiB/s | time vs incus | peak RSS MiB |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.label} | ${r.seconds.toFixed(2)} | ${r.rate.toFixed(1)} | ${(r.seconds / peer).toFixed(2)}× | ${r.rssMiB.toFixed(0)} |`),
    '',
  ].join('\n');
}
