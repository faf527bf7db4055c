import { describe, expect, it, vi } from 'vitest';
import type { Session, WebContents } from 'electron';
import {
  CONSOLE_PARTITION,
  CONTENT_SECURITY_POLICY,
  ConsoleWindow,
  guardSession,
  guardWebContents,
  mainWindowOptions,
  type BrowserWindowCtor,
} from '../../main/window.js';
import { FakeBrowserWindow, FakeSession, FakeWebContents, settle } from './fakes.js';

const GATEWAY = 'http://127.0.0.1:8787';

describe('the console window', () => {
  it('gets every security option of the checklist', () => {
    const options = mainWindowOptions({ preload: '/app/dist/main/preload.cjs', devTools: false });
    expect(options.webPreferences).toMatchObject({
      preload: '/app/dist/main/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      partition: CONSOLE_PARTITION,
      devTools: false,
    });
    // An in-memory partition: no disk cache of API answers holding prompt text.
    expect(CONSOLE_PARTITION.startsWith('persist:')).toBe(false);
  });

  it('loads the gateway URL (the same console the browser gets) and shows once ready', async () => {
    const window = new ConsoleWindow({
      BrowserWindow: FakeBrowserWindow as unknown as BrowserWindowCtor,
      options: mainWindowOptions({ preload: 'p.cjs', devTools: false }),
      gatewayUrl: () => GATEWAY,
    });
    window.show();
    const [made] = FakeBrowserWindow.instances;
    expect(made.options.webPreferences?.sandbox).toBe(true);
    expect(made.loadURL).toHaveBeenCalledWith(`${GATEWAY}/`);
    await settle();
    expect(made.visible).toBe(true);
  });

  it('opens a request in a window made for it after the page loaded', async () => {
    FakeBrowserWindow.reset();
    const window = new ConsoleWindow({
      BrowserWindow: FakeBrowserWindow as unknown as BrowserWindowCtor,
      options: mainWindowOptions({ preload: 'p.cjs', devTools: false }),
      gatewayUrl: () => GATEWAY,
    });
    window.openRequest('req_9');
    const [made] = FakeBrowserWindow.instances;
    expect(made.webContents.send).not.toHaveBeenCalled();
    await settle();
    expect(made.webContents.send).toHaveBeenCalledWith('airlock:open-request', 'req_9');
    window.openSettings();
    expect(made.webContents.send).toHaveBeenLastCalledWith('airlock:open-settings');
    expect(FakeBrowserWindow.instances).toHaveLength(1);
  });
});

describe('links and navigation', () => {
  const guarded = () => {
    const contents = new FakeWebContents();
    const openExternal = vi.fn(async (_url: string) => undefined);
    guardWebContents(contents as unknown as WebContents, { gatewayUrl: () => GATEWAY, openExternal });
    const navigate = (event: string, url: string) => {
      const e = { preventDefault: vi.fn() };
      contents.emit(event, e, url);
      return e.preventDefault.mock.calls.length > 0;
    };
    return { contents, openExternal, navigate };
  };

  it('denies every new window and sends http(s) links to the system browser', () => {
    const { contents, openExternal } = guarded();
    expect(contents.windowOpenHandler!({ url: 'https://platform.openai.com/docs' })).toEqual({ action: 'deny' });
    expect(openExternal).toHaveBeenCalledWith('https://platform.openai.com/docs');
    expect(contents.windowOpenHandler!({ url: `${GATEWAY}/requests/1` })).toEqual({ action: 'deny' });
  });

  it('never hands other schemes to the OS', () => {
    const { contents, openExternal, navigate } = guarded();
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'data:text/html,x']) {
      expect(contents.windowOpenHandler!({ url })).toEqual({ action: 'deny' });
      expect(navigate('will-navigate', url)).toBe(true);
    }
    expect(openExternal).not.toHaveBeenCalled();
  });

  it('lets the console navigate within the gateway origin only', () => {
    const { openExternal, navigate } = guarded();
    expect(navigate('will-navigate', `${GATEWAY}/#/requests/7`)).toBe(false);
    expect(navigate('will-navigate', 'http://127.0.0.1:9999/')).toBe(true);
    expect(navigate('will-navigate', 'https://evil.example/')).toBe(true);
    expect(navigate('will-redirect', 'https://evil.example/')).toBe(true);
    expect(openExternal).toHaveBeenCalledWith('https://evil.example/');
    expect(navigate('will-attach-webview', `${GATEWAY}/`)).toBe(true);
  });

  it('blocks all navigation while no gateway runs', () => {
    const contents = new FakeWebContents();
    guardWebContents(contents as unknown as WebContents, { gatewayUrl: () => null, openExternal: vi.fn(async () => undefined) });
    const e = { preventDefault: vi.fn() };
    contents.emit('will-navigate', e, `${GATEWAY}/`);
    expect(e.preventDefault).toHaveBeenCalled();
  });
});

describe('the session', () => {
  const guarded = () => {
    const session = new FakeSession();
    guardSession(session as unknown as Session, { gatewayUrl: () => GATEWAY });
    return session;
  };

  it('loads no remote content', () => {
    const session = guarded();
    expect(session.requestAllowed(`${GATEWAY}/assets/index.js`)).toBe(true);
    expect(session.requestAllowed(`${GATEWAY}/api/v1/events`)).toBe(true);
    expect(session.requestAllowed('https://cdn.example.com/lib.js')).toBe(false);
    expect(session.requestAllowed('http://127.0.0.1:9999/')).toBe(false);
  });

  it('puts a CSP on the gateway pages', () => {
    const session = guarded();
    let headers: Record<string, string[]> | undefined;
    session.headersReceived!({ url: `${GATEWAY}/`, responseHeaders: { 'content-type': ['text/html'] } }, (r) => (headers = r.responseHeaders));
    expect(headers?.['Content-Security-Policy']).toEqual([CONTENT_SECURITY_POLICY]);
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("object-src 'none'");
  });

  it('grants notifications to the console, nothing else to anyone', () => {
    const session = guarded();
    expect(session.permissionGranted('notifications', `${GATEWAY}/`)).toBe(true);
    expect(session.permissionGranted('notifications', 'https://evil.example/')).toBe(false);
    for (const permission of ['media', 'geolocation', 'clipboard-read', 'openExternal', 'fullscreen']) {
      expect(session.permissionGranted(permission, `${GATEWAY}/`)).toBe(false);
    }
    expect(session.permissionCheck!(null, 'notifications', GATEWAY)).toBe(true);
    expect(session.permissionCheck!(null, 'media', GATEWAY)).toBe(false);
  });
});
