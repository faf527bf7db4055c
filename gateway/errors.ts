// One error type for everything the gateway refuses or fails at; each protocol adapter renders it in its API's shape.

export type ErrorCode =
  | 'invalid_request'
  | 'invalid_json'
  | 'body_too_large'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'not_pending'
  | 'claimed'
  | 'approval_rejected'
  | 'approval_timeout'
  | 'approval_pending'
  | 'policy_rejected'
  | 'rate_limited'
  | 'intake_paused'
  | 'gateway_shutdown'
  | 'store_unavailable'
  | 'upstream_unreachable'
  | 'upstream_timeout'
  | 'upstream_error'
  | 'internal';

const STATUS: Record<ErrorCode, number> = {
  invalid_request: 400,
  invalid_json: 400,
  body_too_large: 413,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  not_pending: 409,
  claimed: 409,
  approval_rejected: 403,
  approval_timeout: 403,
  // A hold that outlasts what an HTTP client waits for: the client libraries retry 408, and the retry joins the hold.
  approval_pending: 408,
  policy_rejected: 403,
  rate_limited: 429,
  intake_paused: 503,
  gateway_shutdown: 503,
  store_unavailable: 503,
  upstream_unreachable: 502,
  upstream_timeout: 504,
  upstream_error: 502,
  internal: 500,
};

/** Codes the client libraries must not retry: a decision is final. */
const NO_RETRY = new Set<ErrorCode>([
  'approval_rejected',
  'approval_timeout',
  'policy_rejected',
  'intake_paused',
  'gateway_shutdown',
  'forbidden',
]);

export interface AirlockErrorOptions {
  message: string;
  param?: string | null;
  status?: number;
  retryAfterSeconds?: number;
  cause?: unknown;
}

export class AirlockError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly param: string | null;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, options: AirlockErrorOptions) {
    super(options.message, { cause: options.cause });
    this.name = 'AirlockError';
    this.code = code;
    this.status = options.status ?? STATUS[code];
    this.param = options.param ?? null;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** Headers every protocol sends with this error. */
  headers(): Record<string, string> {
    const headers: Record<string, string> = {};
    if (NO_RETRY.has(this.code)) headers['x-should-retry'] = 'false';
    if (this.code === 'approval_pending') headers['x-should-retry'] = 'true';
    if (this.retryAfterSeconds !== undefined) headers['retry-after'] = String(Math.max(0, Math.ceil(this.retryAfterSeconds)));
    return headers;
  }
}

export function isAirlockError(err: unknown): err is AirlockError {
  return err instanceof AirlockError;
}

export function toAirlockError(err: unknown): AirlockError {
  if (err instanceof AirlockError) return err;
  return new AirlockError('internal', { message: 'Airlock hit an internal error; the request was not forwarded.', cause: err });
}
