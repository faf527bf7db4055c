// The answer to the calling program: JSON or a stream, errors in its protocol's shape, keep-alives during a long hold.
import type { ServerResponse } from 'node:http';
import type { AirlockError } from '../errors.js';
import { KEEP_ALIVE, type FamilyCodec, type ProtocolAdapter } from '../protocols/adapter.js';
import { streamErrorFrame } from '../protocols/index.js';

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

export class CallerReply {
  private keepAlive: NodeJS.Timeout | null = null;
  private ended = false;
  /** True once this reply sent SSE headers itself, before the upstream answered. */
  earlyStream = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly adapter: ProtocolAdapter,
    private readonly codec: FamilyCodec,
    readonly requestId: string,
  ) {
    res.once('close', () => {
      this.stopKeepAlive();
    });
  }

  /** The caller is still there and has not been answered in full. */
  get open(): boolean {
    return !this.ended && !this.res.destroyed && !this.res.writableEnded;
  }

  get headersSent(): boolean {
    return this.res.headersSent;
  }

  /** Calls `listener` if the caller hangs up before the answer ends, also if it already has (while the request was being recorded). */
  onHangUp(listener: () => void): void {
    if (this.res.destroyed && !this.ended && !this.res.writableFinished) {
      // 'close' has come and gone; let the caller of onHangUp finish arming the hold first.
      queueMicrotask(listener);
      return;
    }
    this.res.once('close', () => {
      if (!this.ended && !this.res.writableFinished) listener();
    });
  }

  /** Sends 200 and SSE headers now and comments every `intervalMs`, so clients do not give up during the hold. */
  openEarly(intervalMs: number): void {
    if (this.res.headersSent || !this.open) return;
    this.earlyStream = true;
    this.res.writeHead(200, { ...SSE_HEADERS, 'x-airlock-request-id': this.requestId });
    this.res.write(KEEP_ALIVE);
    this.keepAlive = setInterval(() => {
      if (this.open) this.res.write(KEEP_ALIVE);
    }, intervalMs);
    this.keepAlive.unref();
  }

  stopKeepAlive(): void {
    if (this.keepAlive) clearInterval(this.keepAlive);
    this.keepAlive = null;
  }

  start(status: number, headers: Record<string, string>): void {
    this.stopKeepAlive();
    if (this.res.headersSent) return;
    this.res.writeHead(status, { ...headers, 'x-airlock-request-id': this.requestId });
  }

  write(chunk: Buffer | string): boolean {
    if (!this.open) return false;
    return this.res.write(chunk);
  }

  /** Resolves when the caller's socket can take more (backpressure). */
  drained(): Promise<void> {
    if (!this.open || !this.res.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.once('drain', done);
      this.res.once('close', done);
    });
  }

  end(chunk?: Buffer | string): void {
    this.stopKeepAlive();
    if (!this.open) {
      this.ended = true;
      return;
    }
    this.ended = true;
    if (chunk !== undefined) this.res.end(chunk);
    else this.res.end();
  }

  /** The error in the caller's protocol: a JSON error body, or an in-stream error once a stream has begun. */
  fail(err: AirlockError): void {
    this.stopKeepAlive();
    if (!this.open) {
      this.ended = true;
      return;
    }
    if (this.res.headersSent) {
      this.end(streamErrorFrame(this.adapter, err, this.requestId));
      return;
    }
    const body = JSON.stringify(this.codec.errorBody(err, this.requestId));
    this.res.writeHead(err.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'x-airlock-request-id': this.requestId,
      ...err.headers(),
    });
    this.end(body);
  }
}
