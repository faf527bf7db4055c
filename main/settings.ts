// The desktop's own settings, in userData/settings.json: where and how the gateway runs, notification
// preferences. Never a secret: upstream keys and the reviewer token live in secrets.ts's encrypted file.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { upstreamSchema } from '../gateway/config/schema.js';
import type { DesktopSettings, DesktopSettingsUpdate } from './bridge.js';

const upstreamSetting = upstreamSchema.omit({ keyEnv: true });

const host = z
  .string()
  .trim()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9.\-:[\]]+$/, 'a host name or an IP address');

export const settingsSchema = z.object({
  /** 0: any free port (tests); the desktop default matches `airlock serve`. */
  port: z.number().int().min(0).max(65535).default(8787),
  host: host.default('127.0.0.1'),
  /** Where the store lives; default userData/data. Not editable from the console: it moves all records. */
  dataDir: z.string().min(1).optional(),
  /** Optional YAML config (policies, limits); its upstreams are joined by the ones set here. */
  configPath: z.string().min(1).optional(),
  upstreams: z.array(upstreamSetting).default([]),
  openAtLogin: z.boolean().default(false),
  notifyPending: z.boolean().default(true),
  notifyFinished: z.boolean().default(false),
  intakePaused: z.boolean().default(false),
  passphraseSet: z.boolean().default(false),
});

export type Settings = z.output<typeof settingsSchema>;
export type UpstreamSettingValue = z.output<typeof upstreamSetting>;

/** What the console may send: validated here, because a renderer's word is never trusted. */
export const settingsUpdateSchema = z.strictObject({
  port: z.number().int().min(1).max(65535).optional(),
  host: host.optional(),
  upstreams: z
    .array(upstreamSetting.extend({ key: z.string().max(4096).optional() }))
    .max(50)
    .refine((list) => new Set(list.map((u) => u.name)).size === list.length, 'upstream names must be unique')
    .optional(),
  openAtLogin: z.boolean().optional(),
  notifyPending: z.boolean().optional(),
  notifyFinished: z.boolean().optional(),
});

export type ParsedSettingsUpdate = z.output<typeof settingsUpdateSchema>;

export function parseSettingsUpdate(update: DesktopSettingsUpdate | unknown): ParsedSettingsUpdate {
  const result = settingsUpdateSchema.safeParse(update);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new Error(`settings: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
}

export class SettingsStore {
  private constructor(
    private readonly file: string,
    private value: Settings,
  ) {}

  /** Reads the file; a missing one gives the defaults, a broken one is an error naming the file. */
  static async open(file: string): Promise<SettingsStore> {
    let text: string | null = null;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text === null) return new SettingsStore(file, settingsSchema.parse({}));
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`${file} is not valid JSON; fix or delete it`);
    }
    const result = settingsSchema.safeParse(json);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new Error(`${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
    }
    return new SettingsStore(file, result.data);
  }

  get(): Settings {
    return this.value;
  }

  async save(patch: Partial<Settings>): Promise<Settings> {
    const next = settingsSchema.parse({ ...this.value, ...patch });
    await mkdir(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    await writeFile(tmp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
    await rename(tmp, this.file);
    this.value = next;
    return next;
  }
}

/** True when the change needs the gateway started again (it listens and picks upstreams at start). */
export function needsRestart(before: Settings, after: Settings): boolean {
  return (
    before.port !== after.port ||
    before.host !== after.host ||
    JSON.stringify(before.upstreams) !== JSON.stringify(after.upstreams)
  );
}

export function toDesktopSettings(
  settings: Settings,
  state: { hasKey: (upstream: string) => boolean; keyProtection: string; intakePaused: boolean; dataDir: string },
): DesktopSettings {
  return {
    port: settings.port,
    host: settings.host,
    upstreams: settings.upstreams.map((u) => ({ ...u, hasKey: state.hasKey(u.name) })),
    openAtLogin: settings.openAtLogin,
    notifyPending: settings.notifyPending,
    notifyFinished: settings.notifyFinished,
    keyProtection: state.keyProtection,
    passphraseSet: settings.passphraseSet,
    dataDir: state.dataDir,
    intakePaused: state.intakePaused,
  };
}
