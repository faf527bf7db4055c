// Native notifications from main, so they arrive with the window closed: one per new pending request saying
// who waits, for which model and the prompt's first words; a burst folded into one; a warning a minute before
// a hold times out; "finished/failed" only when asked for. macOS offers Approve/Reject that really decide.
import type { EventEmitter } from 'node:events';
import type { NotificationConstructorOptions } from 'electron';
import type { Logger } from 'pino';
import type { RequestSummary } from '../gateway/api/types.js';
import type { Gateway } from '../gateway/server.js';
import { revealDirectionControls } from '../renderer/src/lib/direction-controls.js';

export interface NotificationLike {
  show(): void;
  close(): void;
  on(event: 'click', listener: () => void): unknown;
  on(event: 'action', listener: (event: unknown, index: number) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
}

export interface NotificationCtor {
  new (options: NotificationConstructorOptions): NotificationLike;
  isSupported(): boolean;
}

export interface NotificationPrefs {
  notifyPending: boolean;
  notifyFinished: boolean;
}

export interface NotifierOptions {
  Notification: NotificationCtor;
  gateway: Pick<Gateway, 'decide'> & { readonly events: EventEmitter };
  prefs: () => NotificationPrefs;
  /** Opens the console on one request (creating the window if it was closed). */
  openRequest: (requestId: string) => void;
  /** The desktop reviewer's name, recorded on decisions taken from a notification. */
  reviewer: string;
  platform: NodeJS.Platform;
  /** New pending requests within this window become one notification. */
  batchMs?: number;
  /** How long before a hold times out the "about to time out" notification shows. */
  warnBeforeTimeoutMs?: number;
  icon?: string;
  logger?: Logger;
}

export interface Notifier {
  dispose(): void;
}

const ACTIONS: NonNullable<NotificationConstructorOptions['actions']> = [
  { type: 'button', text: 'Approve' },
  { type: 'button', text: 'Reject' },
];

export function createNotifier(opts: NotifierOptions): Notifier {
  const batchMs = opts.batchMs ?? 1500;
  const warnMs = opts.warnBeforeTimeoutMs ?? 60_000;
  const events = opts.gateway.events;
  let burst: RequestSummary[] = [];
  let burstTimer: NodeJS.Timeout | null = null;
  /** Requests still pending, latest summary of each (for claims and timeouts). */
  const pending = new Map<string, RequestSummary>();
  const warnings = new Map<string, NodeJS.Timeout>();
  /** One live notification per request it is about; batches under their own key. Kept so they are not collected. */
  const shown = new Map<string, NotificationLike>();

  const show = (key: string, options: NotificationConstructorOptions, onClick: () => void, onAction?: (index: number) => void) => {
    if (!opts.Notification.isSupported()) return;
    shown.get(key)?.close();
    const notification = new opts.Notification({ icon: opts.icon, ...options });
    const forget = () => {
      if (shown.get(key) === notification) shown.delete(key);
    };
    notification.on('click', () => {
      forget();
      onClick();
    });
    notification.on('close', forget);
    if (onAction) notification.on('action', (_event, index) => {
      forget();
      onAction(index);
    });
    shown.set(key, notification);
    notification.show();
  };

  const decide = async (request: RequestSummary, action: 'approve' | 'reject') => {
    const latest = pending.get(request.id);
    if (!latest) return; // decided elsewhere meanwhile
    if (latest.claim && latest.claim.reviewer !== opts.reviewer) {
      // Someone else is on it: the console asks for confirmation, a notification cannot.
      opts.openRequest(request.id);
      return;
    }
    try {
      await opts.gateway.decide(request.id, {
        action,
        reviewer: opts.reviewer,
        reason: action === 'reject' ? 'Rejected from a desktop notification' : undefined,
      });
    } catch (err) {
      opts.logger?.warn({ err, requestId: request.id, action }, 'decision from a notification failed');
      show(`failed:${request.id}`, { title: `Could not ${action} the request from ${request.caller}`, body: (err as Error).message }, () =>
        opts.openRequest(request.id),
      );
    }
  };

  const notifyOne = (request: RequestSummary, title: string) => {
    const actions = opts.platform === 'darwin';
    show(
      request.id,
      {
        title,
        body: describeRequest(request),
        actions: actions ? ACTIONS : undefined,
        closeButtonText: actions ? 'Later' : undefined,
        urgency: 'normal',
      },
      () => opts.openRequest(request.id),
      actions ? (index) => void decide(request, index === 0 ? 'approve' : 'reject') : undefined,
    );
  };

  const flush = () => {
    burstTimer = null;
    // A request decided before the burst ended is no longer news.
    const waiting = burst.filter((r) => pending.has(r.id));
    burst = [];
    if (waiting.length === 0 || !opts.prefs().notifyPending) return;
    if (waiting.length === 1) return notifyOne(waiting[0], pendingTitle(waiting[0]));
    const first = waiting[0];
    show(`batch:${first.id}`, { title: batchTitle(waiting), body: batchBody(waiting) }, () => opts.openRequest(first.id));
  };

  const scheduleWarning = (request: RequestSummary) => {
    clearTimeout(warnings.get(request.id));
    warnings.delete(request.id);
    if (!request.timeoutAt) return;
    const delay = Date.parse(request.timeoutAt) - warnMs - Date.now();
    if (!Number.isFinite(delay) || delay < 0) return;
    warnings.set(
      request.id,
      setTimeout(() => {
        warnings.delete(request.id);
        const latest = pending.get(request.id);
        if (latest && opts.prefs().notifyPending) notifyOne(latest, `About to time out: ${latest.caller}`);
      }, delay),
    );
  };

  const settled = (request: RequestSummary) => {
    pending.delete(request.id);
    clearTimeout(warnings.get(request.id));
    warnings.delete(request.id);
    shown.get(request.id)?.close();
    shown.delete(request.id);
  };

  const onPending = (request: RequestSummary) => {
    pending.set(request.id, request);
    scheduleWarning(request);
    burst.push(request);
    burstTimer ??= setTimeout(flush, batchMs);
  };

  const onUpdated = (request: RequestSummary) => {
    if (request.status !== 'pending') return settled(request);
    const before = pending.get(request.id);
    pending.set(request.id, request);
    if (before?.timeoutAt !== request.timeoutAt) scheduleWarning(request); // the wait was extended
  };

  const onCompleted = (request: RequestSummary) => {
    settled(request);
    if (!opts.prefs().notifyFinished) return;
    if (request.status !== 'completed' && request.status !== 'failed') return;
    show(
      `done:${request.id}`,
      { title: `${request.status === 'completed' ? 'Finished' : 'Failed'}: ${request.caller}`, body: describeRequest(request), silent: true },
      () => opts.openRequest(request.id),
    );
  };

  events.on('request.pending', onPending);
  events.on('request.updated', onUpdated);
  // With a two-person rule, the first approval leaves the request pending.
  const onDecided = (request: RequestSummary) => (request.status === 'pending' ? onUpdated(request) : settled(request));

  events.on('request.decided', onDecided);
  events.on('request.completed', onCompleted);

  return {
    dispose() {
      events.off('request.pending', onPending);
      events.off('request.updated', onUpdated);
      events.off('request.decided', onDecided);
      events.off('request.completed', onCompleted);
      if (burstTimer) clearTimeout(burstTimer);
      for (const timer of warnings.values()) clearTimeout(timer);
      warnings.clear();
      for (const notification of shown.values()) notification.close();
      shown.clear();
    },
  };
}

/** A request waits before it goes upstream; with a response review, the model's answer waits before it is released. */
export function pendingTitle(request: RequestSummary): string {
  return request.phase === 'response' ? `Answer to review: ${request.caller}` : `Waiting for you: ${request.caller}`;
}

/** "gpt-4o · “Summarize the incident report from …”" (plus the folded duplicates). */
export function describeRequest(request: RequestSummary): string {
  const words = firstWords(request.preview);
  const duplicates = request.duplicates > 0 ? ` (+${request.duplicates} identical)` : '';
  return `${revealDirectionControls(request.model)}${duplicates}${words ? ` · “${words}”` : ''}`;
}

/** "7 requests waiting from ci-bot", or "9 requests waiting from ci-bot, agent and 1 other". */
export function batchTitle(requests: RequestSummary[]): string {
  const callers = [...new Set(requests.map((r) => r.caller))];
  let from = callers[0];
  if (callers.length === 2) from = `${callers[0]} and ${callers[1]}`;
  if (callers.length > 2) {
    const others = callers.length - 2;
    from = `${callers[0]}, ${callers[1]} and ${others} other${others === 1 ? '' : 's'}`;
  }
  return `${requests.length} requests waiting from ${from}`;
}

export function batchBody(requests: RequestSummary[]): string {
  const models = [...new Set(requests.map((r) => revealDirectionControls(r.model)))];
  const shownModels = models.slice(0, 3).join(', ') + (models.length > 3 ? ` and ${models.length - 3} more` : '');
  const words = firstWords(requests[0].preview);
  return `${shownModels}${words ? ` · first: “${words}”` : ''}`;
}

export function firstWords(text: string, maxWords = 12, maxChars = 90): string {
  // Direction controls in a prompt would reorder the notification's text: shown as markers, as in the console.
  const words = revealDirectionControls(text).replace(/\s+/g, ' ').trim().split(' ').filter(Boolean);
  let out = words.slice(0, maxWords).join(' ');
  let cut = words.length > maxWords;
  if (out.length > maxChars) {
    out = out.slice(0, maxChars).trimEnd();
    cut = true;
  }
  return cut ? `${out}…` : out;
}
