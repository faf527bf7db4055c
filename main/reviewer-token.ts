// The desktop user's own reviewer identity: an admin named "desktop", created on first run, its token kept
// sealed in the desktop secrets and handed only to the console window through the preload.
import type { Gateway } from '../gateway/server.js';
import type { DesktopSecrets } from './secrets.js';

export const DESKTOP_REVIEWER = 'desktop';

type Fetch = (input: URL, init: { headers: Record<string, string> }) => Promise<{ ok: boolean }>;

/** Keeps the stored token while the gateway accepts it; otherwise (first run, revoked, new data dir) issues one. */
export async function ensureReviewerToken(
  gateway: Pick<Gateway, 'url' | 'issueReviewerToken'>,
  secrets: Pick<DesktopSecrets, 'reviewerToken' | 'update'>,
  fetchImpl: Fetch = fetch,
): Promise<string> {
  const stored = secrets.reviewerToken;
  if (stored && (await accepted(gateway.url, stored, fetchImpl))) return stored;
  const token = await gateway.issueReviewerToken(DESKTOP_REVIEWER, 'admin');
  await secrets.update({ reviewerToken: token });
  return token;
}

async function accepted(url: string, token: string, fetchImpl: Fetch): Promise<boolean> {
  try {
    const response = await fetchImpl(new URL('/api/v1/me', url), { headers: { authorization: `Bearer ${token}` } });
    return response.ok;
  } catch {
    return false;
  }
}
