// Who is calling the reviewer API: a Bearer token (scripts, the CLI) or the console's HttpOnly session cookie.
import type { NextFunction, Request, Response } from 'express';
import type { ReviewerRole } from './types.js';
import { AirlockError } from '../errors.js';
import type { IdentityStore } from '../store/identities.js';

export const SESSION_COOKIE = 'airlock_session';
export const SESSION_TTL_MS = 12 * 3_600_000;

export interface Reviewer {
  name: string;
  role: ReviewerRole;
}

declare module 'express-serve-static-core' {
  interface Request {
    reviewer?: Reviewer;
  }
}

export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

export function authenticate(identities: IdentityStore) {
  return async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    try {
      const auth = req.headers.authorization;
      if (auth?.toLowerCase().startsWith('bearer ')) {
        req.reviewer = await identities.reviewerByToken(auth.slice(7).trim());
        if (!req.reviewer) throw new AirlockError('unauthorized', { message: 'Unknown or revoked reviewer token.' });
        return next();
      }
      const session = readCookie(req, SESSION_COOKIE);
      if (session) {
        req.reviewer = await identities.reviewerBySession(session);
        if (!req.reviewer) throw new AirlockError('unauthorized', { message: 'Your console session has expired; log in again.' });
        // Cookies ride along on cross-site requests; a custom header cannot, which is what makes this CSRF-safe.
        if (req.method !== 'GET' && req.headers['x-requested-with'] !== 'airlock') {
          throw new AirlockError('forbidden', { message: 'Missing X-Requested-With: airlock header.' });
        }
        return next();
      }
      throw new AirlockError('unauthorized', { message: 'Log in with a reviewer token.' });
    } catch (err) {
      next(err);
    }
  };
}

export function requireRole(...roles: ReviewerRole[]) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (req.reviewer && roles.includes(req.reviewer.role)) return next();
    next(new AirlockError('forbidden', { message: `This needs the ${roles.join(' or ')} role.` }));
  };
}
