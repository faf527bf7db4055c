// The console's Export screen end to end: Debian's Chromium, a real gateway serving the built console with a few
// decided requests, an admin who exports a bundle, and the offline verifier on the file the browser saved. Fails on a
// console error, a page error, a CSP violation or a dialog, like the other console tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SigningKeyInfo } from '../../gateway/audit/api-types.js';
import { parsePublicKey } from '../../gateway/audit/signing-key.js';
import { formatVerdict, isValid } from '../../gateway/audit/verdict.js';
import { verifyBundle } from '../../gateway/audit/verify-bundle.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { chromiumAvailable, CONSOLE_DIR, ensureConsoleBuilt, launchBrowser, openConsole, warnIfNoChromium, type ConsolePage } from './support/browser.js';

// To docs/ (for the README) with AIRLOCK_SCREENSHOTS=1; otherwise to test-results/, so a test run leaves the tree clean.
const SCREENSHOT = fileURLToPath(new URL(process.env.AIRLOCK_SCREENSHOTS === '1' ? '../../docs/console-export.png' : '../../test-results/screenshots/console-export.png', import.meta.url));

warnIfNoChromium(import.meta.url);

describe.skipIf(!chromiumAvailable)('console export in Chromium', () => {
  let upstream: Upstream;
  let tg: TestGateway;
  let browser: Browser;
  let c: ConsolePage | undefined;
  let dir: string;

  beforeAll(async () => {
    ensureConsoleBuilt();
    dir = mkdtempSync(join(tmpdir(), 'airlock-export-e2e-'));
    upstream = await startUpstream();
    tg = await startTestGateway({ upstreamUrl: upstream.url, upstreamKeys: { upstream: 'sk-upstream-test' }, consoleDir: CONSOLE_DIR });
    browser = await launchBrowser();

    // Two answered requests and one rejected, decided through the API as another console would.
    const openai = new OpenAI({ apiKey: tg.callerKey, baseURL: `${tg.url}/v1`, maxRetries: 0, timeout: 60_000 });
    const asks = ['Summarise the quarterly incident report', 'Draft the release notes for 2.4', 'Delete the production database'].map((text) => {
      const call = openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: text }] });
      call.catch(() => undefined);
      return { text, call };
    });
    for (const [i, { text }] of asks.entries()) {
      const request = await tg.api.waitFor(async () => (await tg.api.list('status=pending&limit=50')).find((r) => r.preview.includes(text)), 5000, `a request about "${text}"`);
      const action = i === 2 ? 'reject' : 'approve';
      const deadline = Date.now() + 3000;
      for (;;) {
        const res = await tg.api.call('POST', `/requests/${request.id}/${action}`, action === 'reject' ? { reason: 'Never in production', force: true } : { force: true });
        if (res.status === 200 || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    await Promise.allSettled(asks.map((a) => a.call));
  });

  afterAll(async () => {
    await c?.close();
    await browser?.close();
    await tg?.stop();
    await upstream?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('exports a bundle an admin downloads and the verifier accepts', async () => {
    c = await openConsole(browser, tg.url, { allowHttpErrors: [{ url: /\/api\/v1\/me$/, status: 401 }] });
    const { page } = c;
    await page.goto(tg.url);
    await page.getByTestId('login-token').fill(tg.reviewerToken);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('live-status').getByText('Live').waitFor();

    await page.getByTestId('nav-export').click();
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/export');
    await page.getByTestId('export-estimate').getByText('3 sessions').waitFor();
    // The estimate follows the filters.
    await page.getByRole('checkbox', { name: 'rejected' }).check();
    await page.getByTestId('export-estimate').getByText('1 session').waitFor();
    await page.getByRole('checkbox', { name: 'rejected' }).uncheck();
    await page.getByTestId('export-estimate').getByText('3 sessions').waitFor();

    const key = (await (await fetch(`${tg.url}/api/v1/key`, { headers: { authorization: `Bearer ${tg.reviewerToken}` } })).json()) as SigningKeyInfo;
    await page.getByTestId('export-fingerprint').getByText(key.fingerprint).waitFor();
    expect(await page.getByTestId('export-verify-command').textContent()).toBe('airlock verify FILE --key public-key.pem');
    await page.getByRole('radio', { name: /Raw/ }).check();
    await page.getByTestId('export-raw-warning').waitFor();
    await page.getByRole('radio', { name: /Masked/ }).check();

    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export bundle' }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toMatch(/^airlock-audit-[\w-]+\.zip$/);
    const file = join(dir, download.suggestedFilename());
    await download.saveAs(file);

    const bar = page.getByRole('progressbar', { name: 'Export progress' });
    await expect.poll(() => bar.getAttribute('aria-valuenow')).toBe('100');
    await expect.poll(() => bar.locator('span').evaluate((el) => el.getBoundingClientRect().width / el.parentElement!.getBoundingClientRect().width)).toBeGreaterThan(0.98);
    await page.getByTestId('export-status').getByText(`Saved ${download.suggestedFilename()}`).waitFor();
    expect(await page.getByTestId('export-status').textContent()).toContain('3 sessions');
    expect(await page.getByTestId('export-verify-command').textContent()).toBe(`airlock verify ${download.suggestedFilename()} --key public-key.pem`);

    const verdict = await verifyBundle(file, { key: parsePublicKey(key.publicKey) });
    expect(isValid(verdict), formatVerdict(verdict)).toBe(true);
    expect(formatVerdict(verdict)).toMatch(/3 sessions/);

    await page.screenshot({ path: SCREENSHOT });
    await c.close();
    const problems = c.problems;
    c = undefined;
    expect(problems).toEqual([]);
  });
});
