// `npm start`: builds and runs the Electron app; where Electron's binary is not installed (machines that
// cannot download it), serves the same renderer and contract in web mode and prints the address to open.
import { spawnSync } from 'node:child_process';
import { electronBinary } from './electron-binary.mjs';

const run = (command, args) => spawnSync(command, args, { stdio: 'inherit' }).status ?? 1;

if (run('npx', ['electron-vite', 'build']) !== 0) process.exit(1);
const binary = electronBinary();
if (binary) {
  process.stderr.write(`Starting COI Desktop with ${binary}\n`);
  process.exit(run('npx', ['electron-vite', 'preview', '--skipBuild']));
}
process.stderr.write(
  "Electron's binary is not installed here (ELECTRON_SKIP_BINARY_DOWNLOAD=1, or it could not be downloaded;\n" +
    "`npx install-electron` fetches it); starting web mode instead: open the address below in a browser. Ctrl-C stops it.\n",
);
process.exit(run(process.execPath, ['bin/coi-desktop.cjs', 'web', ...process.argv.slice(2)]));
