// report.html treats what was recorded as text: a prompt or answer holding markup is shown, never run or loaded; its
// replay keeps the recorded time.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportToFile } from '../../gateway/audit/export.js';
import { openSessionStore, type SessionStore } from '../../gateway/store/index.js';
import { passphraseProtector } from '../../gateway/store/keyring.js';
import { recordSession, unzip } from './support.js';

const HOSTILE = '</script><img src="https://example.invalid/x.png" onerror="window.pwned=1"><script>window.pwned=2</script>';
let dataDir: string;
let store: SessionStore;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'airlock-report-'));
  store = await openSessionStore(dataDir, passphraseProtector('test passphrase'));
  await recordSession(store, { id: 'req_hostile', prompt: `Explain this: ${HOSTILE}`, answer: `<b>bold?</b> ${HOSTILE}` });
  await recordSession(store, { id: 'req_plain' });
});
afterAll(() => store.close());

describe('report.html', () => {
  it('shows markup in prompts and answers as text, runs none of it, loads nothing', async () => {
    const file = join(dataDir, 'b.zip');
    await exportToFile(store, file, { content: 'raw', exporter: { name: 'os:test', via: 'cli', role: null } });
    const html = (await unzip(file)).get('report.html')!.toString();
    expect(html).not.toContain('</script><img');
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; script-src &#39;sha256-/);
    const page = join(dataDir, 'report.html');
    writeFileSync(page, html);

    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const tab = await browser.newPage();
      const problems: string[] = [];
      const requests: string[] = [];
      tab.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
      tab.on('pageerror', (e) => problems.push(e.message));
      tab.on('dialog', (d) => problems.push(`dialog: ${d.message()}`));
      tab.on('request', (r) => requests.push(r.url()));
      await tab.goto(pathToFileURL(page).href);
      await tab.locator('#rows tr[data-id="req_hostile"]').click();
      const detail = await tab.locator('#detail').innerText();
      expect(detail).toContain(`Explain this: ${HOSTILE}`);
      expect(detail).toContain(`<b>bold?</b> ${HOSTILE}`);
      expect(await tab.locator('#detail img, #detail b').count()).toBe(0);
      expect(await tab.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
      expect(problems).toEqual([]);
      expect(requests).toEqual([pathToFileURL(page).href]);

      // Replay at 1×: the clock runs with the recorded time (the session waits 1 s for its approval), never ahead of it.
      await tab.locator('#rows tr[data-id="req_plain"]').click();
      await tab.locator('#replay button', { hasText: 'Play' }).click();
      await tab.waitForTimeout(400);
      const [shown] = (await tab.locator('#replay .count').innerText()).split(' / ');
      const ms = shown.endsWith(' ms') ? Number.parseFloat(shown) : Number.parseFloat(shown) * 1000;
      expect(ms).toBeGreaterThan(100);
      expect(ms).toBeLessThan(1000);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
