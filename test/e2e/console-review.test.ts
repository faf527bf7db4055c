// What a new reviewer met in the console, in Chromium against a real gateway: direction controls shown as
// markers (never applied) while the exact text is what gets forwarded; "alice is editing" for the others;
// Esc and j/k never dropping edits unasked; a shredded session explained; the empty queue saying how to
// start. Screenshots of the markers and the shredded state go to test-results/screenshots/ (or
// AIRLOCK_SHOTS_DIR). Every test fails on a console error, a page error, a CSP violation or a dialog.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { shredSession } from '../../gateway/audit/retention.js';
import { openSessionStore } from '../../gateway/store/index.js';
import { passphraseProtector } from '../../gateway/store/keyring.js';
import { chromiumAvailable, warnIfNoChromium } from './support/browser.js';
import { useConsoleRig } from './support/console-rig.js';

const SHOTS = process.env.AIRLOCK_SHOTS_DIR ?? fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));
const CONTROL = /[\u200E\u200F\u061C\u202A-\u202E\u2066-\u2069]/;

warnIfNoChromium(import.meta.url);

describe.skipIf(!chromiumAvailable)('reviewing in the console: direction controls, editing, shredded sessions', () => {
  beforeAll(() => {
    mkdirSync(SHOTS, { recursive: true });
  });
  const rig = useConsoleRig();

  function ask(text: string) {
    const call = rig.openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'system', content: 'You are a careful assistant.' }, { role: 'user', content: text }] });
    call.catch(() => undefined);
    return call;
  }

  async function signIn(token = rig.tg.reviewerToken): Promise<Page> {
    const c = await rig.open();
    await c.page.goto(rig.tg.url);
    await c.page.getByTestId('login-token').fill(token);
    await c.page.getByTestId('login-submit').click();
    await c.page.getByTestId('live-status').getByText('Live').waitFor();
    return c.page;
  }

  const row = (page: Page, text: string) => page.getByTestId('queue-item').filter({ hasText: text });

  async function openRow(page: Page, text: string) {
    await row(page, text).click();
    await page.getByTestId('detail-title').waitFor();
    await expect.poll(() => page.getByTestId('approve').isEnabled()).toBe(true);
  }

  /** The page's visible text holds no direction control as a character. */
  const pageText = (page: Page) => page.evaluate(() => document.body.innerText);

  it('with nothing waiting, says how to send a first request; Settings names the notification permission in words', async () => {
    const page = await signIn();
    await page.getByTestId('queue-empty').waitFor();
    const hint = page.getByTestId('first-request');
    expect(await hint.getByTestId('base-url-openai').textContent()).toBe(`baseURL: ${rig.tg.url}/v1`);
    expect(await hint.textContent()).toContain('airlock callers add <name>');
    expect(await page.getByTestId('request-detail').textContent()).not.toContain('press j');
    await page.screenshot({ path: `${SHOTS}console-first-request.png` });
    await page.getByTestId('nav-settings').click();
    expect(['not asked yet', 'allowed', 'blocked']).toContain(await page.getByTestId('notification-permission').textContent());
  });

  it('shows direction controls as markers in the queue, the transcript, the diff, history and replay, and forwards the exact text', async () => {
    const page = await signIn();
    const spoof = 'Bidi check: abc \u202Eevil\u202C done';
    rig.upstream.next({ kind: 'text', chunks: ['Answer: ', 'abc \u202Eevil', '\u202C done'], delayMs: 20 });
    const call = ask(spoof);
    await row(page, 'Bidi check').waitFor();
    expect(await row(page, 'Bidi check').getByTestId('queue-preview').innerText()).toBe('Bidi check: abc ⟨RLO⟩evil⟨PDF⟩ done');

    await openRow(page, 'Bidi check');
    const message = page.getByTestId('message').nth(1);
    await message.getByText('evil').waitFor();
    expect(await message.locator('pre').innerText()).toBe('Bidi check: abc ⟨RLO⟩evil⟨PDF⟩ done');
    expect(await message.getByTestId('direction-control').first().getAttribute('title')).toMatch(/^U\+202E RIGHT-TO-LEFT OVERRIDE: /);
    // Laid out left to right: with the override applied, the "l" of "evil" would sit left of its "e".
    const order = await message.locator('pre').evaluate((pre) => {
      const node = [...pre.childNodes].find((n) => n.nodeType === Node.TEXT_NODE && n.textContent === 'evil')!;
      const at = (i: number) => {
        const r = document.createRange();
        r.setStart(node, i);
        r.setEnd(node, i + 1);
        return r.getBoundingClientRect().left;
      };
      return [at(0), at(1), at(2), at(3)];
    });
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(await pageText(page)).not.toMatch(CONTROL);
    await page.screenshot({ path: `${SHOTS}console-bidi-markers.png` });

    // The editor keeps the raw text (and warns); the diff shows the markers; approving forwards the exact characters.
    await page.keyboard.press('e');
    const box = page.getByTestId('edit-text').nth(1);
    expect(await box.inputValue()).toBe(spoof);
    await page.getByTestId('direction-warning').getByText('RLO ×1, PDF ×1').waitFor();
    await box.fill(`${spoof}, please`);
    await page.locator('[data-diff="added"]').getByText('please').waitFor();
    await page.screenshot({ path: `${SHOTS}console-bidi-edit.png` });
    await page.getByTestId('approve').click();
    await call;
    const forwarded = rig.upstream.requests.at(-1)!.body as { messages: { content: string }[] };
    expect(forwarded.messages[1].content).toBe(`${spoof}, please`);

    const done = await rig.tg.api.waitFor(async () => (await rig.tg.api.list('limit=50')).find((r) => r.preview.includes('Bidi check')), 5000, 'the bidi request');
    await rig.tg.api.waitForStatus(done.id, 'completed');
    await page.getByTestId('nav-history').click();
    const item = page.getByTestId('history-item').filter({ hasText: 'Bidi check' });
    expect(await item.getByTestId('history-preview').innerText()).toBe('Bidi check: abc ⟨RLO⟩evil⟨PDF⟩ done');
    await item.click();
    await page.getByTestId('tab-answer').click();
    expect(await page.getByTestId('answer').locator('pre').innerText()).toBe('Answer: abc ⟨RLO⟩evil⟨PDF⟩ done');
    await page.getByTestId('tab-forwarded').click();
    await page.locator('[data-diff="added"]').getByText('please').waitFor();
    expect(await pageText(page)).not.toMatch(CONTROL);

    await page.getByTestId('open-replay').click();
    await page.getByTestId('replay-speed-instant').click();
    expect(await page.getByTestId('replay-output').innerText()).toBe('Answer: abc ⟨RLO⟩evil⟨PDF⟩ done');
    expect(await pageText(page)).not.toMatch(CONTROL);
  });

  it('tells the other reviewers "alice is editing" while her editor is open, and Esc never drops edits unasked', async () => {
    const bob = await signIn(await rig.tg.gateway.issueReviewerToken('bob', 'reviewer'));
    const page = await signIn();
    const call = ask('Editing check: rotate the staging keys');
    await openRow(page, 'Editing check');
    await row(bob, 'Editing check').getByTestId('claim-badge').getByText('alice is reviewing').waitFor();

    await page.keyboard.press('e');
    await page.getByTestId('edit-panel').waitFor();
    await row(bob, 'Editing check').getByTestId('claim-badge').getByText('alice is editing').waitFor();
    await openRow(bob, 'Editing check');
    await bob.getByTestId('request-detail').getByTestId('claim-badge').getByText('alice is editing').waitFor();

    const box = page.getByTestId('edit-text').nth(1);
    await box.fill('Editing check: rotate the staging keys, not production');
    await box.press('Escape');
    await page.getByTestId('discard-edits').waitFor();
    await page.getByTestId('keep-editing').click();
    await page.getByTestId('discard-edits').waitFor({ state: 'detached' });
    expect(await box.inputValue()).toBe('Editing check: rotate the staging keys, not production');

    await box.press('Escape');
    await page.getByTestId('confirm-discard').click();
    await page.getByTestId('edit-panel').waitFor({ state: 'detached' });
    await row(bob, 'Editing check').getByTestId('claim-badge').getByText('alice is reviewing').waitFor();

    // Without edits, one Esc leaves the editor at once.
    await page.keyboard.press('e');
    await page.getByTestId('edit-panel').waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('edit-panel').waitFor({ state: 'detached' });
    await page.keyboard.press('a');
    await call;
  });

  it('j/k while editing: letters inside the text box, and a question before moving away from edits', async () => {
    const page = await signIn();
    const older = ask('Move check one: list the cron jobs');
    await rig.tg.api.waitForPending(1);
    const newer = ask('Move check two: pause the cron jobs');
    await rig.tg.api.waitForPending(2);
    await openRow(page, 'Move check two');
    const selected = () => page.locator('[data-testid="queue-item"][aria-current="true"]').textContent();

    await page.keyboard.press('e');
    const box = page.getByTestId('edit-text').nth(1);
    await box.fill('Move check two: pause the cron jobs until Monday');
    await box.press('End');
    await box.press('j');
    await box.press('k');
    expect(await box.inputValue()).toBe('Move check two: pause the cron jobs until Mondayjk');
    expect(await selected()).toContain('Move check two');

    await page.getByTestId('detail-title').click(); // focus leaves the box: now j means "next request"
    await page.keyboard.press('j');
    await page.getByTestId('discard-edits').waitFor();
    expect(await selected()).toContain('Move check two');
    await page.keyboard.press('Escape'); // keep editing
    await page.getByTestId('discard-edits').waitFor({ state: 'detached' });
    expect(await box.inputValue()).toBe('Move check two: pause the cron jobs until Mondayjk');

    await page.getByTestId('detail-title').click();
    await page.keyboard.press('j');
    await page.getByTestId('confirm-discard').click();
    await expect.poll(selected).toContain('Move check one');
    await page.getByTestId('edit-panel').waitFor({ state: 'detached' });
    void older;
    void newer; // rejected by the cleanup
  });

  it('disables the approval scope with the buttons when another reviewer decided', async () => {
    const page = await signIn();
    const call = ask('Scope check: warm the cache');
    await openRow(page, 'Scope check');
    expect(await page.getByTestId('remember-scope').isEnabled()).toBe(true);
    const [pending] = await rig.tg.api.list('status=pending');
    await rig.tg.api.call('POST', `/requests/${pending.id}/approve`, { force: true });
    await page.getByTestId('decided-elsewhere').waitFor();
    for (const id of ['approve', 'reject', 'edit', 'remember-scope']) expect(await page.getByTestId(id).isDisabled(), id).toBe(true);
    await call;
  });

  it('a shredded session says so in History and Replay instead of an empty request', async () => {
    const page = await signIn();
    rig.upstream.next({ kind: 'text', text: 'The retention answer.' });
    const call = ask('Shred check: what is our retention period?');
    await openRow(page, 'Shred check');
    await page.getByTestId('approve').click();
    await call;
    const done = await rig.tg.api.waitFor(async () => (await rig.tg.api.list('limit=50')).find((r) => r.preview.includes('Shred check')), 5000, 'the shred request');
    await rig.tg.api.waitForStatus(done.id, 'completed');

    // As `airlock shred ID` does, on the same data dir while the gateway runs.
    const store = await openSessionStore(rig.tg.dataDir, passphraseProtector('test passphrase'));
    try {
      await shredSession(store, done.id, 'os:test');
    } finally {
      await store.close();
    }
    expect((await rig.tg.api.get(done.id)).shredded).toBe(true);

    await page.goto(`${rig.tg.url}/#/history/${done.id}`);
    const notice = page.getByTestId('shredded');
    await notice.waitFor();
    expect(await notice.innerText()).toContain('Shredded: the text of this session was destroyed; its metadata and audit trail remain.');
    expect(await page.getByTestId('decision').innerText()).toContain('Approved by alice');
    expect(await page.getByTestId('request-detail').innerText()).not.toContain('{}');
    expect(await page.getByTestId('open-replay').count()).toBe(0);
    expect(await page.getByTestId('history-preview').first().innerText()).toBe('(shredded)'); // the newest row is this one
    expect((await rig.tg.api.list('limit=50')).find((r) => r.id === done.id)?.shredded).toBe(true);
    await page.screenshot({ path: `${SHOTS}console-shredded-history.png` });

    await page.goto(`${rig.tg.url}/#/replay/${done.id}`);
    await page.getByTestId('shredded').waitFor();
    expect(await page.locator('.page').innerText()).not.toContain('no recorded answer text');
    expect(await page.getByTestId('replay-play').count()).toBe(0);
    await page.screenshot({ path: `${SHOTS}console-shredded-replay.png` });
  });
});
