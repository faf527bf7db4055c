// `recording.answers: raw`: the unmasked answer is kept (encrypted) beside the masked one; the console shows the
// masked answer until an admin reveals the raw one with a reason, which is audited. By default nothing raw is kept.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../gateway/store/db.js';
import { DB_FILE } from '../../gateway/store/index.js';
import type { RequestDetail } from '../../gateway/api/types.js';
import { ReviewerClient } from '../support/gateway.js';
import { startRig, user, type Rig } from '../gateway/callers.js';
import { fixed } from './masking/samples.js';

const RAW = `Send the invoice to ${fixed.email}, card ${fixed.card}.`;
const MASKED = 'Send the invoice to [EMAIL], card [CARD].';
const reveal = (client: ReviewerClient, id: string, body: unknown) => client.call<{ text?: string; error?: { code: string; message: string } }>('POST', `/requests/${id}/reveal`, body);

/** The audit chain's events of one type for a request, read from the data dir as an auditor's tool would. */
async function auditEvents(rig: Rig, id: string, type: string): Promise<{ actor: string; type: string }[]> {
  const db = await Database.open(join(rig.gw.dataDir, DB_FILE));
  try {
    return await db.all<{ actor: string; type: string }>('SELECT actor, type FROM audit_events WHERE request_id = ? AND type = ?', [id, type]);
  } finally {
    await db.close();
  }
}

/** Waits until the request's record is written (the store's status is final), and returns it as the API shows it. */
async function recorded(rig: Rig, id: string): Promise<RequestDetail> {
  await rig.gw.api.waitFor(async () => ((await rig.gw.api.list('status=completed')).some((r) => r.id === id) ? true : undefined), 5000, `the record of ${id}`);
  return rig.gw.api.get(id);
}

/** One answered request through a gateway with `answers` recording, streamed or not; returns its id. */
async function answered(rig: Rig, stream: boolean): Promise<string> {
  rig.upstream.next({ kind: 'text', text: RAW });
  const openai = rig.openai();
  if (stream) {
    const { data, response } = await openai.chat.completions.create({ model: 'gpt-4o', messages: user('billing contact?'), stream: true }).withResponse();
    for await (const _ of data);
    return response.headers.get('x-airlock-request-id')!;
  }
  const { data, response } = await openai.chat.completions.create({ model: 'gpt-4o', messages: user('billing contact?') }).withResponse();
  expect(data.choices[0].message.content).toBe(MASKED);
  return response.headers.get('x-airlock-request-id')!;
}

describe('recording.answers: raw', () => {
  let rig: Rig;
  let reviewer: ReviewerClient;

  beforeAll(async () => {
    rig = await startRig({ config: { recording: { answers: 'raw' }, policies: [{ name: 'let-through', action: 'approve' }] } });
    reviewer = new ReviewerClient(rig.gw.url, await rig.gw.gateway.issueReviewerToken('bob', 'reviewer'));
  });
  afterAll(() => rig.close());

  it.each([
    ['a JSON answer', false],
    ['a streamed answer', true],
  ])('%s shows masked and revealable; an admin with a reason gets the raw text, and it is audited', async (_name, stream) => {
    const id = await answered(rig, stream);
    const detail = await recorded(rig, id);
    expect(detail.response).toMatchObject({ text: MASKED, revealable: true });
    expect(JSON.stringify(detail)).not.toContain(fixed.email);
    const session = await rig.gw.api.session(id);
    expect(JSON.stringify(session)).not.toContain(fixed.email);

    const revealed = await reveal(rig.gw.api, id, { reason: 'billing dispute #4411' });
    expect(revealed.status).toBe(200);
    expect(revealed.body).toEqual({ text: RAW });

    expect(await auditEvents(rig, id, 'answer.revealed')).toEqual([{ actor: 'alice', type: 'answer.revealed' }]);
  });

  it('refuses a reveal without a reason, and refuses a reviewer who is not an admin', async () => {
    const id = await answered(rig, false);
    await recorded(rig, id);

    const noReason = await reveal(rig.gw.api, id, {});
    expect(noReason.status).toBe(400);
    expect(noReason.body.error?.message).toMatch(/needs a reason/);
    expect((await reveal(rig.gw.api, id, { reason: '   ' })).status).toBe(400);

    const notAdmin = await reveal(reviewer, id, { reason: 'curious' });
    expect(notAdmin.status).toBe(403);
    expect(notAdmin.body.text).toBeUndefined();
    expect(await auditEvents(rig, id, 'answer.revealed')).toEqual([]);
    // The reviewer still sees the masked answer.
    expect((await reviewer.get(id)).response).toMatchObject({ text: MASKED, revealable: true });
  });

  it('an answer with nothing to mask has nothing to reveal', async () => {
    rig.upstream.next({ kind: 'text', text: 'Nothing personal.' });
    const { response } = await rig.openai().chat.completions.create({ model: 'gpt-4o', messages: user('hi') }).withResponse();
    const id = response.headers.get('x-airlock-request-id')!;
    const detail = await recorded(rig, id);
    expect(detail.response?.text).toBe('Nothing personal.');
    expect(detail.response?.revealable).toBeFalsy();
    expect((await reveal(rig.gw.api, id, { reason: 'check' })).status).toBe(404);
  });
});

describe('by default (answers: masked)', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startRig({ config: { policies: [{ name: 'let-through', action: 'approve' }] } });
  });
  afterAll(() => rig.close());

  it('a request the API reports completed comes with its (masked) answer, even before its record is written', async () => {
    // The first request of a fresh gateway: its record is the slowest to write (the audit chain starts).
    const id = await answered(rig, true);
    const detail = await rig.gw.api.waitForStatus(id, 'completed');
    expect(detail.response).toMatchObject({ status: 200, text: MASKED });
    const session = await rig.gw.api.session(id);
    expect(session.request.response).toMatchObject({ status: 200, text: MASKED });
  });

  it('keeps no raw answer: not revealable, and a reveal finds nothing', async () => {
    const id = await answered(rig, false);
    const detail = await recorded(rig, id);
    expect(detail.response?.text).toBe(MASKED);
    expect(detail.response?.revealable).toBeFalsy();
    const revealed = await reveal(rig.gw.api, id, { reason: 'billing dispute' });
    expect(revealed.status).toBe(404);
    expect(JSON.stringify(revealed.body)).not.toContain(fixed.email);
  });
});
