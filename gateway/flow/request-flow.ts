// One RequestFlow per inference request: it carries all the request's state through the stages, and its hold.
import { createHash } from 'node:crypto';
import { randomBytesPooled } from '../store/random.js';
import { countTokens } from 'gpt-tokenizer';
import type { Decision, RequestStatus, TimelineEvent, TimelineType } from '../api/types.js';
import type { AirlockError } from '../errors.js';
import type { FamilyCodec, Prompt, ProtocolAdapter } from '../protocols/adapter.js';
import type { CallerReply } from './caller-reply.js';
import { checkTransition } from './status.js';
import type { PolicyVerdict } from '../stages/policy.js';

export interface Caller {
  name: string;
  owner: string | null;
}

export type HoldOutcome =
  | { kind: 'approve'; reviewer: string | null }
  | { kind: 'reject'; reviewer: string | null; reason: string }
  | { kind: 'timeout' }
  | { kind: 'cancel' }
  | { kind: 'shutdown' };

export interface UpstreamResult {
  status: number;
  headers: Record<string, string>;
  /** Assembled answer text as the caller received it. */
  text: string;
  /** The answer text as the upstream sent it, before masking. */
  rawText: string;
  /** Parsed body of a non-streamed JSON answer. */
  body: unknown;
}

let counter = 0;

export function newRequestId(now = Date.now()): string {
  // Time-ordered ids, so that newest-first is also id order.
  counter = (counter + 1) % 0x10000;
  return `req_${now.toString(36).padStart(9, '0')}${counter.toString(36).padStart(4, '0')}${randomBytesPooled(4).toString('hex')}`;
}

export class RequestFlow {
  readonly arrivedAt: number;
  private readonly t0: number;
  status: RequestStatus | null = null;
  readonly timeline: TimelineEvent[] = [];
  readonly decisions: Decision[] = [];
  policy: PolicyVerdict | null = null;
  editedBody: Record<string, unknown> | null = null;
  error: AirlockError | null = null;
  result: UpstreamResult | null = null;
  timeoutAt: number | null = null;
  escalated = false;
  /** What the hold is about: the request, or (with `review: response`) the model's answer. */
  phase: 'request' | 'response' = 'request';
  /**
   * The answer's last bytes: sent only once the session is recorded, so a caller that has the whole answer
   * implies a finished record (a hard kill right after loses nothing).
   */
  finalChunk: Buffer | string | null = null;
  /** A whole (non-streamed) answer's status and headers: sent with finalChunk, once the session is on record. */
  answerHead: { status: number; headers: Record<string, string> } | null = null;
  /** An answer held for review: the bytes the caller will get once it is approved. */
  heldAnswer: { status: number; headers: Record<string, string>; chunks: (Buffer | string)[]; stream: boolean } | null = null;
  /** Approvals given so far (two-person rule). */
  readonly approvers = new Set<string>();
  readonly abort = new AbortController();
  private _prompt: Prompt | null = null;
  private _tokens: number | null = null;
  private _promptText: string | null = null;
  private _preview: string | null = null;
  private _dedupeKey: string | null = null;
  private resolveHold: ((outcome: HoldOutcome) => void) | null = null;
  private readonly listeners: ((flow: RequestFlow, from: RequestStatus | null) => void)[] = [];

  constructor(
    readonly id: string,
    readonly adapter: ProtocolAdapter,
    readonly codec: FamilyCodec,
    readonly caller: Caller,
    readonly rawBody: Buffer,
    readonly body: Record<string, unknown>,
    public reply: CallerReply,
    readonly retryCount: number,
  ) {
    this.arrivedAt = Date.now();
    this.t0 = performance.now();
    this.mark('arrived');
  }

  get stream(): boolean {
    return this.adapter.isStream(this.body);
  }

  get model(): string {
    return this.adapter.model(this.body);
  }

  get prompt(): Prompt {
    this._prompt ??= this.adapter.prompt(this.body);
    return this._prompt;
  }

  /** The prompt's text (system first), as policy rules and the token count read it. */
  get promptText(): string {
    this._promptText ??= [this.prompt.system, ...this.prompt.messages.map((m) => m.text)].join('\n');
    return this._promptText;
  }

  /** Estimated prompt tokens (o200k tokenizer; long prompts are estimated from their length). */
  get tokens(): number {
    if (this._tokens === null) {
      const text = this.promptText;
      // The tokenizer refuses special tokens (`<|endoftext|>`) a caller may send: those prompts get the usual estimate.
      try {
        this._tokens = text.length > 200_000 ? Math.ceil(text.length / 4) : countTokens(text);
      } catch {
        this._tokens = Math.ceil(text.length / 4);
      }
    }
    return this._tokens;
  }

  /** The first words of the newest prompt text, for queues and notifications. */
  get preview(): string {
    if (this._preview === null) {
      const messages = this.prompt.messages;
      const last = [...messages].reverse().find((m) => m.role === 'user' || m.role === 'input') ?? messages[messages.length - 1];
      const text = (last?.text ?? this.prompt.system).replace(/\s+/g, ' ').trim();
      this._preview = text.length > 160 ? `${text.slice(0, 159)}…` : text;
    }
    return this._preview;
  }

  /** Same caller and same bytes: what a retry or a duplicate shares. Read for every summary the queue lists: hashed once. */
  get dedupeKey(): string {
    this._dedupeKey ??= `${this.caller.name}\0${this.adapter.path}\0${createHash('sha256').update(this.rawBody).digest('base64')}`;
    return this._dedupeKey;
  }

  /** The bytes that go upstream: the caller's own, or the reviewer's edit. */
  get forwardBody(): Buffer {
    return this.editedBody ? Buffer.from(JSON.stringify(this.editedBody)) : this.rawBody;
  }

  elapsed(): number {
    return Math.round((performance.now() - this.t0) * 1000) / 1000;
  }

  mark(type: TimelineType, extra: Omit<TimelineEvent, 't' | 'type'> = {}): void {
    this.timeline.push({ t: this.elapsed(), type, ...extra });
  }

  onStatus(listener: (flow: RequestFlow, from: RequestStatus | null) => void): void {
    this.listeners.push(listener);
  }

  transition(to: RequestStatus, extra: Omit<TimelineEvent, 't' | 'type'> = {}): void {
    const from = this.status;
    checkTransition(from, to);
    this.status = to;
    if (to !== 'completed' && to !== 'failed') this.mark(to === 'rejected' && from === null ? 'rejected' : (to as TimelineType), extra);
    for (const listener of this.listeners) listener(this, from);
  }

  /** Pauses the flow until a decision resolves it (mitmproxy's intercept/resume). */
  hold(): Promise<HoldOutcome> {
    return new Promise((resolve) => {
      this.resolveHold = resolve;
    });
  }

  get held(): boolean {
    return this.resolveHold !== null;
  }

  resume(outcome: HoldOutcome): boolean {
    const resolve = this.resolveHold;
    if (!resolve) return false;
    this.resolveHold = null;
    resolve(outcome);
    return true;
  }
}
