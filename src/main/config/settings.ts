import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from './atomic-file';

export const SettingsSchema = z.object({
  /** Electron accelerator for "quick snapshot of the last-used container"; empty turns it off. */
  quickSnapshotShortcut: z.string().max(100).default('CommandOrControl+Alt+S'),
  lastUsed: z.object({ host: z.string(), container: z.string() }).optional(),
  window: z.object({ x: z.number().int(), y: z.number().int(), width: z.number().int().min(200), height: z.number().int().min(200), maximized: z.boolean().default(false) }).optional(),
});
export type Settings = z.infer<typeof SettingsSchema>;

const FILE = 'settings.json';

/** The app's settings (`settings.json` in the config directory); defaults where the file is missing or unreadable. */
export async function readSettings(configDir: string): Promise<Settings> {
  const text = await readFile(join(configDir, FILE), 'utf8').catch(() => '{}');
  let json: unknown = {};
  try {
    json = JSON.parse(text);
  } catch {
    // an unreadable settings file falls back to the defaults; it holds nothing that cannot be set again
  }
  const parsed = SettingsSchema.safeParse(json);
  return parsed.success ? parsed.data : SettingsSchema.parse({});
}

export async function writeSettings(configDir: string, settings: Settings): Promise<void> {
  await writeFileAtomic(join(configDir, FILE), `${JSON.stringify(SettingsSchema.parse(settings), null, 2)}\n`);
}
