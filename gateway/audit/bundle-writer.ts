// The exporter's two streams: a zip entry hashed as it is written, and a sealed spool of the session lines.
import { createCipheriv, createDecipheriv, createHash, randomBytes, type Cipher } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ZipFile } from 'yazl';

/** One zip entry written as a stream, hashed on the way in, in 64 KiB writes (a write per line costs more than the line). */
export class Entry {
  private readonly stream = new PassThrough();
  private readonly hash = createHash('sha256');
  private bytes = 0;
  private pending: string[] = [];
  private pendingLength = 0;

  constructor(
    zip: ZipFile,
    name: string,
    mtime: Date,
    private readonly signal: AbortSignal,
  ) {
    zip.addReadStream(this.stream, name, { mtime, mode: 0o100644 });
  }

  async write(text: string): Promise<void> {
    this.pending.push(text);
    this.pendingLength += text.length;
    if (this.pendingLength >= 65_536) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const buf = Buffer.from(this.pending.join(''));
    this.pending = [];
    this.pendingLength = 0;
    this.hash.update(buf);
    this.bytes += buf.length;
    // The signal: the output failed (a client that went away), so no drain will ever come.
    if (!this.stream.write(buf)) await once(this.stream, 'drain', { signal: this.signal });
  }

  async end(): Promise<{ sha256: string; bytes: number }> {
    await this.flush();
    this.stream.end();
    return { sha256: this.hash.digest('hex'), bytes: this.bytes };
  }
}

/**
 * The session lines kept for a second read (report.html), on disk but sealed with a key that only lives in memory,
 * so an export (or an encrypted one) never leaves plaintext behind.
 */
export class SealedSpool {
  private readonly key = randomBytes(32);
  private readonly iv = randomBytes(16);
  private readonly cipher: Cipher;
  /** The cipher into the file; its errors surface in close(), and a dispose() mid-way is not one. */
  private readonly written: Promise<void>;

  private constructor(private readonly dir: string) {
    this.cipher = createCipheriv('aes-256-ctr', this.key, this.iv);
    this.written = pipeline(this.cipher, createWriteStream(join(dir, 'sessions.sealed'), { mode: 0o600 }));
    this.written.catch(() => undefined);
  }

  static async create(): Promise<SealedSpool> {
    return new SealedSpool(await mkdtemp(join(tmpdir(), 'airlock-export-')));
  }

  private pending: string[] = [];
  private pendingLength = 0;

  async write(text: string): Promise<void> {
    this.pending.push(text);
    this.pendingLength += text.length;
    if (this.pendingLength >= 65_536) await this.flush();
  }

  private async flush(): Promise<void> {
    const chunk = this.pending.join('');
    this.pending = [];
    this.pendingLength = 0;
    if (chunk && !this.cipher.write(chunk)) await once(this.cipher, 'drain');
  }

  async close(): Promise<void> {
    await this.flush();
    this.cipher.end();
    await this.written;
  }

  async *lines(): AsyncGenerator<string> {
    const file = createReadStream(join(this.dir, 'sessions.sealed'));
    const plain = file.pipe(createDecipheriv('aes-256-ctr', this.key, this.iv));
    try {
      yield* createInterface({ input: plain, crlfDelay: Infinity });
    } finally {
      file.destroy(); // also when the export stops half-way, so the spool can be removed
      plain.destroy();
    }
  }

  async dispose(): Promise<void> {
    this.cipher.destroy();
    await this.written.catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }
}
