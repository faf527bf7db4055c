// The desktop app for real: Playwright launches Electron on the built app, a request arrives, a native
// notification is raised, and the reviewer approves in the window. Runs wherever an Electron binary exists;
// elsewhere it is reported as skipped, with the reason, never as passed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron, type ElectronApplication } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Why this machine cannot run the desktop app, or null when it can. */
function whyNotRunnable(): string | null {
  let binary: unknown;
  try {
    binary = createRequire(import.meta.url)('electron');
  } catch (err) {
    const message = (err as Error).message.split('\n')[0];
    // electron's index.js throws this when its postinstall never downloaded the binary.
    if (message.includes('failed to install correctly')) {
      return 'node_modules/electron has no downloaded binary; `node scripts/fetch-electron.mjs` fetches it where its download host is reachable';
    }
    return message;
  }
  if (typeof binary !== 'string' || !existsSync(binary)) return `node_modules/electron points at ${String(binary)}, which does not exist`;
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return 'found one, but there is no display; run the tests under xvfb-run';
  }
  return null;
}

const why = whyNotRunnable();
const SKIP_REASON = why && (why.startsWith('found one') ? `skipped: Electron binary present, ${why.slice('found one, '.length)}` : `skipped: no Electron binary on this machine (${why})`);
if (SKIP_REASON) console.warn(`test/e2e/electron.test.ts ${SKIP_REASON}`);

interface E2EHooks {
  ready: Promise<void>;
  url(): string | null;
  issueCallerKey(name: string): Promise<string>;
}
type MainGlobal = typeof globalThis & { airlockE2E: E2EHooks; airlockShown: { title: string; body: string }[] };

describe.skipIf(SKIP_REASON !== null)(SKIP_REASON ?? 'desktop app in Electron', () => {
  let userData: string;
  let app: ElectronApplication;

  beforeAll(async () => {
    const built = spawnSync(process.execPath, [join(root, 'scripts', 'build-main.mjs')], { encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`build-main failed: ${built.stderr}`);
    if (!existsSync(join(root, 'renderer', 'dist', 'index.html'))) throw new Error('renderer/dist is missing: run npm run build:renderer');
    userData = await mkdtemp(join(tmpdir(), 'airlock-e2e-desktop-'));
    await writeFile(join(userData, 'settings.json'), JSON.stringify({ port: 0 }));
    app = await _electron.launch({
      args: [root],
      cwd: root,
      env: {
        ...process.env,
        AIRLOCK_USER_DATA: userData,
        AIRLOCK_DATA_DIR: join(userData, 'data'),
        // Where the test machine has no key store, the passphrase fallback opens without a prompt.
        AIRLOCK_PASSPHRASE: 'e2e passphrase for the desktop test',
        AIRLOCK_E2E: '1',
      },
      timeout: 60_000,
    });
    // Native notifications cannot be seen from a test: record what main shows instead.
    await app.evaluate(({ Notification }) => {
      const g = globalThis as MainGlobal;
      g.airlockShown = [];
      Notification.prototype.show = function show(this: Electron.Notification) {
        g.airlockShown.push({ title: this.title, body: this.body });
      };
    });
    await app.evaluate(() => (globalThis as MainGlobal).airlockE2E.ready);
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    if (userData) await rm(userData, { recursive: true, force: true });
  });

  it('shows the console, notifies about a held request and approves it in the window', async () => {
    const window = await app.firstWindow();
    await window.waitForLoadState('domcontentloaded');
    expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().some((w) => w.isVisible()))).toBe(true);

    const url = await app.evaluate(() => (globalThis as MainGlobal).airlockE2E.url());
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(window.url()).toBe(`${url}/`);
    const key = await app.evaluate((_electron, name) => (globalThis as MainGlobal).airlockE2E.issueCallerKey(name), 'e2e-bot');

    const answer = fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Summarize the desktop end to end test' }] }),
    });

    await expect
      .poll(() => app.evaluate(() => (globalThis as MainGlobal).airlockShown), { timeout: 15_000 })
      .toContainEqual({ title: 'Waiting for you: e2e-bot', body: 'gpt-4o-mini · “Summarize the desktop end to end test”' });

    await window.getByText('Summarize the desktop end to end test').first().click();
    // For the README: the window as a reviewer sees it (test-results/ is not committed).
    await window.screenshot({ path: join(root, 'test-results', 'desktop-window.png') });
    await window.getByRole('button', { name: /^approve/i }).first().click();

    const response = await answer;
    expect(response.status).toBe(200);
  }, 90_000);
});
