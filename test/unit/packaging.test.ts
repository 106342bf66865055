import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
/** electron-builder's own YAML reader (js-yaml, untyped here). */
const { load } = createRequire(__filename)('js-yaml') as { load: (text: string) => unknown };
const config = load(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as { electronFuses?: Record<string, boolean> };
/** The fuse names electron-builder knows (its own config schema), so a misspelt fuse cannot pass unnoticed. */
const schema = JSON.parse(readFileSync(join(root, 'node_modules', 'app-builder-lib', 'scheme.json'), 'utf8')) as { definitions: { FuseOptionsV1: { properties: Record<string, unknown> } } };

describe('the packaged app (electron-builder.yml)', () => {
  it('flips the Electron fuses that close the ways around the app: run as Node, NODE_OPTIONS, --inspect, unchecked code', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      enableCookieEncryption: true,
    });
    expect(Object.keys(config.electronFuses ?? {}).filter((fuse) => !(fuse in schema.definitions.FuseOptionsV1.properties))).toEqual([]);
  });
});
