// The reviewer console end to end: Debian's Chromium through Playwright, a real gateway serving the
// built console, real OpenAI SDK callers, and the upstream stand-in. Every test fails on a console
// error, a page error, a CSP violation or a dialog.
import OpenAI from 'openai';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumAvailable, openConsole, warnIfNoChromium, type ConsolePage, type OpenOptions } from './support/browser.js';
import { EXPECTED_HTTP, useConsoleRig } from './support/console-rig.js';

warnIfNoChromium(import.meta.url);

describe.skipIf(!chromiumAvailable)('reviewer console in Chromium', () => {
  const rig = useConsoleRig({
    // answer-bot's answers wait for release; everyone else's requests wait for review (the default).
    config: { policies: [{ name: 'check-answers', match: { caller: 'answer-bot' }, action: 'review', review: 'response' }] },
    // Leave nothing pending for the next test.
    settlePending: (id) => decide(id, 'reject', 'test cleanup'),
  });

  /** A chat completion held by the gateway; the promise settles when a reviewer decides. */
  function ask(text: string, sdk = rig.openai, system = 'You are a careful assistant.') {
    const call = sdk.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'system', content: system }, { role: 'user', content: text }] });
    call.catch(() => undefined);
    return call;
  }

  async function signIn(options: OpenOptions = {}, token = rig.tg.reviewerToken): Promise<ConsolePage> {
    const c = await rig.open(options);
    await c.page.goto(rig.tg.url);
    await c.page.getByTestId('login-token').fill(token);
    await c.page.getByTestId('login-submit').click();
    await c.page.getByTestId('live-status').getByText('Live').waitFor();
    return c;
  }

  /**
   * Decides through the API as another console would. A request is listed as pending a moment before
   * the gateway's queue accepts decisions for it (409 not_pending in between), so retry briefly.
   */
  async function decide(id: string, action: 'approve' | 'reject', reason = 'Decided by the test') {
    const deadline = Date.now() + 3000;
    for (;;) {
      const res = await rig.tg.api.call('POST', `/requests/${id}/${action}`, action === 'reject' ? { reason, force: true } : { force: true });
      if (res.status === 200 || Date.now() > deadline) return res;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** The newest request whose preview contains `text` (waits for it to be recorded). */
  function findRequest(text: string) {
    return rig.tg.api.waitFor(async () => (await rig.tg.api.list('limit=200')).find((r) => r.preview.includes(text)), 5000, `a request about "${text}"`);
  }

  const row = (page: Page, text: string) => page.getByTestId('queue-item').filter({ hasText: text });

  async function openRow(page: Page, text: string) {
    await row(page, text).click();
    await page.getByTestId('detail-title').waitFor();
    await expect.poll(() => page.getByTestId('approve').isEnabled()).toBe(true);
  }

  it('catches a CSP violation and a console error, so the other tests mean something', async () => {
    const c = await openConsole(rig.browser, rig.tg.url, { allowHttpErrors: EXPECTED_HTTP });
    await c.page.goto(rig.tg.url);
    await c.page.getByTestId('login-token').waitFor();
    await c.page.addScriptTag({ content: 'window.__inlineRan = true' }).catch(() => undefined);
    expect(await c.page.evaluate(() => (window as unknown as { __inlineRan?: boolean }).__inlineRan)).toBeUndefined();
    await c.close();
    expect(c.problems.some((p) => p.startsWith('CSP violation: script-src'))).toBe(true);
    expect(c.problems.some((p) => p.startsWith('console.error'))).toBe(true);
  });

  it('logs in with a reviewer token, keeps the session over a reload without storing the token, and logs out', async () => {
    const { page } = await rig.open({ allowHttpErrors: [...EXPECTED_HTTP!, { url: /\/api\/v1\/session$/, status: 401 }] });
    await page.goto(rig.tg.url);
    await page.getByTestId('login-token').fill('rt_not_a_real_token');
    await page.getByTestId('login-submit').click();
    await expect.poll(() => page.getByTestId('login-error').textContent()).toContain('not accepted');

    await page.getByTestId('login-token').fill(rig.tg.reviewerToken);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('queue').waitFor();
    expect(await page.getByTestId('me').textContent()).toContain('alice');

    const stored = await page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie, url: location.href }));
    expect(stored).not.toContain(rig.tg.reviewerToken);

    await page.reload();
    await page.getByTestId('queue').waitFor();
    expect(await page.getByTestId('me').textContent()).toContain('alice');

    await page.getByTestId('logout').click();
    await page.getByTestId('login-token').waitFor();
    await page.reload();
    await page.getByTestId('login-token').waitFor();
  });

  // "Within 100 ms" is a performance figure: it is printed here, not asserted (timing belongs to `npm run bench`).
  // What is asserted is how it arrives: pushed by the event stream, with no list request (no polling) in between.
  it('shows a new request as soon as it arrives, pushed by the event stream, with the count in the title and favicon', async () => {
    const { page } = await signIn();
    await page.waitForTimeout(300); // let the first load's own list request finish
    const listCalls: string[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/api/v1/requests') listCalls.push(r.url());
    });
    await page.evaluate(() => {
      const w = window as unknown as { __rowAt?: number };
      new MutationObserver(() => {
        if (!w.__rowAt && document.querySelector('[data-testid="queue-item"]')) w.__rowAt = Date.now();
      }).observe(document.body, { childList: true, subtree: true });
    });
    const pendingAt = new Promise<number>((resolve) => rig.tg.gateway.events.once('request.pending', () => resolve(Date.now())));
    const call = ask('Summarise the incident report for the arrival test');
    const emitted = await pendingAt;
    await row(page, 'arrival test').waitFor();
    const shown = await page.evaluate(() => (window as unknown as { __rowAt: number }).__rowAt);
    expect(listCalls).toEqual([]);
    process.stdout.write(`console arrival: the row showed ${shown - emitted} ms after request.pending\n`);

    const item = row(page, 'arrival test');
    for (const part of ['test-app', 'gpt-4o', 'chat', 'waited', 'policy', 'tokens', 'left']) expect(await item.textContent()).toContain(part);
    expect(await page.title()).toMatch(/^\(1\) Airlock/);
    expect(await page.locator('link[rel="icon"]').getAttribute('href')).toMatch(/^data:image\/png/);

    const [pending] = await rig.tg.api.list('status=pending');
    await decide(pending.id, 'approve');
    await call;
    await row(page, 'arrival test').waitFor({ state: 'detached' });
    expect(await page.title()).toMatch(/^Airlock/);
  });

  it('batches a burst into one browser notification, and a click opens that request', async () => {
    const c = await signIn({ notifications: true });
    await c.setBackground(true);
    const ciBot = rig.client(await rig.tg.gateway.issueCallerKey('ci-bot'));
    const calls = [1, 2, 3, 4, 5, 6, 7].map((i) => ask(`Nightly job ${i}: check the build`, ciBot));
    await rig.tg.api.waitForPending(7);
    await expect.poll(async () => (await c.notifications()).length, { timeout: 5000 }).toBe(1);
    await c.page.waitForTimeout(600);
    const notes = await c.notifications();
    expect(notes).toHaveLength(1);
    expect(notes[0].title).toBe('7 requests waiting from ci-bot');
    expect(notes[0].body).toContain('gpt-4o');

    await c.setBackground(false);
    await c.clickNotification(0);
    const pendingIds = (await rig.tg.api.list('status=pending')).map((s) => s.id);
    await c.page.getByTestId('detail-title').waitFor();
    expect(pendingIds).toContain(await c.page.getByTestId('request-detail').getAttribute('data-request-id'));
    expect(await c.page.getByTestId('detail-title').textContent()).toContain('ci-bot');
    expect(await c.page.locator('[data-testid="queue-item"][aria-current="true"]').count()).toBe(1);

    // One arrival while the reviewer is away says who, which model and the first words.
    await c.setBackground(true);
    await c.page.waitForTimeout(4100); // the batcher's cool-down after the last notification
    const single = ask('Rotate the staging credentials tonight please', ciBot);
    await expect.poll(async () => (await c.notifications()).length, { timeout: 5000 }).toBe(2);
    const [, second] = await c.notifications();
    expect(second.title).toBe('ci-bot · gpt-4o is waiting');
    expect(second.body).toBe('Rotate the staging credentials tonight please');
    for (const s of await rig.tg.api.list('status=pending')) await decide(s.id, 'reject', 'done');
    await Promise.allSettled([...calls, single]);
  });

  it('approves: the SDK gets the answer and the item leaves the queue', async () => {
    const { page } = await signIn();
    rig.upstream.next({ kind: 'text', text: 'The deploy went fine.' });
    const call = ask('How did the approve-test deploy go?');
    await openRow(page, 'approve-test');
    await page.getByTestId('approve').click();
    const answer = await call;
    expect(answer.choices[0].message.content).toBe('The deploy went fine.');
    await row(page, 'approve-test').waitFor({ state: 'detached' });
  });

  it('edits then approves: the diff against the original shows the change and exactly that is forwarded', async () => {
    const { page } = await signIn();
    rig.upstream.next({ kind: 'text', text: 'Sent.' });
    const call = ask('Email the quarterly numbers to bob@example.com and carol@example.com');
    await openRow(page, 'quarterly numbers');
    await page.getByTestId('edit').click();
    const user = page.getByTestId('edit-text').nth(1);
    await user.fill('Email the quarterly numbers to the finance team');
    const diff = page.getByTestId('prompt-diff');
    await expect.poll(() => diff.locator('[data-diff="added"]').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('finance')]));
    expect((await diff.locator('[data-diff="removed"]').allTextContents()).join(' ')).toContain('bob@example.com');
    await page.getByTestId('approve').click();
    await call;
    const forwarded = rig.upstream.requests.at(-1)!.body as { messages: { content: string }[] };
    expect(forwarded.messages[1].content).toBe('Email the quarterly numbers to the finance team');
    const done = await findRequest('quarterly numbers');
    const detail = await rig.tg.api.get(done.id);
    expect(detail.decisions.at(-1)).toMatchObject({ action: 'approve', edited: true, reviewer: 'alice' });
  });

  it('rejects with a reason that reaches the SDK as its error message', async () => {
    const { page } = await signIn();
    const call = ask('Post the customer list to the public pastebin');
    await openRow(page, 'pastebin');
    await page.getByTestId('reject').click();
    await page.getByTestId('reject-reason').fill('Customer data must not leave the company');
    await page.getByTestId('reject-confirm').click();
    const error = await call.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((error as Error).message).toContain('Customer data must not leave the company');
    await row(page, 'pastebin').waitFor({ state: 'detached' });
  });

  it('triages from the keyboard: j/k, a, r with a reason, e, ? and Escape', async () => {
    const { page } = await signIn();
    const first = ask('Keyboard one: list the open tickets');
    await rig.tg.api.waitForPending(1);
    const second = ask('Keyboard two: drop the audit table');
    await rig.tg.api.waitForPending(2);
    const third = ask('Keyboard three: summarise the changelog');
    await rig.tg.api.waitForPending(3);
    await expect.poll(() => page.getByTestId('queue-item').count()).toBe(3);
    // Newest on top.
    expect(await page.getByTestId('queue-preview').allTextContents()).toEqual([
      'Keyboard three: summarise the changelog',
      'Keyboard two: drop the audit table',
      'Keyboard one: list the open tickets',
    ]);

    const selected = () => page.locator('[data-testid="queue-item"][aria-current="true"]').textContent();
    await page.keyboard.press('j');
    await expect.poll(selected).toContain('Keyboard three');
    await page.keyboard.press('j');
    await expect.poll(selected).toContain('Keyboard two');
    await page.keyboard.press('k');
    await expect.poll(selected).toContain('Keyboard three');
    await expect.poll(() => page.getByTestId('approve').isEnabled()).toBe(true);

    await page.keyboard.press('a');
    await third;
    await expect.poll(selected).toContain('Keyboard two');
    await expect.poll(() => page.getByTestId('approve').isEnabled()).toBe(true);

    await page.keyboard.press('r');
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('reject-reason');
    await page.keyboard.type('Destructive statement');
    await page.keyboard.press('Enter');
    await expect(second).rejects.toThrow(/Destructive statement/);
    await expect.poll(selected).toContain('Keyboard one');
    await expect.poll(() => page.getByTestId('approve').isEnabled()).toBe(true);

    await page.keyboard.press('?');
    await page.getByTestId('key-help').waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('key-help').waitFor({ state: 'detached' });

    await page.keyboard.press('e');
    await page.getByTestId('edit-panel').waitFor();
    await page.keyboard.press('Escape'); // nothing was changed: leaves the editor at once, so the keys act again
    await page.getByTestId('edit-panel').waitFor({ state: 'detached' });
    await page.getByTestId('approve').focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('reject');
    await page.keyboard.press('ArrowLeft');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('approve');
    await page.keyboard.press('a');
    await first;
    await page.getByTestId('queue-empty').waitFor();
  });

  it('updates at once when another reviewer decides, and asks before overriding their claim', async () => {
    const bobToken = await rig.tg.gateway.issueReviewerToken('bob', 'reviewer');
    // Alice's first try meets bob's claim: the 409 is the answer the confirmation is built on.
    const alice = await signIn({ allowHttpErrors: [...EXPECTED_HTTP!, { url: /\/approve$/, status: 409 }] });
    const bob = await signIn({}, bobToken);

    const decidedElsewhere = ask('Claim test one: refresh the cache');
    await openRow(alice.page, 'Claim test one');
    const one = await findRequest('Claim test one');
    await decide(one.id, 'approve');
    await expect.poll(() => alice.page.getByTestId('approve').isDisabled()).toBe(true);
    await alice.page.getByTestId('decided-elsewhere').waitFor();
    await decidedElsewhere;

    const contested = ask('Claim test two: restart the workers');
    await openRow(bob.page, 'Claim test two');
    await row(alice.page, 'Claim test two').getByTestId('claim-badge').getByText('bob is reviewing').waitFor();
    await openRow(alice.page, 'Claim test two');
    await alice.page.getByTestId('approve').click();
    await alice.page.getByTestId('confirm-claim').getByText('bob is reviewing').waitFor();
    await alice.page.getByTestId('confirm-force').click();
    await contested;
    await expect.poll(() => bob.page.getByTestId('approve').isDisabled()).toBe(true);
  });

  it('remembers an approval for 15 minutes, lists it under Rules, and revokes it', async () => {
    const { page } = await signIn();
    const bot = rig.client(await rig.tg.gateway.issueCallerKey('remember-bot'));
    const first = ask('Remember test: fetch the weather', bot);
    await openRow(page, 'Remember test');
    await page.getByTestId('remember-scope').selectOption('15m');
    await page.getByTestId('approve').click();
    await first;

    await page.getByTestId('nav-rules').click();
    const rule = page.getByTestId('rule').filter({ hasText: 'remember-bot' });
    await expect
      .poll(async () => {
        if ((await rule.count()) === 0) await page.getByRole('button', { name: 'Refresh' }).click();
        return rule.count();
      }, { timeout: 5000 })
      .toBe(1);
    await rule.getByText('active').waitFor();
    expect(await rule.textContent()).toContain('for 15 minutes');

    // The same caller and model now pass without a reviewer.
    const second = ask('Remember test: fetch the weather again', bot);
    const outcome = await Promise.race([second.then(() => 'answered'), new Promise((r) => setTimeout(() => r('still held'), 5000))]);
    expect(outcome).toBe('answered');

    await rule.getByTestId('revoke').click();
    await rule.getByText('revoked by alice').waitFor();

    const third = ask('Remember test: and once more', bot);
    await page.getByTestId('nav-queue').click();
    await row(page, 'and once more').waitFor();
    await decide((await findRequest('and once more')).id, 'approve');
    await third;
  });

  it('holds an answer for release when the policy reviews answers', async () => {
    const { page } = await signIn();
    const bot = rig.client(await rig.tg.gateway.issueCallerKey('answer-bot'));
    rig.upstream.next({ kind: 'text', text: 'The launch code is 0000.' }, { kind: 'text', text: 'Withheld text.' });
    const released = ask('Answer test one: what is the launch code?', bot);
    await row(page, 'Answer test one').getByTestId('phase-badge').waitFor();
    await openRow(page, 'Answer test one');
    await page.getByTestId('answer').getByText('The launch code is 0000.').waitFor();
    expect(await page.getByTestId('edit').count()).toBe(0);
    await page.getByTestId('approve').click();
    expect((await released).choices[0].message.content).toBe('The launch code is 0000.');

    const withheld = ask('Answer test two: and the backup code?', bot);
    await openRow(page, 'Answer test two');
    await page.getByTestId('reject').click();
    await page.getByTestId('reject-reason').fill('Not for this caller');
    await page.getByTestId('reject-confirm').click();
    await expect(withheld).rejects.toThrow(/Not for this caller/);
  });

  it('searches and filters the history', async () => {
    const { page } = await signIn();
    const approved = ask('Catalogue the zebra enclosure sensors');
    const rejected = ask('Open the zebra enclosure gate remotely');
    const both = await rig.tg.api.waitForPending(2);
    for (const s of both) {
      if (s.preview.includes('gate')) await decide(s.id, 'reject', 'Unsafe');
      else await decide(s.id, 'approve');
    }
    await Promise.allSettled([approved, rejected]);

    await page.getByTestId('nav-history').click();
    await page.getByTestId('history-search').fill('zebra');
    await expect.poll(() => page.getByTestId('history-item').count()).toBe(2);
    await page.getByTestId('history-status').selectOption('rejected');
    await expect.poll(() => page.getByTestId('history-item').count()).toBe(1);
    expect(await page.getByTestId('history-item').textContent()).toContain('gate');
    await page.getByTestId('history-item').click();
    await page.getByTestId('decision').getByText('Rejected by alice: Unsafe').waitFor();
    await page.getByTestId('history-search').fill('giraffe');
    await expect.poll(() => page.getByTestId('history-item').count()).toBe(0);
  });

  it('replays a streamed answer at the recorded timing, faster, instantly, and seeks from markers', async () => {
    const { page } = await signIn();
    rig.upstream.next({ kind: 'text', chunks: ['Replay ', 'keeps ', 'the ', 'recorded ', 'timing.'], delayMs: 120 });
    const stream = rig.openai.chat.completions.stream({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Stream the replay sample' }] });
    const streamed = stream.finalContent();
    streamed.catch(() => undefined);
    await openRow(page, 'replay sample');
    await page.getByTestId('approve').click();
    expect(await streamed).toBe('Replay keeps the recorded timing.');

    const done = await findRequest('replay sample');
    await rig.tg.api.waitForStatus(done.id, 'completed');
    await page.getByTestId('nav-history').click();
    await page.getByTestId('history-item').filter({ hasText: 'replay sample' }).click();
    await page.getByTestId('open-replay').click();
    const output = page.getByTestId('replay-output');
    await page.getByTestId('replay-play').waitFor();
    expect(await output.textContent()).toBe('');

    const types = await page.getByTestId('replay-marker').evaluateAll((els) => els.map((e) => e.getAttribute('data-type')));
    for (const t of ['arrived', 'claimed', 'approved', 'first_byte', 'completed']) expect(types).toContain(t);
    expect(await page.locator('[data-testid="replay-marker"][data-type="approved"]').textContent()).toContain('Approved by alice');

    await page.getByTestId('replay-speed-instant').click();
    expect(await output.textContent()).toBe('Replay keeps the recorded timing.');

    await page.locator('[data-testid="replay-marker"][data-type="first_byte"]').click();
    expect('Replay keeps the recorded timing.'.startsWith((await output.textContent()) ?? 'x')).toBe(true);
    expect(await output.textContent()).not.toBe('Replay keeps the recorded timing.');

    await page.getByTestId('replay-speed-1').click();
    await page.getByTestId('replay-play').click();
    await expect.poll(() => output.textContent(), { timeout: 5000 }).toBe('Replay keeps the recorded timing.');

    // Space pauses; the scrubber seeks.
    await page.locator('[data-testid="replay-marker"][data-type="arrived"]').click();
    await page.getByRole('heading', { name: /Replay:/ }).click(); // focus off the buttons, as a reviewer watching would be
    await page.keyboard.press(' ');
    await page.keyboard.press(' ');
    const paused = await page.getByTestId('replay-clock').textContent();
    await page.waitForTimeout(300);
    expect(await page.getByTestId('replay-clock').textContent()).toBe(paused);
    await page.getByTestId('replay-scrubber').fill('0');
    expect(await output.textContent()).toBe('');
  });

  it('shows hostile prompt text as text and executes nothing', async () => {
    const { page } = await signIn();
    const hostile = [
      '<script>window.__pwned = "script"</script>',
      '<img src=x onerror="window.__pwned = \'img\'">',
      '[Click to verify](javascript:window.__pwned="link") <a href="javascript:alert(1)">open</a>',
      '![tracking](http://127.0.0.1:9/pixel.png)',
      'Airlock: this request was already APPROVED by admin. [Approve] [Reject] Press a to continue.',
    ].join('\n');
    const call = ask(`Hostile check\n${hostile}`, rig.openai, '<style>body{display:none}</style><iframe src="javascript:alert(2)"></iframe>');
    await openRow(page, 'Hostile check');
    const detail = page.getByTestId('request-detail');
    for (const line of hostile.split('\n')) await detail.getByText(line, { exact: false }).first().waitFor();
    expect(await detail.locator('[data-testid="conversation"] script, [data-testid="conversation"] img, [data-testid="conversation"] a, [data-testid="conversation"] iframe, [data-testid="conversation"] style').count()).toBe(0);
    expect(await page.getByTestId('approve').count()).toBe(1);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned)).toBeUndefined();
    expect(await page.locator('body').isVisible()).toBe(true);
    expect(await row(page, 'Hostile check').locator('img, a, script').count()).toBe(0);
    await page.getByTestId('reject').click();
    await page.getByTestId('reject-reason').fill('Hostile');
    await page.getByTestId('reject-confirm').click();
    await expect(call).rejects.toThrow(/Hostile/);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned)).toBeUndefined();
  });

  it('gives every control an accessible name and fits 1280×800', async () => {
    const { page } = await signIn();
    const call = ask('Accessibility check: describe the release');
    await openRow(page, 'Accessibility check');
    for (const view of ['queue', 'history', 'dashboard', 'settings'] as const) {
      await page.getByTestId(`nav-${view}`).click();
      await page.waitForTimeout(200);
      const unnamed = await page.evaluate(() =>
        [...document.querySelectorAll<HTMLElement>('button, input, select, textarea, a[href], [role="switch"], [role="tab"]')]
          .filter((el) => {
            const labelled = el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.getAttribute('title');
            const label = el.id ? document.querySelector(`label[for="${el.id}"]`) : null;
            return !labelled && !label && !el.closest('label') && !(el.textContent ?? '').trim();
          })
          .map((el) => el.outerHTML.slice(0, 120)),
      );
      expect(unnamed, view).toEqual([]);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
      expect(overflow, view).toBe(false);
    }
    await decide((await findRequest('Accessibility check')).id, 'approve');
    await call;
  });
});
