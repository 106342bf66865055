import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron as electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { electronBinary } from '../../scripts/electron-binary.mjs';

const binary = electronBinary();
const reason = 'the Electron binary is not installed here (ELECTRON_SKIP_BINARY_DOWNLOAD=1, or it could not be downloaded: `npx install-electron` fetches it); the renderer is tested in Chromium through web mode instead';
if (!binary) console.log(`Skipping the Electron end-to-end test: ${reason}`);

describe.skipIf(!binary)('the desktop app in Electron', () => {
  it('opens an isolated window that reaches the core through window.coi', async () => {
    const app = await electron.launch({
      executablePath: binary,
      args: [join(__dirname, '..', '..', 'out', 'main', 'index.js'), '--no-sandbox'],
      env: { ...process.env, COI_DESKTOP_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'coi-e2e-')) },
    });
    try {
      const page = await app.firstWindow();
      expect(await page.title()).toBe('COI Desktop');
      expect(await page.evaluate(() => typeof (globalThis as unknown as { require?: unknown }).require)).toBe('undefined');
      const hosts = await page.evaluate(async () => (globalThis as unknown as { coi: { 'hosts.list': (input: object) => Promise<unknown> } }).coi['hosts.list']({}));
      expect(hosts).toMatchObject({ ok: true });
    } finally {
      await app.close();
    }
  });
});
