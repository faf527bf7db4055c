// Caller keys: accepted as Bearer or x-api-key, refused when unknown or revoked; the upstream key stays between Airlock and the upstream.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openIdentityStore } from '../../gateway/store/index.js';
import { anthropicHeaders, approved, openaiHeaders, send, startRig, UPSTREAM_KEY, user, type Exchange, type Rig } from './callers.js';

let rig: Rig;
/** Every answer the gateway gave in this file, to look for the upstream key in. */
const answers: Exchange[] = [];

beforeAll(async () => {
  rig = await startRig();
});
afterAll(() => rig.close());
beforeEach(() => rig.upstream.reset());

async function call(path: string, init: { headers: Record<string, string>; body?: unknown }): Promise<Exchange> {
  const answer = await send(`${rig.gw.url}${path}`, { headers: init.headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  answers.push(answer);
  return answer;
}

const chat = { model: 'gpt-4o', messages: user('which key?') };
const message = { model: 'claude-haiku-4-5', max_tokens: 32, messages: user('which key?') };

describe('accepted keys', () => {
  it('takes the caller key as Authorization: Bearer (the openai SDK) and as x-api-key', async () => {
    expect((await rig.openai().models.list()).data.length).toBeGreaterThan(0);
    const viaHeader = await call('/v1/models', { headers: { 'x-api-key': rig.gw.callerKey } });
    expect(viaHeader.status).toBe(200);

    const { result } = await approved(rig.gw, () => call('/v1/chat/completions', { headers: { 'x-api-key': rig.gw.callerKey, 'content-type': 'application/json' }, body: chat }));
    expect(result.status).toBe(200);
    expect(JSON.parse(result.text).choices[0].message.content).toBe('Echo: which key?');
  });

  it('takes the Anthropic SDK key (Bearer) and a plain x-api-key on /v1/messages', async () => {
    const { result: viaSdk } = await approved(rig.gw, () => rig.anthropic().messages.create(message));
    expect(viaSdk.content).toEqual([{ type: 'text', text: 'Echo: which key?' }]);
    const { result: viaHeader } = await approved(rig.gw, () => call('/v1/messages', { headers: anthropicHeaders(rig.gw.callerKey), body: message }));
    expect(viaHeader.status).toBe(200);
  });
});

describe('refused keys', () => {
  it('answers an unknown key with 401 in the OpenAI shape, before anything is queued or forwarded', async () => {
    const answer = await call('/v1/chat/completions', { headers: openaiHeaders('alk_not-a-real-key'), body: chat });
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.text)).toEqual({ error: { message: expect.any(String), type: 'invalid_request_error', param: null, code: 'invalid_api_key' } });

    const error = await rig.openai({ apiKey: 'alk_not-a-real-key' }).chat.completions.create(chat).catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error.status).toBe(401);
    expect(error.code).toBe('invalid_api_key');
    expect(rig.upstream.requests).toHaveLength(0);
    expect(await rig.gw.api.list('status=pending')).toEqual([]);
  });

  it('answers an unknown key with 401 in the Anthropic shape on /v1/messages', async () => {
    const answer = await call('/v1/messages', { headers: anthropicHeaders('alk_not-a-real-key'), body: message });
    expect(answer.status).toBe(401);
    const body = JSON.parse(answer.text);
    expect(body).toMatchObject({ type: 'error', error: { type: 'authentication_error', message: expect.any(String) } });
    expect(Object.keys(body.error).sort()).toEqual(['message', 'type']);

    const error = await rig.anthropic({ apiKey: 'alk_not-a-real-key' }).messages.create(message).catch((e) => e);
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(error.type).toBe('authentication_error');
    expect(rig.upstream.requests).toHaveLength(0);
  });

  it('answers a missing key with 401', async () => {
    const answer = await call('/v1/chat/completions', { headers: { 'content-type': 'application/json' }, body: chat });
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.text).error.type).toBe('invalid_request_error');
  });

  it('refuses a revoked key at once', async () => {
    const key = await rig.gw.gateway.issueCallerKey('short-lived');
    expect((await call('/v1/models', { headers: openaiHeaders(key) })).status).toBe(200);
    // Revoked on a second connection to the data dir, as `airlock callers revoke` does.
    const store = await openIdentityStore(rig.gw.dataDir);
    expect(await store.identities.revokeCaller('short-lived')).toBe(true);
    await store.close();
    const answer = await call('/v1/models', { headers: openaiHeaders(key) });
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.text).error.code).toBe('invalid_api_key');
  });
});

describe('the upstream key', () => {
  it('is the only key the upstream receives, and no answer carries it', async () => {
    await approved(rig.gw, () => call('/v1/chat/completions', { headers: openaiHeaders(rig.gw.callerKey), body: { ...chat, stream: true } }));
    await approved(rig.gw, () => call('/v1/messages', { headers: anthropicHeaders(rig.gw.callerKey), body: message }));
    await approved(rig.gw, () => call('/v1/messages', { headers: { ...anthropicHeaders(rig.gw.callerKey), authorization: `Bearer ${rig.gw.callerKey}` }, body: { ...message, stream: true } }));
    await call('/v1/models', { headers: openaiHeaders(rig.gw.callerKey) });
    rig.upstream.next({ kind: 'error', status: 401 });
    await approved(rig.gw, () => call('/v1/chat/completions', { headers: openaiHeaders(rig.gw.callerKey), body: chat }));

    expect(rig.upstream.requests).toHaveLength(5);
    for (const req of rig.upstream.requests) {
      if (req.path === '/v1/messages') {
        expect(req.headers['x-api-key']).toBe(UPSTREAM_KEY);
        expect(req.headers.authorization).toBeUndefined();
      } else {
        expect(req.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
        expect(req.headers['x-api-key']).toBeUndefined();
      }
      expect(JSON.stringify(req)).not.toContain(rig.gw.callerKey);
    }
    expect(answers.length).toBeGreaterThan(10);
    for (const answer of answers) expect(JSON.stringify(answer)).not.toContain(UPSTREAM_KEY);
  });
});
