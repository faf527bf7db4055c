// The audit routes of the reviewer API (mounted under /api/v1 after authentication): the public key for the
// console, an estimate for the export screen's progress bar, and the export itself, streamed.
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { requireRole } from '../api/auth.js';
import { AirlockError } from '../errors.js';
import type { MaskingConfig } from '../guard/masking/index.js';
import type { SessionStore } from '../store/index.js';
import type { ExportEstimate, ExportRequestBody, SigningKeyInfo } from './api-types.js';
import { countSessions } from './bundle-sessions.js';
import { REQUEST_STATUSES as STATUSES } from './bundle-format.js';
import { exportBundle, sessionQuery, type ExportRequest } from './export.js';
import { fingerprint, publicKeyPem } from './signing-key.js';

const isoTime = z.string().transform((v, ctx) => {
  const t = Date.parse(v);
  if (Number.isNaN(t)) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not an ISO date` });
    return z.NEVER;
  }
  return t;
});
const statusList = z.union([z.array(z.enum(STATUSES)), z.string().transform((v) => v.split(',').filter(Boolean))]).pipe(z.array(z.enum(STATUSES)));

const filtersSchema = z
  .object({
    since: isoTime.optional(),
    until: isoTime.optional(),
    caller: z.string().min(1).optional(),
    status: statusList.optional(),
  })
  // An empty range is a mistake, not an empty bundle.
  .refine((f) => f.since === undefined || f.until === undefined || f.since <= f.until, { message: 'the range ends before it starts', path: ['until'] });

const exportSchema = filtersSchema.extend({
  raw: z.boolean().optional(),
  passphrase: z.string().min(1).optional(),
  recipient: z.string().regex(/^age1[0-9a-z]+$/, 'an age recipient (age1…)').optional(),
});

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new AirlockError('invalid_request', { message: `${issue.path.join('.') || 'body'}: ${issue.message}`, param: issue.path.join('.') || null });
}

export function auditApi(store: SessionStore, opts: { masking?: MaskingConfig } = {}): Router {
  const api = Router();

  api.get('/key', async (_req: Request, res: Response) => {
    const key = await store.requests.audit.signingKey();
    const body: SigningKeyInfo = { algorithm: 'Ed25519', gatewayId: key.gatewayId, fingerprint: fingerprint(key.publicKey), publicKey: publicKeyPem(key.publicKey) };
    res.json(body);
  });

  api.get('/exports/estimate', requireRole('admin', 'auditor'), async (req: Request, res: Response) => {
    const filters = parse(filtersSchema, req.query);
    await store.requests.settledForRead(); // counts every session answered so far
    const body: ExportEstimate = { sessions: await countSessions(store.db, sessionQuery(filters)) };
    res.json(body);
  });

  api.post('/exports', requireRole('admin', 'auditor'), async (req: Request, res: Response) => {
    const body = parse(exportSchema, req.body as ExportRequestBody);
    const reviewer = req.reviewer!;
    if (body.raw && reviewer.role !== 'admin') throw new AirlockError('forbidden', { message: 'Only an admin may export unmasked (raw) content.' });
    if (body.passphrase && body.recipient) throw new AirlockError('invalid_request', { message: 'Encrypt to a passphrase or to a recipient, not both.' });
    await store.requests.settledForRead();
    const sessions = await countSessions(store.db, sessionQuery(body));
    const encryption: ExportRequest['encryption'] = body.passphrase ? { passphrase: body.passphrase } : body.recipient ? { recipient: body.recipient } : undefined;
    const name = `airlock-audit-${new Date().toISOString().replace(/[:.]/g, '-')}.zip${encryption ? '.age' : ''}`;
    res.setHeader('content-type', encryption ? 'application/octet-stream' : 'application/zip');
    res.setHeader('content-disposition', `attachment; filename="${name}"`);
    res.setHeader('x-airlock-export-sessions', String(sessions));
    res.setHeader('cache-control', 'no-store');
    await exportBundle(store, res, {
      ...sessionQuery(body),
      content: body.raw ? 'raw' : 'masked',
      exporter: { name: reviewer.name, via: 'api', role: reviewer.role },
      masking: opts.masking,
      encryption,
    });
  });

  return api;
}
