// The reviewer API under /api/v1: thin routes over the queue and the store.
import express, { type NextFunction, type Request, type Response, Router } from 'express';
import type { EventEmitter } from 'node:events';
import { AirlockError, toAirlockError } from '../errors.js';
import type { ReviewQueue } from '../flow/queue.js';
import { conversationHashes } from '../flow/conversation.js';
import { findAdapter } from '../protocols/index.js';
import type { SessionStore } from '../store/index.js';
import type { LiveOverlay } from '../store/requests.js';
import type { RememberScope, RequestDetail, RequestStatus } from './types.js';
import type { RequestFlow } from '../flow/request-flow.js';
import type { RememberedRules } from '../guard/remembered.js';

const SCOPES: RememberScope[] = ['request', '15m', '1h', 'conversation', 'always'];
import { authenticate, readCookie, requireRole, SESSION_COOKIE, SESSION_TTL_MS } from './auth.js';
import { eventStream } from './events.js';
import { auditApi } from '../audit/api.js';
import { REQUEST_STATUSES } from '../audit/bundle-format.js';


export interface ReviewerApiDeps {
  store: SessionStore;
  queue: ReviewQueue;
  overlay: LiveOverlay;
  events: EventEmitter;
  /** Live timelines of flows in progress, by id. */
  liveTimeline: (id: string) => import('./types.js').TimelineEvent[] | undefined;
  /** A flow still in progress (for an answer held for review). */
  liveFlow: (id: string) => RequestFlow | undefined;
  remembered: RememberedRules;
  secureCookies: boolean;
}

export function reviewerApi(deps: ReviewerApiDeps): Router {
  const { store, queue, overlay } = deps;
  const api = Router();
  api.use(express.json({ limit: '20mb' }));

  api.post('/session', async (req, res) => {
    const token = typeof req.body?.token === 'string' ? req.body.token.trim() : '';
    const reviewer = token ? await store.identities.reviewerByToken(token) : undefined;
    if (!reviewer) throw new AirlockError('unauthorized', { message: 'Unknown or revoked reviewer token.' });
    const session = await store.identities.openConsoleSession(reviewer.name, SESSION_TTL_MS);
    res.setHeader('set-cookie', `${SESSION_COOKIE}=${session}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_TTL_MS / 1000}${deps.secureCookies ? '; Secure' : ''}`);
    res.json(reviewer);
  });

  api.delete('/session', async (req, res) => {
    const session = readCookie(req, SESSION_COOKIE);
    if (session) await store.identities.closeConsoleSession(session);
    res.setHeader('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
    res.status(204).end();
  });

  api.use(authenticate(store.identities));

  api.get('/me', (req, res) => {
    res.json(req.reviewer);
  });

  api.use(auditApi(store)); // GET /key, GET /exports/estimate, POST /exports

  api.get('/requests', async (req, res) => {
    const q = req.query as Record<string, string | undefined>;
    const status = q.status ? q.status.split(',').filter((s): s is RequestStatus => (REQUEST_STATUSES as string[]).includes(s)) : undefined;
    if (q.status && !status?.length) throw new AirlockError('invalid_request', { message: `Unknown status "${q.status}".` });
    const time = (v: string | undefined, name: string) => {
      if (!v) return undefined;
      const t = Date.parse(v);
      if (Number.isNaN(t)) throw new AirlockError('invalid_request', { message: `${name} must be an ISO date.` });
      return t;
    };
    const limit = q.limit === undefined ? undefined : Number(q.limit);
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1 && limit <= 500)) {
      throw new AirlockError('invalid_request', { message: 'limit must be a whole number from 1 to 500.', param: 'limit' });
    }
    res.json(
      await store.requests.list(
        { status, caller: q.caller || undefined, model: q.model || undefined, q: q.q || undefined, since: time(q.since, 'since'), until: time(q.until, 'until'), cursor: q.cursor || undefined, limit },
        overlay,
      ),
    );
  });

  api.get('/requests/:id', async (req, res) => {
    const detail = await store.requests.get(req.params.id, overlay);
    if (!detail) throw new AirlockError('not_found', { message: 'No such request.' });
    if (detail.previousId === null) detail.previousId = await previousTurn(deps, detail.id, detail.path, detail.caller, detail.body);
    res.json(withLiveAnswer(deps, detail));
  });

  const decide = (action: 'approve' | 'reject') => async (req: Request, res: Response) => {
    const reviewer = req.reviewer!;
    const body = (req.body ?? {}) as { body?: unknown; note?: unknown; reason?: unknown; force?: unknown; remember?: unknown };
    const remember = body.remember === undefined ? 'request' : (body.remember as RememberScope);
    if (!SCOPES.includes(remember)) throw new AirlockError('invalid_request', { message: `remember must be one of ${SCOPES.join(', ')}.`, param: 'remember' });
    const flow = queue.get(req.params.id as string);
    if (action === 'reject' && (typeof body.reason !== 'string' || !body.reason.trim())) {
      throw new AirlockError('invalid_request', { message: 'A rejection needs a reason; the calling program sees it.', param: 'reason' });
    }
    // The rule exists before the flow resumes, so the caller's very next request already meets it.
    // A rule stands in for one reviewer's approval, so it cannot stand in for a two-person rule.
    if (remember !== 'request' && flow?.policy && flow.policy.approvals > 1) {
      throw new AirlockError('invalid_request', { message: `This request needs ${flow.policy.approvals} approvals; an approval cannot be remembered for it.`, param: 'remember' });
    }
    const rule = action === 'approve' && flow && remember !== 'request' && flow.held && reviewer.role !== 'auditor' ? await deps.remembered.remember(flow, remember, reviewer.name) : null;
    try {
      await queue.decide(req.params.id as string, {
        action,
        reviewer: reviewer.name,
        role: reviewer.role,
        reason: typeof body.reason === 'string' ? body.reason : undefined,
        note: typeof body.note === 'string' ? body.note : undefined,
        body: body.body,
        force: body.force === true,
      });
    } catch (err) {
      if (rule) await deps.remembered.revoke(rule.id, reviewer.name);
      throw err;
    }
    if (rule) await store.requests.audit.write((chain) => chain.action(reviewer.name, 'rule.created', { rule: rule.id, scope: rule.scope, caller: rule.caller, model: rule.model }, flow!.id));
    // The answer shows the decision taken, though the flow it resumed may not have moved on yet.
    const detail = await store.requests.get(req.params.id as string, overlay);
    if (detail?.status === 'pending' && flow && !flow.held) detail.status = action === 'approve' ? 'approved' : 'rejected';
    res.json(detail);
  };
  // Acting on a request that never was is a 404; on one that is no longer pending, the action's own 409.
  const known = async (req: Request, _res: Response, next: () => void) => {
    const id = req.params.id as string;
    if (!queue.get(id) && !(await store.requests.exists(id))) throw new AirlockError('not_found', { message: 'No such request.' });
    next();
  };
  api.use('/requests/:id/:action', known);
  api.post('/requests/:id/approve', requireRole('admin', 'reviewer'), decide('approve'));
  api.post('/requests/:id/reject', requireRole('admin', 'reviewer'), decide('reject'));

  api.post('/requests/:id/claim', requireRole('admin', 'reviewer'), async (req, res) => {
    queue.claim(req.params.id as string, req.reviewer!.name, (req.body as { editing?: unknown } | undefined)?.editing === true);
    res.json((await store.requests.get(req.params.id as string, overlay)) ?? null);
  });
  api.delete('/requests/:id/claim', requireRole('admin', 'reviewer'), (req, res) => {
    queue.unclaim(req.params.id as string, req.reviewer!.name);
    res.status(204).end();
  });
  api.post('/requests/:id/extend', requireRole('admin', 'reviewer'), async (req, res) => {
    const minutes = Number((req.body as { minutes?: unknown })?.minutes ?? 10);
    if (!Number.isFinite(minutes) || minutes <= 0 || minutes > 24 * 60) throw new AirlockError('invalid_request', { message: 'minutes must be between 1 and 1440.', param: 'minutes' });
    queue.extend(req.params.id as string, req.reviewer!.name, minutes * 60_000);
    res.json(await store.requests.get(req.params.id as string, overlay));
  });

  api.get('/sessions/:id', async (req, res) => {
    const session = await store.requests.session(req.params.id, overlay, deps.liveTimeline(req.params.id));
    if (!session) throw new AirlockError('not_found', { message: 'No such session.' });
    withLiveAnswer(deps, session.request);
    // Who watched what: opening a replay is itself recorded.
    await store.requests.audit.write((chain) => chain.action(req.reviewer!.name, 'session.viewed', {}, session.id));
    res.json(session);
  });

  api.post('/requests/:id/reveal', requireRole('admin'), async (req, res) => {
    const reason = (req.body as { reason?: unknown })?.reason;
    if (typeof reason !== 'string' || !reason.trim()) throw new AirlockError('invalid_request', { message: 'Revealing an unmasked answer needs a reason.', param: 'reason' });
    const text = await store.requests.rawAnswer(req.params.id as string);
    if (text === null) throw new AirlockError('not_found', { message: 'No unmasked answer was recorded for this request.' });
    await store.requests.audit.write((chain) => chain.action(req.reviewer!.name, 'answer.revealed', { reason }, req.params.id as string));
    res.json({ text });
  });

  api.get('/rules', async (_req, res) => {
    res.json({ items: await deps.remembered.list() });
  });

  api.delete('/rules/:id', requireRole('admin', 'reviewer'), async (req, res) => {
    const rule = (await deps.remembered.list()).find((r) => r.id === req.params.id);
    if (!rule) throw new AirlockError('not_found', { message: 'No such rule.' });
    if (req.reviewer!.role !== 'admin' && rule.createdBy !== req.reviewer!.name) throw new AirlockError('forbidden', { message: 'Only an admin or the reviewer who made it can revoke this rule.' });
    await deps.remembered.revoke(rule.id, req.reviewer!.name);
    await store.requests.audit.write((chain) => chain.action(req.reviewer!.name, 'rule.revoked', { rule: rule.id }, rule.sourceRequest));
    res.status(204).end();
  });

  api.get('/stats', async (req, res) => {
    const hours = Math.min(Math.max(Number(req.query.hours ?? 24) || 24, 1), 24 * 90);
    res.json(await store.requests.stats(hours));
  });

  api.get('/events', eventStream(deps.events));

  api.use((_req, _res, next) => next(new AirlockError('not_found', { message: 'No such API route.' })));
  api.use(apiErrors);
  return api;
}

/**
 * An answer the store does not have yet, from the flow in progress: one held for review, or one already sent
 * whose record is still being written (the API reports the live status, so `completed` comes with its answer).
 */
function withLiveAnswer(deps: ReviewerApiDeps, detail: RequestDetail): RequestDetail {
  const result = deps.liveFlow(detail.id)?.result;
  if (result && !detail.response) detail.response = { status: result.status, body: result.body, text: result.text };
  return detail;
}

async function previousTurn(deps: ReviewerApiDeps, id: string, path: string, caller: string, body: unknown): Promise<string | null> {
  const adapter = findAdapter('POST', path);
  if (!adapter || !body || typeof body !== 'object') return null;
  try {
    const prompt = adapter.prompt(body as Record<string, unknown>);
    const { prefixes } = conversationHashes(deps.store.crypto, { caller: { name: caller, owner: null }, adapter, prompt });
    return await deps.store.requests.findPreviousTurn(id, prefixes);
  } catch {
    return null;
  }
}

export function apiErrors(err: unknown, _req: Request, res: Response, _next: NextFunction): void {
  const error = (err as { type?: string }).type === 'entity.parse.failed'
    ? new AirlockError('invalid_json', { message: 'The request body is not valid JSON.' })
    : toAirlockError(err);
  if (res.headersSent) {
    res.end();
    return;
  }
  res.status(error.status).json({ error: { code: error.code, message: error.message } });
}
