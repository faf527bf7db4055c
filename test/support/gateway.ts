// Test harness: a real gateway on 127.0.0.1 with a fresh data dir, a caller key, a reviewer token and API helpers.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { RequestDetail, RequestList, RequestStatus, RequestSummary, SessionRecord } from '../../gateway/api/types.js';
import { validateConfig } from '../../gateway/config/load.js';
import type { AirlockConfigInput } from '../../gateway/config/schema.js';
import { startGateway, type Gateway, type GatewayOptions } from '../../gateway/server.js';
import { passphraseProtector } from '../../gateway/store/keyring.js';

export interface TestGateway {
  gateway: Gateway;
  url: string;
  dataDir: string;
  callerKey: string;
  reviewerToken: string;
  api: ReviewerClient;
  stop(): Promise<void>;
}

export interface TestGatewayOptions extends Partial<Omit<GatewayOptions, 'config'>> {
  config?: AirlockConfigInput;
}

export async function startTestGateway(opts: TestGatewayOptions = {}): Promise<TestGateway> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'airlock-test-'));
  const { config, ...rest } = opts;
  const gateway = await startGateway({
    port: 0,
    host: '127.0.0.1',
    keyProtector: passphraseProtector('test passphrase'),
    logger: pino({ level: process.env.AIRLOCK_TEST_LOG ?? 'silent' }),
    hangUpGraceMs: 200,
    ...rest,
    dataDir,
    config: validateConfig(config ?? {}),
  });
  const callerKey = await gateway.issueCallerKey('test-app');
  const reviewerToken = await gateway.issueReviewerToken('alice', 'admin');
  return { gateway, url: gateway.url, dataDir, callerKey, reviewerToken, api: new ReviewerClient(gateway.url, reviewerToken), stop: () => gateway.stop() };
}

/** The reviewer API as a test (or a script) uses it. */
export class ReviewerClient {
  constructor(
    readonly url: string,
    readonly token: string,
  ) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  }

  async list(query = ''): Promise<RequestSummary[]> {
    return (await this.call<RequestList>('GET', `/requests${query ? `?${query}` : ''}`)).body.items;
  }

  async get(id: string): Promise<RequestDetail> {
    return (await this.call<RequestDetail>('GET', `/requests/${id}`)).body;
  }

  async session(id: string): Promise<SessionRecord> {
    return (await this.call<SessionRecord>('GET', `/sessions/${id}`)).body;
  }

  approve(id: string, body: { body?: unknown; note?: string; force?: boolean } = {}) {
    return this.call<RequestDetail>('POST', `/requests/${id}/approve`, body);
  }

  reject(id: string, reason: string) {
    return this.call<RequestDetail>('POST', `/requests/${id}/reject`, { reason });
  }

  /** Waits until `count` requests are pending and returns them, newest first. */
  async waitForPending(count = 1, timeoutMs = 10_000): Promise<RequestSummary[]> {
    return this.waitFor(async () => {
      const items = await this.list('status=pending');
      return items.length >= count ? items : undefined;
    }, timeoutMs, `${count} pending request(s)`);
  }

  async waitForStatus(id: string, status: RequestStatus | RequestStatus[], timeoutMs = 10_000): Promise<RequestDetail> {
    const wanted = Array.isArray(status) ? status : [status];
    return this.waitFor(async () => {
      const detail = await this.get(id);
      return wanted.includes(detail.status) ? detail : undefined;
    }, timeoutMs, `request ${id} to be ${wanted.join('/')}`);
  }

  async waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
