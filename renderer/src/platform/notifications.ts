// Browser notifications and the new-request chime. The desktop app notifies natively from main,
// so these stay quiet inside Electron.
import { revealDirectionControls } from '../lib/direction-controls.js';
import { desktopBridge } from './desktop.js';

export type Permission = NotificationPermission | 'unsupported';

export function notificationPermission(): Permission {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

export async function requestNotificationPermission(): Promise<Permission> {
  if (typeof Notification === 'undefined') return 'unsupported';
  return Notification.requestPermission();
}

/** The reviewer is elsewhere: another tab, another window. */
export function consoleInBackground(): boolean {
  return document.visibilityState !== 'visible' || !document.hasFocus();
}

export interface NoticeContent {
  title: string;
  body: string;
  /** A newer notice with the same tag replaces the older one instead of stacking. */
  tag: string;
  onClick?: () => void;
}

export function showNotification(content: NoticeContent): boolean {
  if (desktopBridge() || notificationPermission() !== 'granted') return false;
  try {
    // Title and body carry a caller's words (model, prompt preview): the system shows them, so controls become markers.
    const n = new Notification(revealDirectionControls(content.title), { body: revealDirectionControls(content.body), tag: content.tag });
    n.onclick = () => {
      window.focus();
      content.onClick?.();
      n.close();
    };
    return true;
  } catch {
    return false; // e.g. Android Chrome allows only service-worker notifications
  }
}

let audio: AudioContext | null = null;

/** A short two-note chime made with WebAudio, so no sound file or media-src is needed. */
export function playChime(): void {
  try {
    audio ??= new AudioContext();
    const ctx = audio;
    const start = ctx.currentTime;
    [880, 1320].forEach((freq, i) => {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, start + i * 0.12);
      gain.gain.exponentialRampToValueAtTime(0.15, start + i * 0.12 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + i * 0.12 + 0.2);
      osc.connect(gain).connect(ctx.destination);
      osc.start(start + i * 0.12);
      osc.stop(start + i * 0.12 + 0.22);
    });
  } catch {
    // No audio device or autoplay blocked: the visual signals remain.
  }
}
