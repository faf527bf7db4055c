// Chromium for the console's end-to-end tests: launch, open a page that records console errors,
// page errors, CSP violations and browser notifications, and report them so a test can fail on any.
// Also the built console the tests' gateways serve.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';

export const CHROMIUM = process.env.AIRLOCK_CHROMIUM ?? '/usr/bin/chromium';
export const chromiumAvailable = existsSync(CHROMIUM);

/** Says why the test file at `fileUrl` (its import.meta.url) is skipped, when there is no Chromium. */
export function warnIfNoChromium(fileUrl: string): void {
  if (!chromiumAvailable) console.warn(`${fileUrl} skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set AIRLOCK_CHROMIUM)`);
}

/** The built console, for a test gateway's `consoleDir`. */
export const CONSOLE_DIR = fileURLToPath(new URL('../../../renderer/dist', import.meta.url));

/** Builds the console unless a build is already there. */
export function ensureConsoleBuilt(): void {
  if (!existsSync(`${CONSOLE_DIR}/index.html`)) execSync('npm run build:renderer', { stdio: 'inherit' });
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface RecordedNotification {
  title: string;
  body: string;
  tag: string;
}

export interface ConsolePage {
  context: BrowserContext;
  page: Page;
  /** Console errors, uncaught page errors, CSP violations and dialogs (alert/confirm), in order. */
  problems: string[];
  notifications(): Promise<RecordedNotification[]>;
  /** Clicks the n-th recorded notification, as the reviewer would. */
  clickNotification(index: number): Promise<void>;
  /** Pretends the reviewer is in another window (document.hasFocus() false) or back. */
  setBackground(background: boolean): Promise<void>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Grant the Notification permission to the console's origin. */
  notifications?: boolean;
  /** Expected failed loads: a console error for a URL matching one of these with this status is not a problem. */
  allowHttpErrors?: { url: RegExp; status: number }[];
  colorScheme?: 'light' | 'dark';
}

/**
 * Runs in the page before the console's own script (through the DevTools protocol, so the
 * console's CSP does not apply to it): records CSP violations and notifications. A string, not a
 * function, so no transpiler helper leaks into the page.
 */
const INSTRUMENT = `(() => {
  const csp = [];
  window.__airlockCsp = csp;
  document.addEventListener('securitypolicyviolation', (e) => {
    csp.push(e.violatedDirective + ' blocked ' + (e.blockedURI || '(inline)') + ' at ' + e.sourceFile + ':' + e.lineNumber);
  });
  let background = false;
  window.__airlockSetBackground = (b) => { background = b; };
  const realHasFocus = document.hasFocus.bind(document);
  document.hasFocus = () => (background ? false : realHasFocus());
  const Real = window.Notification;
  if (!Real) return;
  const shown = [];
  window.__airlockNotifications = shown;
  // A recording stand-in: headless Chromium has no notification centre to show them in.
  class RecordedNotification {
    constructor(title, options = {}) {
      this.onclick = null;
      this.title = title;
      this.body = options.body || '';
      this.tag = options.tag || '';
      shown.push(this);
    }
    static get permission() { return Real.permission; }
    static requestPermission() { return Real.requestPermission(); }
    close() {}
    addEventListener() {}
  }
  window.Notification = RecordedNotification;
})();`;

export async function openConsole(browser: Browser, url: string, options: OpenOptions = {}): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: options.colorScheme ?? 'light', locale: 'en-GB', timezoneId: 'UTC' });
  // Fail within a test's time budget, with Playwright's message rather than a bare test timeout.
  context.setDefaultTimeout(10_000);
  if (options.notifications) await context.grantPermissions(['notifications'], { origin: new URL(url).origin });
  await context.addInitScript({ content: INSTRUMENT });
  const page = await context.newPage();
  const problems: string[] = [];
  const allowed = options.allowHttpErrors ?? [];
  page.on('console', (msg: ConsoleMessage) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    const where = msg.location().url;
    const status = /status of (\d{3})/.exec(text)?.[1];
    if (status && allowed.some((a) => a.status === Number(status) && a.url.test(where))) return;
    problems.push(`console.error: ${text} (${where})`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('dialog', (dialog) => {
    problems.push(`dialog opened: ${dialog.type()} ${dialog.message()}`);
    void dialog.dismiss();
  });

  const cspViolations = async (): Promise<string[]> => {
    try {
      return await page.evaluate(() => ((window as unknown as { __airlockCsp?: string[] }).__airlockCsp ?? []).slice());
    } catch {
      return [];
    }
  };

  return {
    context,
    page,
    problems,
    notifications: () =>
      page.evaluate(() =>
        ((window as unknown as { __airlockNotifications?: RecordedNotification[] }).__airlockNotifications ?? []).map((n) => ({ title: n.title, body: n.body, tag: n.tag })),
      ),
    clickNotification: (index) =>
      page.evaluate((i) => {
        const n = (window as unknown as { __airlockNotifications: { onclick: (() => void) | null }[] }).__airlockNotifications[i];
        n.onclick?.();
      }, index),
    setBackground: (background) => page.evaluate((b) => (window as unknown as { __airlockSetBackground(b: boolean): void }).__airlockSetBackground(b), background),
    async close() {
      for (const v of await cspViolations()) problems.push(`CSP violation: ${v}`);
      await context.close();
    },
  };
}
