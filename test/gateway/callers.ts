// The calling side of the gateway tests: an Airlock in front of the upstream stand-in, the real SDKs pointed at it,
// plain-fetch callers for the bytes on the wire, and what the stand-in answers when asked directly.
import Anthropic from '@anthropic-ai/sdk';
import { createParser } from 'eventsource-parser';
import OpenAI from 'openai';
import { expect } from 'vitest';
import type { RequestSummary } from '../../gateway/api/types.js';
import { startTestGateway, type TestGateway, type TestGatewayOptions } from '../support/gateway.js';
import { collect } from '../support/streams.js';
import { loadFixture, loadFixtureEvents, startUpstream, type Upstream } from '../support/upstream.js';

export { collect, collectUntilError } from '../support/streams.js';

export const UPSTREAM_KEY = 'sk-upstream-secret';

export interface Rig {
  upstream: Upstream;
  gw: TestGateway;
  openai(opts?: { maxRetries?: number; apiKey?: string }): OpenAI;
  anthropic(opts?: { maxRetries?: number; apiKey?: string }): Anthropic;
  close(): Promise<void>;
}

/** A stand-in upstream and a gateway forwarding to it with the upstream key. */
export async function startRig(opts: TestGatewayOptions = {}): Promise<Rig> {
  const upstream = await startUpstream();
  const gw = await startTestGateway({ upstreamUrl: upstream.url, env: { AIRLOCK_UPSTREAM_KEY: UPSTREAM_KEY }, ...opts });
  return {
    upstream,
    gw,
    openai: (o = {}) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: o.apiKey ?? gw.callerKey, maxRetries: o.maxRetries ?? 0 }),
    anthropic: (o = {}) => new Anthropic({ baseURL: gw.url, apiKey: o.apiKey ?? gw.callerKey, maxRetries: o.maxRetries ?? 0 }),
    async close() {
      await gw.stop();
      await upstream.close();
    },
  };
}

/** Runs `test` against a rig of its own, closed afterwards however the test ends. */
export async function withRig<T>(opts: TestGatewayOptions, test: (rig: Rig) => Promise<T>): Promise<T> {
  const rig = await startRig(opts);
  try {
    return await test(rig);
  } finally {
    await rig.close();
  }
}

/**
 * Waits until `count` requests are pending in the API and held in the review queue, newest first.
 * (The API lists a request as pending a moment before its hold begins; see reviewer-api.test.ts.)
 */
export async function queued(gw: TestGateway, count = 1): Promise<RequestSummary[]> {
  const items = await gw.api.waitForPending(count);
  await gw.api.waitFor(async () => (gw.gateway.pendingCount() >= count ? true : undefined), 5000, `${count} held request(s)`);
  return items;
}

/** Runs `call`, approves the one request it puts in the queue, and returns the call's result. */
export async function approved<T>(gw: TestGateway, call: () => Promise<T>): Promise<{ result: T; request: RequestSummary }> {
  const pending = call();
  pending.catch(() => undefined);
  const [request] = await queued(gw);
  const decision = await gw.api.approve(request.id);
  if (decision.status !== 200) throw new Error(`approve answered ${decision.status}: ${JSON.stringify(decision.body)}`);
  return { result: await pending, request };
}

export const SSE = { 'content-type': 'text/event-stream; charset=utf-8' };

/**
 * Replays the recorded stream `fixture` through the gateway twice, approving each call: first to `raw` (the SDK's
 * plain stream), whose events must be exactly the recorded ones, then to `helper` (an SDK stream helper), whose
 * result it returns.
 */
export async function replayedFixture<T>(rig: Rig, fixture: string, raw: () => Promise<AsyncIterable<unknown>>, helper: () => Promise<T>): Promise<T> {
  const replayFixture = () => rig.upstream.next({ kind: 'raw', status: 200, headers: SSE, body: loadFixtureEvents(fixture) });
  replayFixture();
  const { result: events } = await approved(rig.gw, async () => collect(await raw()));
  expect(events).toEqual(sdkEventsOf(loadFixture(fixture)));
  replayFixture();
  const { result } = await approved(rig.gw, helper);
  return result;
}

export interface SseMessage {
  event: string | undefined;
  data: string;
}

export function parseSse(text: string): SseMessage[] {
  const out: SseMessage[] = [];
  const parser = createParser({ onEvent: (e) => out.push({ event: e.event, data: e.data }) });
  parser.feed(text);
  return out;
}

/** The objects an SDK yields for an SSE body: every JSON data payload, minus `[DONE]` and Anthropic's pings. */
export function sdkEventsOf(text: string): unknown[] {
  return parseSse(text)
    .filter((m) => m.data !== '[DONE]' && m.event !== 'ping')
    .map((m) => JSON.parse(m.data));
}

export interface Exchange {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/** One request with plain fetch, read whole. */
export async function send(url: string, init: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal }): Promise<Exchange> {
  const res = await fetch(url, { method: init.method ?? (init.body !== undefined ? 'POST' : 'GET'), headers: init.headers, body: init.body, signal: init.signal });
  return { status: res.status, headers: Object.fromEntries(res.headers), text: await res.text() };
}

export const openaiHeaders = (key: string) => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' });
export const anthropicHeaders = (key: string) => ({ 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' });

/** What the stand-in answers to `body` when asked directly (so a test knows the exact bytes the gateway must pass on). */
export async function askStandIn(upstream: Upstream, path: string, body: unknown, family: 'openai' | 'anthropic' = 'openai'): Promise<Exchange> {
  const headers = family === 'openai' ? openaiHeaders(UPSTREAM_KEY) : anthropicHeaders(UPSTREAM_KEY);
  return send(`${upstream.url}${path}`, { headers, body: JSON.stringify(body) });
}

const NOT_REPLAYED = new Set(['content-length', 'date', 'connection', 'keep-alive', 'transfer-encoding']);

/** Queues a `raw` scenario that answers exactly `answer` again, one SSE event per write. */
export function replay(upstream: Upstream, answer: Exchange, delayMs = 0): void {
  const headers = Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !NOT_REPLAYED.has(name)));
  const body = answer.headers['content-type']?.startsWith('text/event-stream') ? answer.text.split(/(?<=\n\n)/) : answer.text;
  upstream.next({ kind: 'raw', status: answer.status, headers, body, delayMs });
}

/** Reads a fetch body as it arrives; `until` resolves once the text so far satisfies a test. */
export function reader(res: Response) {
  const decoder = new TextDecoder();
  const body = res.body!.getReader();
  let text = '';
  let done = false;
  const waiters: { test: (t: string) => boolean; resolve: () => void }[] = [];
  const pump = (async () => {
    for (;;) {
      const { value, done: end } = await body.read().catch(() => ({ value: undefined, done: true }));
      if (end || !value) break;
      text += decoder.decode(value, { stream: true });
      for (const w of [...waiters]) {
        if (!w.test(text)) continue;
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
    done = true;
    for (const w of waiters.splice(0)) w.resolve();
  })();
  return {
    get text() {
      return text;
    },
    until(test: (t: string) => boolean): Promise<string> {
      if (test(text) || done) return Promise.resolve(text);
      return new Promise<string>((resolve) => waiters.push({ test, resolve: () => resolve(text) }));
    },
    async all(): Promise<string> {
      await pump;
      return text;
    },
    async cancel(): Promise<void> {
      await body.cancel();
      await pump;
    },
  };
}

export const user = (content: string) => [{ role: 'user' as const, content }];
