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
  intakePaused: boolean;
}

export interface DesktopSettingsUpdate {
  port?: number;
  host?: string;
  upstreams?: (Omit<UpstreamSetting, 'hasKey'> & { key?: string })[];
  openAtLogin?: boolean;
  notifyPending?: boolean;
  notifyFinished?: boolean;
}
