'use strict';
// V8's code cache for the built CLI on a Node without `module.enableCompileCache` (before 22.1): each
// chunk of out/main is compiled with the code V8 kept from an earlier run (functions included that
// ran then), which saves ~30 ms of CPU per command on this machine. The cache lives in the user's own
// folder (`$XDG_CACHE_HOME`, else ~/.cache: coi-desktop/v8-<node version>), keyed by each file's name,
// size and modification time, and is only read from a folder that is the user's alone (mode 0700);
// a cache V8 rejects, a missing folder or a failed write only mean compiling as usual.
const Module = require('node:module');
const { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { homedir } = require('node:os');
const { basename, dirname, join, sep } = require('node:path');
const { Script } = require('node:vm');

/** The cache folder, made if needed; undefined when it cannot be made private to this user. */
const privateFolder = () => {
  try {
    const folder = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'coi-desktop', `v8-${process.version}`);
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const stats = statSync(folder);
    if (stats.uid !== process.getuid?.()) return undefined;
    if ((stats.mode & 0o077) !== 0) chmodSync(folder, 0o700);
    return folder;
  } catch {
    return undefined;
  }
};

/** The require function a module's code gets, as Node makes it. */
const requireFor = (module) => {
  const require = (id) => module.require(id);
  require.resolve = (request, options) => Module._resolveFilename(request, module, false, options);
  require.main = process.mainModule;
  require.cache = Module._cache;
  require.extensions = Module._extensions;
  return require;
};

const DYNAMIC_PACKAGE_IMPORT = /\bawait import\("[^".][^"]*"\)/;

/** Compiles the .js files under `root` with the cache in `folder`; writes what it did not have at exit. */
const useCodeCache = (root, folder) => {
  const made = [];
  const compile = Module.prototype._compile;
  Module.prototype._compile = function (content, filename) {
    // A chunk that imports a package dynamically (ssh2, yaml…) is compiled as usual: on Node 20, a script
    // compiled from cached data loses its dynamic-import loader ("A dynamic import callback was not specified").
    if (!filename.startsWith(root + sep) || DYNAMIC_PACKAGE_IMPORT.test(content)) return compile.call(this, content, filename);
    const stats = statSync(filename);
    const file = join(folder, `${basename(filename)}-${stats.size}-${Math.trunc(stats.mtimeMs)}`);
    let cachedData;
    try {
      cachedData = readFileSync(file);
    } catch {
      cachedData = undefined;
    }
    const script = new Script(Module.wrap(content), { filename, cachedData });
    if (cachedData === undefined || script.cachedDataRejected) made.push({ script, file });
    return script.runInThisContext({ displayErrors: true }).call(this.exports, this.exports, requireFor(this), this, filename, dirname(filename));
  };
  process.once('exit', () => {
    for (const { script, file } of made) {
      try {
        const partial = `${file}.${process.pid}`;
        writeFileSync(partial, script.createCachedData(), { mode: 0o600 });
        renameSync(partial, file);
      } catch {
        // a cache not written is compiled again next time
      }
    }
  });
};

/** Turns the cache on for the built files under `root` (out/main). */
exports.enableCodeCache = (root) => {
  const folder = privateFolder();
  if (folder) useCodeCache(root, folder);
};
