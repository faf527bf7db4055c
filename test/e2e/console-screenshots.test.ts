// Screenshots of the console at 1280×800 with realistic traffic: the queue, a prompt diff, a replay
// and the dashboard. They go to docs/ when AIRLOCK_SCREENSHOTS=1 (for the README), otherwise to
// test-results/ so a plain test run leaves the repository untouched. Console errors fail it too.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestSummary } from '../../gateway/api/types.js';
import { ReviewerClient, startTestGateway, type TestGateway } from '../support/gateway.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { chromiumAvailable, CONSOLE_DIR, ensureConsoleBuilt, launchBrowser, openConsole, warnIfNoChromium, type ConsolePage } from './support/browser.js';

const OUT = fileURLToPath(new URL(process.env.AIRLOCK_SCREENSHOTS === '1' ? '../../docs/' : '../../test-results/screenshots/', import.meta.url));

warnIfNoChromium(import.meta.url);

describe.skipIf(!chromiumAvailable)('console screenshots', () => {
  let upstream: Upstream;
  let tg: TestGateway;
  let browser: Browser;
  const pages: ConsolePage[] = [];
  const callers: Record<string, OpenAI> = {};

  beforeAll(async () => {
    ensureConsoleBuilt();
    mkdirSync(OUT, { recursive: true });
    upstream = await startUpstream();
    tg = await startTestGateway({
      upstreamUrl: upstream.url,
      upstreamKeys: { upstream: 'sk-upstream-test' },
      consoleDir: CONSOLE_DIR,
      config: {
        policies: [
          { name: 'support-quick', match: { caller: 'support-agent' }, action: 'review', timeout: '50s' },
          { name: 'prod-changes', match: { prompt: '(?i)deploy|rollback|migration' }, action: 'review', timeout: '30m' },
          { name: 'review-all', action: 'review', timeout: '20m' },
        ],
      },
    });
    for (const name of ['ci-bot', 'deploy-bot', 'support-agent', 'research-notebook']) {
      callers[name] = new OpenAI({ apiKey: await tg.gateway.issueCallerKey(name), baseURL: `${tg.url}/v1`, maxRetries: 0, timeout: 120_000 });
    }
    browser = await launchBrowser();
  });

  afterAll(async () => {
    for (const p of pages) await p.close();
    const problems = pages.flatMap((p) => p.problems);
    if (tg) for (const s of await tg.api.list('status=pending&limit=500')) await decide(s.id, 'reject', 'screenshots done');
    await browser?.close();
    await tg?.stop();
    await upstream?.close();
    expect(problems).toEqual([]);
  });

  function chat(caller: string, messages: OpenAI.Chat.ChatCompletionMessageParam[], extra: Partial<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming> = {}) {
    const call = callers[caller].chat.completions.create({ model: 'gpt-4o', messages, ...extra });
    call.catch(() => undefined);
    return call;
  }

  /** Decides through the API; retries the moment between "listed as pending" and "held" (409). */
  async function decide(id: string, action: 'approve' | 'reject', reason = 'Not needed today') {
    const deadline = Date.now() + 3000;
    for (;;) {
      const res = await tg.api.call('POST', `/requests/${id}/${action}`, action === 'reject' ? { reason } : {});
      if (res.status === 200 || Date.now() > deadline) return res;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async function pendingAbout(text: string): Promise<RequestSummary> {
    return tg.api.waitFor(async () => (await tg.api.list('status=pending&limit=200')).find((r) => r.preview.includes(text)), 5000, text);
  }

  async function signIn(colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
    const c = await openConsole(browser, tg.url, { allowHttpErrors: [{ url: /\/api\/v1\/me$/, status: 401 }], colorScheme });
    pages.push(c);
    await c.page.goto(tg.url);
    await c.page.getByTestId('login-token').fill(tg.reviewerToken);
    await c.page.getByTestId('login-submit').click();
    await c.page.getByTestId('live-status').getByText('Live').waitFor();
    return c.page;
  }

  it('captures the queue, the diff, a replay and the dashboard', { timeout: 90_000 }, async () => {
    // History for the dashboard: approvals and rejections from several callers.
    const settled: Promise<unknown>[] = [];
    for (let i = 0; i < 9; i++) {
      const caller = ['ci-bot', 'deploy-bot', 'research-notebook'][i % 3];
      settled.push(chat(caller, [{ role: 'user', content: `Background task ${i}: summarise build ${4100 + i}` }]));
    }
    const seeded = await tg.api.waitForPending(9);
    for (const [i, s] of seeded.entries()) {
      await decide(s.id, i % 4 === 0 ? 'reject' : 'approve');
    }
    await Promise.allSettled(settled);

    // A conversation's first turn, approved; its second turn waits, so the diff shows only the new part.
    upstream.next({ kind: 'text', text: 'Plan: 1) snapshot the database 2) run migration 0042 3) verify row counts.' });
    const turn1: OpenAI.Chat.ChatCompletionMessageParam[] = [
      { role: 'system', content: 'You are the deployment assistant for the payments service. Never run destructive commands without a backup.' },
      { role: 'user', content: 'Plan the migration of the invoices table to the new schema.' },
    ];
    const first = chat('deploy-bot', turn1);
    await decide((await pendingAbout('Plan the migration')).id, 'approve');
    const answer = (await first).choices[0].message.content ?? '';

    // The queue: several callers, a claim by another reviewer, one about to time out.
    const bob = new ReviewerClient(tg.url, await tg.gateway.issueReviewerToken('bob', 'reviewer'));
    chat('support-agent', [
      { role: 'system', content: 'You answer customer tickets.' },
      { role: 'user', content: 'Customer #8812 asks for a refund of order 55-1920; draft a reply quoting their address.' },
    ]);
    await pendingAbout('refund');
    chat('ci-bot', [{ role: 'user', content: 'Explain why the nightly integration tests for the billing service failed on step 7.' }], { model: 'gpt-4o-mini' });
    const claimed = await pendingAbout('nightly integration');
    await bob.call('POST', `/requests/${claimed.id}/claim`);
    chat('research-notebook', [
      { role: 'system', content: 'You are a research assistant with web search.' },
      { role: 'user', content: 'Compare three vector databases for a 50M document corpus and cite benchmarks.' },
    ], { tools: [{ type: 'function', function: { name: 'web_search', description: 'Search the web', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }] });
    await pendingAbout('vector databases');
    chat('deploy-bot', [...turn1, { role: 'assistant', content: answer }, { role: 'user', content: 'Good. Now also drop the legacy_invoices table and deploy to production tonight without a review.' }]);
    const second = await pendingAbout('drop the legacy');

    const page = await signIn();
    await page.getByTestId('queue-item').nth(3).waitFor();
    await page.getByTestId('queue-item').filter({ hasText: 'vector databases' }).click();
    await page.getByTestId('message').first().waitFor();
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${OUT}console-queue.png` });

    await page.getByTestId('queue-item').filter({ hasText: 'drop the legacy' }).click();
    await page.getByTestId('tab-changes').waitFor();
    await page.getByTestId('prompt-diff').waitFor();
    await expect.poll(() => page.locator('[data-testid="request-detail"]').getAttribute('data-request-id')).toBe(second.id);
    await page.waitForTimeout(200);
    await page.screenshot({ path: `${OUT}console-diff.png` });

    // While editing: the edit against the original.
    await page.getByTestId('edit').click();
    await page.getByTestId('edit-text').nth(3).fill('Good. Now also archive the legacy_invoices table and schedule the production deploy for review tomorrow.');
    await page.waitForTimeout(200);
    await page.screenshot({ path: `${OUT}console-edit.png` });
    await page.getByTestId('cancel-edit').click();

    const dark = await signIn('dark');
    await dark.getByTestId('queue-item').filter({ hasText: 'refund' }).click();
    await dark.getByTestId('message').first().waitFor();
    await dark.waitForTimeout(300);
    await dark.screenshot({ path: `${OUT}console-queue-dark.png` });

    // A streamed answer to replay.
    upstream.next({
      kind: 'text',
      chunks: 'The nightly run failed because the billing fixtures expired on 1 November. Step 7 loads invoices dated before the retention window, and the new purge job removed them. Regenerate the fixtures with a rolling date, or pin the purge job off in CI. '.split(/(?<= )/),
      delayMs: 60,
      firstDelayMs: 400,
    });
    const stream = callers['ci-bot'].chat.completions.stream({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Why did the nightly billing run fail? Stream the answer.' }] });
    const streamed = stream.finalContent();
    streamed.catch(() => undefined);
    const live = await pendingAbout('nightly billing run');
    await page.getByTestId('queue-item').filter({ hasText: 'nightly billing run' }).click();
    await page.getByTestId('approve').click();
    await streamed;
    await tg.api.waitForStatus(live.id, 'completed');
    await page.goto(`${tg.url}/#/replay/${live.id}`);
    await page.getByTestId('replay-play').waitFor();
    await page.getByTestId('replay-speed-instant').click();
    await page.getByTestId('replay-speed-1').click();
    const duration = Number(await page.getByTestId('replay-scrubber').getAttribute('max'));
    await page.getByTestId('replay-scrubber').fill(String(Math.round(duration * 0.75)));
    await page.waitForTimeout(200);
    await page.screenshot({ path: `${OUT}console-replay.png` });

    await page.getByTestId('nav-dashboard').click();
    await page.locator('canvas').first().waitFor();
    await page.waitForTimeout(800);
    await page.screenshot({ path: `${OUT}console-dashboard.png` });

    await page.getByTestId('nav-history').click();
    await page.getByTestId('history-item').first().waitFor();
    await page.getByTestId('history-item').filter({ hasText: 'nightly billing run' }).click();
    await page.getByTestId('decision').waitFor();
    await page.waitForTimeout(200);
    await page.screenshot({ path: `${OUT}console-history.png` });
  });
});
