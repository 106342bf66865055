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
// V8's compile cache: Node's own where the runtime has it (>= 22.1), else compile-cache.cjs; later
// runs skip compiling the bundle.
const { enableCompileCache } = require('node:module');
if (enableCompileCache) enableCompileCache();
else require('./compile-cache.cjs').enableCodeCache(join(__dirname, '..', 'out', 'main'));
require(cli);
