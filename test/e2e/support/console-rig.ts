// The rig the console's end-to-end tests share: the upstream stand-in, a real gateway serving the built
// console, Chromium, and an OpenAI SDK caller. Call useConsoleRig() inside a describe: it registers the
// hooks that start everything, close the pages a test opened (failing the test on any problem they saw),
// settle whatever a test left pending, and stop everything at the end.
import OpenAI from 'openai';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { startTestGateway, type TestGateway, type TestGatewayOptions } from '../../support/gateway.js';
import { startUpstream, type Upstream } from '../../support/upstream.js';
import { CONSOLE_DIR, ensureConsoleBuilt, launchBrowser, openConsole, type ConsolePage, type OpenOptions } from './browser.js';

/** The anonymous first load asks /me and gets 401 (how the console learns it must show the login form). */
export const EXPECTED_HTTP: OpenOptions['allowHttpErrors'] = [{ url: /\/api\/v1\/me$/, status: 401 }];

export interface ConsoleRigOptions {
  /** The gateway's config; its default (every request waits for review) when not given. */
  config?: TestGatewayOptions['config'];
  /** Settles a request a test left pending; rejects it through the API when not given. */
  settlePending?: (id: string) => Promise<unknown>;
}

export interface ConsoleRig {
  upstream: Upstream;
  tg: TestGateway;
  browser: Browser;
  /** An OpenAI SDK caller with the gateway's caller key. */
  openai: OpenAI;
  /** An OpenAI SDK caller through the gateway with `key`. */
  client(key: string): OpenAI;
  /** Opens the console (allowing the /me 401); the page is closed, and its problems checked, after the test. */
  open(options?: OpenOptions): Promise<ConsolePage>;
}

export function useConsoleRig(options: ConsoleRigOptions = {}): ConsoleRig {
  const opened: ConsolePage[] = [];
  const rig = {
    client(key: string): OpenAI {
      return new OpenAI({ apiKey: key, baseURL: `${rig.tg.url}/v1`, maxRetries: 0, timeout: 60_000 });
    },
    async open(openOptions: OpenOptions = {}): Promise<ConsolePage> {
      const c = await openConsole(rig.browser, rig.tg.url, { allowHttpErrors: EXPECTED_HTTP, ...openOptions });
      opened.push(c);
      return c;
    },
  } as ConsoleRig;
  const settle = options.settlePending ?? ((id: string) => rig.tg.api.call('POST', `/requests/${id}/reject`, { reason: 'test cleanup', force: true }));

  beforeAll(async () => {
    ensureConsoleBuilt();
    rig.upstream = await startUpstream();
    rig.tg = await startTestGateway({
      upstreamUrl: rig.upstream.url,
      upstreamKeys: { upstream: 'sk-upstream-test' },
      consoleDir: CONSOLE_DIR,
      ...(options.config && { config: options.config }),
    });
    rig.browser = await launchBrowser();
    rig.openai = rig.client(rig.tg.callerKey);
  });

  afterEach(async () => {
    const problems: string[] = [];
    for (const c of opened.splice(0)) {
      await c.close();
      problems.push(...c.problems);
    }
    // Leave nothing pending for the next test.
    if (!rig.tg) return;
    for (const s of await rig.tg.api.list('status=pending&limit=500')) await settle(s.id);
    rig.upstream.reset();
    expect(problems).toEqual([]);
  });

  afterAll(async () => {
    await rig.browser?.close();
    await rig.tg?.stop();
    await rig.upstream?.close();
  });

  return rig;
}
