#!/usr/bin/env node
'use strict';
// The `coi-desktop` command: the built CLI (run `npm run build` first).
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const cli = join(__dirname, '..', 'out', 'main', 'cli.js');
if (!existsSync(cli)) {
  process.stderr.write('coi-desktop is not built yet: run `npm run build` in ' + join(__dirname, '..') + '\n');
  process.exit(1);
}
// A one-shot command: V8's background tier-up of undici's WebAssembly HTTP parser would only delay
// the exit (by ~100 ms, measured with scripts/bench.mjs); the baseline compiler is plenty here.
require('node:v8').setFlagsFromString('--liftoff-only');
// V8's compile cache where Node has it (>= 22.1): later runs skip compiling the bundle. (Node 20 has
// none: a code cache made with node:vm there loses import() — "A dynamic import callback was not
// specified" — in the chunks that load ssh2, yaml, tar-stream… so none is used.)
const { enableCompileCache } = require('node:module');
if (enableCompileCache) enableCompileCache();
require(cli);
