// The desktop's secrets (upstream API keys, the desktop reviewer's token) in one file, sealed by the same
// protector that guards the store's data key, never in settings.json.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { KeyProtector } from '../gateway/store/keyring.js';

export interface DesktopSecretValues {
  /** By upstream name; passed to the gateway as `upstreamKeys`. */
  upstreamKeys: Record<string, string>;
  reviewerToken: string | null;
}

interface SecretsFile {
  version: 1;
  /** The protector kind that sealed it; another kind cannot open it. */
  kind: string;
  sealed: string;
}

const EMPTY: DesktopSecretValues = { upstreamKeys: {}, reviewerToken: null };

export class DesktopSecrets {
  private constructor(
    private readonly file: string,
    private protector: KeyProtector,
    private values: DesktopSecretValues,
    /** Set when the file was sealed by another protection and could not be read (its keys must be entered again). */
    readonly unreadableKind: string | null,
  ) {}

  /** Opens the file with `protector`; a wrong passphrase throws the protector's KeyUnwrapError. */
  static async open(file: string, protector: KeyProtector): Promise<DesktopSecrets> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new DesktopSecrets(file, protector, clone(EMPTY), null);
      throw err;
    }
    const stored = JSON.parse(text) as SecretsFile;
    if (stored.kind !== protector.kind) return new DesktopSecrets(file, protector, clone(EMPTY), stored.kind);
    const plain = await protector.unwrap(Buffer.from(stored.sealed, 'base64'));
    const values = JSON.parse(plain.toString('utf8')) as Partial<DesktopSecretValues>;
    return new DesktopSecrets(
      file,
      protector,
      { upstreamKeys: { ...values.upstreamKeys }, reviewerToken: values.reviewerToken ?? null },
      null,
    );
  }

  get kind(): string {
    return this.protector.kind;
  }

  get upstreamKeys(): Record<string, string> {
    return { ...this.values.upstreamKeys };
  }

  get reviewerToken(): string | null {
    return this.values.reviewerToken;
  }

  hasKey(upstream: string): boolean {
    return Boolean(this.values.upstreamKeys[upstream]);
  }

  async update(patch: Partial<DesktopSecretValues>): Promise<void> {
    this.values = { ...this.values, ...patch, upstreamKeys: { ...(patch.upstreamKeys ?? this.values.upstreamKeys) } };
    await this.save();
  }

  /** Seals the same values under another protector from now on (e.g. the OS key store after a passphrase unlock). */
  async rewrap(protector: KeyProtector): Promise<void> {
    this.protector = protector;
    await this.save();
  }

  private async save(): Promise<void> {
    const sealed = await this.protector.wrap(Buffer.from(JSON.stringify(this.values), 'utf8'));
    const stored: SecretsFile = { version: 1, kind: this.protector.kind, sealed: sealed.toString('base64') };
    await mkdir(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    await writeFile(tmp, JSON.stringify(stored), { mode: 0o600 });
    await rename(tmp, this.file);
  }
}

function clone(values: DesktopSecretValues): DesktopSecretValues {
  return { upstreamKeys: { ...values.upstreamKeys }, reviewerToken: values.reviewerToken };
}
