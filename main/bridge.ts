// The one contract between the preload script and the renderer: what the desktop window may ask of main.
// Type-only; the preload implements it with contextBridge, the renderer reads it as `window.airlockDesktop`.

export interface DesktopBridge {
  /** The desktop user's own reviewer token (an admin identity created on first run). */
  getReviewerToken(): Promise<string>;
  /** Main asks the console to show one request (a notification was clicked). Returns an unsubscribe. */
  onOpenRequest(listener: (requestId: string) => void): () => void;
  /** Opens the desktop settings view's data: current settings without secrets. */
  getSettings(): Promise<DesktopSettings>;
  saveSettings(settings: DesktopSettingsUpdate): Promise<DesktopSettings>;
  /** Main asks the console to show the desktop settings (tray menu "Settings…"). Returns an unsubscribe. */
  onOpenSettings(listener: () => void): () => void;
  /**
   * Also protects the data key with this passphrase (at least 8 characters), so that
   * `AIRLOCK_PASSPHRASE=… airlock serve --data-dir <the same dir>` opens the desktop's data headless.
   * Setting it again replaces the previous passphrase.
   */
  setPassphrase(passphrase: string): Promise<void>;
}

export interface UpstreamSetting {
  name: string;
  url: string;
  protocol: 'openai' | 'anthropic';
  /** True when a key is stored (the key itself never crosses the bridge back). */
  hasKey: boolean;
}

export interface DesktopSettings {
  port: number;
  host: string;
  upstreams: UpstreamSetting[];
  openAtLogin: boolean;
  notifyPending: boolean;
  notifyFinished: boolean;
  /** How the data key is protected: 'safeStorage' or 'passphrase'. */
  keyProtection: string;
  /** True once a passphrase also protects the data key (the data dir then opens headless too). */
  passphraseSet: boolean;
  /** The data dir this app runs on (what `airlock serve --data-dir` must be given to share it). */
  dataDir: string;
  intakePaused: boolean;
}

export interface DesktopSettingsUpdate {
  port?: number;
  host?: string;
  /**
   * The whole list (an upstream left out is removed, with its key). `key`: omitted keeps the stored key,
   * '' removes it, any other value replaces it. Changing port, host or upstreams restarts the gateway.
   */
  upstreams?: (Omit<UpstreamSetting, 'hasKey'> & { key?: string })[];
  openAtLogin?: boolean;
  notifyPending?: boolean;
  notifyFinished?: boolean;
}
