// The reviewer API client: same-origin fetches to /api/v1 with the session cookie. Every request
// that changes something carries X-Requested-With (the gateway's CSRF guard).
import type {
  ApiErrorBody,
  ApproveBody,
  DecisionOptions,
  Me,
  RejectBody,
  RememberedRule,
  RequestDetail,
  RequestList,
  RequestStatus,
  RequestSummary,
  SessionRecord,
  Stats,
} from '../../../gateway/api/types.js';
import type { ExportEstimate, ExportFiltersBody, ExportRequestBody, SigningKeyInfo } from '../../../gateway/audit/api-types.js';

export const API_BASE = '/api/v1';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let onUnauthorized: (() => void) | null = null;

/** The auth store learns here that the session ended (expired, logged out elsewhere). */
export function setUnauthorizedHandler(handler: (() => void) | null): void {
  onUnauthorized = handler;
}

async function call<T>(method: string, path: string, body?: unknown, options: { keepalive?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (method !== 'GET') headers['X-Requested-With'] = 'airlock';
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`${API_BASE}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      keepalive: options.keepalive,
    });
  } catch {
    throw new ApiError(0, 'network', 'The gateway cannot be reached.');
  }
  if (res.status === 204) return undefined as T;
  const json = await readJson(res);
  if (!res.ok) throw failure(res, path, json);
  return json as T;
}

async function readJson(res: Response): Promise<unknown> {
  const text = await res.text();
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

function failure(res: Response, path: string, json: unknown): ApiError {
  const err = (json as ApiErrorBody | null)?.error;
  // A failed login is a 401 too, but it is not the end of a session.
  if (res.status === 401 && path !== '/session') onUnauthorized?.();
  return new ApiError(res.status, err?.code ?? `http_${res.status}`, err?.message ?? (res.statusText || `HTTP ${res.status}`));
}

/** An audit bundle on its way: the body is read chunk by chunk so the console can show progress. */
export interface ExportDownload {
  /** From `x-airlock-export-sessions`; null when the gateway did not say. */
  sessions: number | null;
  /** Content-Disposition, which names the file. */
  disposition: string | null;
  body: ReadableStream<Uint8Array>;
}

async function startExport(body: ExportRequestBody, signal?: AbortSignal): Promise<ExportDownload> {
  let res: Response;
  try {
    res = await fetch(`${API_BASE}/exports`, {
      method: 'POST',
      headers: { Accept: 'application/zip, application/octet-stream, application/json', 'Content-Type': 'application/json', 'X-Requested-With': 'airlock' },
      body: JSON.stringify(body),
      credentials: 'same-origin',
      signal,
    });
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new ApiError(0, 'network', 'The gateway cannot be reached.');
  }
  if (!res.ok) throw failure(res, '/exports', await readJson(res));
  if (!res.body) throw new ApiError(res.status, 'empty', 'The gateway sent no bundle.');
  const header = res.headers.get('x-airlock-export-sessions');
  const sessions = header !== null && /^\d+$/.test(header) ? Number(header) : null;
  return { sessions, disposition: res.headers.get('content-disposition'), body: res.body };
}

export interface RequestFilter {
  status?: RequestStatus | '';
  caller?: string;
  model?: string;
  q?: string;
  since?: string;
  until?: string;
  limit?: number;
  cursor?: string | null;
}

function query(filter: object): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(filter)) {
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

const enc = encodeURIComponent;

export const api = {
  login: (token: string) => call<Me>('POST', '/session', { token }),
  logout: () => call<void>('DELETE', '/session'),
  me: () => call<Me>('GET', '/me'),
  listRequests: (filter: RequestFilter) => call<RequestList>('GET', `/requests${query(filter)}`),
  getRequest: (id: string) => call<RequestDetail>('GET', `/requests/${enc(id)}`),
  approve: (id: string, body: ApproveBody & DecisionOptions) => call<RequestDetail>('POST', `/requests/${enc(id)}/approve`, body),
  reject: (id: string, body: RejectBody & DecisionOptions) => call<RequestDetail>('POST', `/requests/${enc(id)}/reject`, body),
  /** Claims (or renews) the request for 60 s; `editing` tells the other reviewers "bob is editing". */
  claim: (id: string, body: { editing: boolean }) => call<RequestSummary>('POST', `/requests/${enc(id)}/claim`, body),
  // keepalive: a release sent as the tab closes still reaches the gateway.
  release: (id: string) => call<void>('DELETE', `/requests/${enc(id)}/claim`, undefined, { keepalive: true }),
  /** Extends the hold when the policy allows it (403 otherwise). */
  extend: (id: string, minutes: number) => call<RequestDetail>('POST', `/requests/${enc(id)}/extend`, { minutes }),
  getSession: (id: string) => call<SessionRecord>('GET', `/sessions/${enc(id)}`),
  getStats: (hours: number) => call<Stats>('GET', `/stats?hours=${hours}`),
  /** Admins only; the gateway records who revealed what, and why. */
  reveal: (id: string, reason: string) => call<{ text: string }>('POST', `/requests/${enc(id)}/reveal`, { reason }),
  listRules: () => call<{ items: RememberedRule[] }>('GET', '/rules'),
  revokeRule: (id: string) => call<void>('DELETE', `/rules/${enc(id)}`),
  getSigningKey: () => call<SigningKeyInfo>('GET', '/key'),
  /** Admins and auditors: how many sessions an export with these filters holds. */
  estimateExport: (filters: ExportFiltersBody) => call<ExportEstimate>('GET', `/exports/estimate${query({ ...filters, status: Array.isArray(filters.status) ? filters.status.join(',') : filters.status })}`),
  /** Admins and auditors (raw: admins only, recorded as an audited action). */
  startExport,
};

export type ReviewerApi = typeof api;
