// The reviewer API's wire types: defined once here, imported type-only by renderer/ and main/.
// Every timestamp is an ISO-8601 string; every duration is milliseconds.

export type RequestStatus =
  | 'pending'
  | 'approved'
  | 'rejected'
  | 'timed_out'
  | 'cancelled'
  | 'interrupted'
  | 'forwarding'
  | 'completed'
  | 'failed';

export type Protocol = 'openai-chat' | 'openai-responses' | 'openai-embeddings' | 'anthropic-messages';

export type ReviewerRole = 'admin' | 'reviewer' | 'auditor';

export interface Claim {
  reviewer: string;
  until: string;
  /** The reviewer is editing the request (others see "alice is editing"). */
  editing?: boolean;
}

/** One row of the queue or the history. */
export interface RequestSummary {
  id: string;
  status: RequestStatus;
  caller: string;
  protocol: Protocol;
  model: string;
  stream: boolean;
  createdAt: string;
  updatedAt: string;
  /** The policy rule that decided or sent it for review (null: the built-in default). */
  policy: string | null;
  /** First words of the newest prompt text (plain text, render as text). */
  preview: string;
  /** Estimated prompt tokens. */
  tokens: number;
  /** When the hold ends by itself (pending only). */
  timeoutAt: string | null;
  claim: Claim | null;
  /** Identical pending requests from the same caller folded into this one. */
  duplicates: number;
  /** The request this one is an identical copy of (same caller, same body, both pending): shown and decided as its group. */
  groupOf: string | null;
  escalated: boolean;
  /** Reviewers the policy escalates to when nobody decides in time (`escalateAfter`). */
  escalateTo: string[];
  /** Approvals still needed (two-person rule); 0 once decided. */
  approvalsNeeded: number;
  /** Whether a reviewer may extend the wait (POST …/extend). */
  extendable: boolean;
  /** What a pending item waits on: the request before it goes upstream, or the model's answer before it is released. */
  phase: 'request' | 'response';
  /** Its text was shredded (`airlock shred`, retention): what is left is the metadata and the audit trail. */
  shredded: boolean;
}

export type DecisionAction = 'approve' | 'reject' | 'timeout' | 'policy_approve' | 'policy_reject' | 'cancel';

export interface Decision {
  action: DecisionAction;
  /** The reviewer's name; null for the policy, a timeout or the caller leaving. */
  reviewer: string | null;
  reason: string | null;
  note: string | null;
  edited: boolean;
  at: string;
}

export interface ResponseRecord {
  status: number;
  /** Parsed JSON body for non-streamed answers. */
  body: unknown | null;
  /** The assembled answer text (streamed or not), as the caller received it (masked). */
  text: string;
  /** The unmasked answer was recorded too: an admin may reveal it, with a reason (audited). */
  revealable?: boolean;
}

export interface ErrorRecord {
  code: string;
  message: string;
}

export interface RequestDetail extends RequestSummary {
  path: string;
  /** The request JSON as the caller sent it. */
  body: unknown;
  /** The request JSON as forwarded after a reviewer's edit (null if not edited). */
  editedBody: unknown | null;
  decisions: Decision[];
  /** The previous turn of the same conversation, if one was seen. */
  previousId: string | null;
  response: ResponseRecord | null;
  error: ErrorRecord | null;
}

export type TimelineType =
  | 'arrived'
  | 'pending'
  | 'notified'
  | 'claimed'
  | 'edited'
  | 'approved'
  | 'rejected'
  | 'timed_out'
  | 'escalated'
  | 'cancelled'
  | 'interrupted'
  | 'forwarding'
  | 'first_byte'
  | 'chunk'
  | 'completed'
  | 'failed';

export interface TimelineEvent {
  /** Milliseconds since the request arrived. */
  t: number;
  type: TimelineType;
  by?: string;
  /** For `chunk`: the text the caller saw in this chunk (may be empty for non-text events). */
  text?: string;
  /** For `chunk`: the raw bytes sent to the caller, as UTF-8. */
  raw?: string;
  detail?: string;
}

export interface SessionRecord {
  id: string;
  request: RequestDetail;
  timeline: TimelineEvent[];
}

export interface RequestList {
  items: RequestSummary[];
  /** Opaque cursor for the next page (null when this is the last). */
  next: string | null;
  total?: number;
}

export interface Me {
  name: string;
  role: ReviewerRole;
}

/** Server-Sent Events on GET /api/v1/events: `event: <type>` and `data: <json of this>`. */
export type QueueEventType =
  | 'request.pending'
  | 'request.updated'
  | 'request.decided'
  | 'request.completed';

export interface QueueEvent {
  type: QueueEventType;
  request: RequestSummary;
}

export type RememberScope = 'request' | '15m' | '1h' | 'conversation' | 'always';

export interface ApproveBody {
  /** The edited request JSON to forward instead of the original. */
  body?: unknown;
  note?: string;
  /** Also approve what comes next from this caller and model: for 15 min, 1 h, this conversation, or always (a rule). Default: this request only. */
  remember?: RememberScope;
  force?: boolean;
}

export interface RevealResponse {
  text: string;
}

export interface RuleList {
  items: RememberedRule[];
}

export interface RememberedRule {
  id: string;
  caller: string;
  model: string;
  scope: Exclude<RememberScope, 'request'>;
  createdBy: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
  sourceRequest: string | null;
}

export interface RejectBody {
  reason: string;
}

export interface ApiErrorBody {
  error: { code: string; message: string };
}

export interface Stats {
  /** Requests per hour over the window, oldest first. */
  perHour: { hour: string; total: number; approved: number; rejected: number }[];
  /** Time from arrival to a reviewer's decision, milliseconds. */
  wait: { p50: number; p90: number; max: number; count: number };
  rejectionRate: number;
  perCaller: { caller: string; total: number; approved: number; rejected: number; failed: number }[];
}

/** Sent by the console with `force: true` after the reviewer confirmed deciding on another reviewer's claim. */
export interface DecisionOptions {
  force?: boolean;
}
