import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SCRIPT = join(__dirname, '..', '..', 'scripts', 'install-node-packages.sh');

/**
 * Runs scripts/install-node-packages.sh with a fake `npm` first on PATH: `npm ci` prints `ciOutput`
 * and exits with `ciCodes` in turn; `npm exec -- install-electron` exits with `fetchCode`. Returns
 * what the script said and the npm commands it ran, each with its ELECTRON_SKIP_BINARY_DOWNLOAD.
 */
function runSetup(fake: { ciCodes: number[]; ciOutput?: string; fetchCode?: number }, env: NodeJS.ProcessEnv = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'coi-fake-npm-'));
  const log = join(dir, 'calls');
  writeFileSync(join(dir, 'ci-output'), fake.ciOutput ?? '');
  writeFileSync(log, '');
  writeFileSync(
    join(dir, 'npm'),
    `#!/usr/bin/env bash
echo "$* skip=\${ELECTRON_SKIP_BINARY_DOWNLOAD:-}" >> ${log}
if [ "$1" = ci ]; then
  n=$(grep -c '^ci ' ${log})
  codes=(${fake.ciCodes.join(' ')})
  cat ${join(dir, 'ci-output')} >&2
  exit "\${codes[$((n - 1))]}"
fi
exit ${fake.fetchCode ?? 0}
`,
  );
  chmodSync(join(dir, 'npm'), 0o755);
  const cleanEnv = { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: undefined };
  const run = spawnSync('bash', [SCRIPT], { env: { ...cleanEnv, PATH: `${dir}:${process.env.PATH}`, ...env }, encoding: 'utf8' });
  return { code: run.status, output: run.stdout + run.stderr, calls: readFileSync(log, 'utf8').trim().split('\n') };
}

const electronDownloadFailed = `npm error path /app/node_modules/electron
npm error command sh -c node install.js
npm error RequestError: getaddrinfo ENOTFOUND github.com`;
const WEB_MODE = "'npm start' serves web mode";

describe('scripts/install-node-packages.sh (setup.sh\'s npm step), with a fake npm', () => {
  it('installs the packages, then Electron\'s binary', () => {
    const run = runSetup({ ciCodes: [0], fetchCode: 0 });
    expect(run.code).toBe(0);
    expect(run.calls).toEqual(['ci --no-audit --no-fund skip=', 'exec --no -- install-electron skip=']);
    expect(run.output).toContain("'npm start' opens the desktop app");
  });

  it('succeeds and says web mode when Electron\'s binary cannot be downloaded', () => {
    const run = runSetup({ ciCodes: [0], fetchCode: 1 });
    expect(run.code).toBe(0);
    expect(run.output).toContain("Electron's binary could not be downloaded");
    expect(run.output).toContain(WEB_MODE);
  });

  it('installs again without the binary when npm ci failed downloading it (Electron packages with an install script)', () => {
    const run = runSetup({ ciCodes: [1, 0], ciOutput: electronDownloadFailed });
    expect(run.code).toBe(0);
    expect(run.calls).toEqual(['ci --no-audit --no-fund skip=', 'ci --no-audit --no-fund skip=1']);
    expect(run.output).toContain('installing again without it (ELECTRON_SKIP_BINARY_DOWNLOAD=1)');
    expect(run.output).toContain(WEB_MODE);
  });

  it('fails, without retrying, when npm ci failed for another reason', () => {
    const run = runSetup({ ciCodes: [1, 0], ciOutput: 'npm error request to https://registry.npmjs.org/zod failed, reason: getaddrinfo ENOTFOUND registry.npmjs.org' });
    expect(run.code).toBe(1);
    expect(run.calls).toEqual(['ci --no-audit --no-fund skip=']);
    expect(run.output).toContain('not because of Electron\'s binary');
  });

  it('does not download the binary with ELECTRON_SKIP_BINARY_DOWNLOAD=1 (what CI sets), and says web mode', () => {
    const run = runSetup({ ciCodes: [0] }, { ELECTRON_SKIP_BINARY_DOWNLOAD: '1' });
    expect(run.code).toBe(0);
    expect(run.calls).toEqual(['ci --no-audit --no-fund skip=1']);
    expect(run.output).toContain(WEB_MODE);
  });

  it('keeps npm ci\'s failure when the binary was skipped already', () => {
    const run = runSetup({ ciCodes: [3, 0], ciOutput: electronDownloadFailed }, { ELECTRON_SKIP_BINARY_DOWNLOAD: '1' });
    expect(run.code).toBe(3);
    expect(run.calls).toHaveLength(1);
  });
});
