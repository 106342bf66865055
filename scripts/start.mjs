// `npm start`: builds and runs the Electron app, or says clearly why it cannot here.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let binary;
try {
  binary = require('electron');
} catch (error) {
  process.stderr.write(
    `The Electron binary is not installed (${error.message.split('\n')[0]}).\n` +
      'It is skipped on machines that cannot download it (ELECTRON_SKIP_BINARY_DOWNLOAD=1).\n' +
      'Install it with `node node_modules/electron/install.js` where downloads work, or use the CLI: npx coi-desktop --help\n',
  );
  process.exit(1);
}
process.stderr.write(`Starting COI Desktop with ${binary}\n`);
const result = spawnSync('npx', ['electron-vite', 'preview'], { stdio: 'inherit' });
process.exit(result.status ?? 1);
