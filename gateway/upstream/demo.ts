// The built-in demo model: answers in each API's own wire format without any network, so a first run shows the whole flow.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeSse } from '../protocols/adapter.js';
import type { UpstreamClient, UpstreamRequest, UpstreamResponse } from './client.js';

const WORD_DELAY_MS = 25;

function lastUserText(body: Record<string, unknown>): string {
  const messages = (body.messages ?? body.input) as unknown;
  if (typeof messages === 'string') return messages;
  if (!Array.isArray(messages)) return '';
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as { role?: string; content?: unknown };
    if (m?.role !== 'user') continue;
    if (typeof m.content === 'string') return m.content;
    if (Array.isArray(m.content)) return m.content.map((p: { text?: string }) => p?.text ?? '').join(' ');
  }
  return '';
}

export function demoAnswer(body: Record<string, unknown>): string {
  const asked = lastUserText(body).replace(/\s+/g, ' ').trim().slice(0, 120);
  return `Hello from Airlock's demo model. Your request was approved (by a reviewer or a policy), so here is an answer to "${asked}". Point Airlock at a real upstream with --upstream or a config file to get real answers.`;
}

function words(text: string): string[] {
  return text.match(/\S+\s*/g) ?? [text];
}

function json(status: number, value: unknown, extra: Record<string, string> = {}): UpstreamResponse {
  const body = Buffer.from(JSON.stringify(value));
  return { status, headers: { 'content-type': 'application/json', 'content-length': String(body.length), ...extra }, body: (async function* () { yield body; })() };
}

function sse(frames: () => AsyncGenerator<string>, extra: Record<string, string>): UpstreamResponse {
  return {
    status: 200,
    headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...extra },
    body: (async function* () {
      for await (const frame of frames()) yield Buffer.from(frame);
    })(),
  };
}

const id = (prefix: string) => `${prefix}${randomBytes(12).toString('hex')}`;

export function demoUpstreamClient(): UpstreamClient {
  return {
    async send(target, request: UpstreamRequest): Promise<UpstreamResponse> {
      const headers = { 'x-request-id': id('req_demo_') };
      if (request.method === 'GET' && target.family === 'anthropic') {
        return json(200, { data: [{ type: 'model', id: 'airlock-demo', display_name: 'Airlock demo model', created_at: '2026-01-01T00:00:00Z' }], has_more: false, first_id: 'airlock-demo', last_id: 'airlock-demo' }, { 'request-id': headers['x-request-id'] });
      }
      if (request.method === 'GET') {
        return json(200, { object: 'list', data: [{ id: 'airlock-demo', object: 'model', created: 1_700_000_000, owned_by: 'airlock' }] }, headers);
      }
      const body = JSON.parse(request.body?.toString('utf8') ?? '{}') as Record<string, unknown>;
      const model = String(body.model ?? 'airlock-demo');
      const text = demoAnswer(body);
      const created = Math.floor(Date.now() / 1000);
      const stream = body.stream === true;
      const signal = request.signal;
      const pace = async () => {
        await sleep(WORD_DELAY_MS, undefined, { signal });
      };
      switch (request.path) {
        case '/v1/embeddings': {
          const inputs = Array.isArray(body.input) ? body.input : [body.input];
          return json(200, { object: 'list', data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: [0.1, 0.2, 0.3] })), model, usage: { prompt_tokens: 1, total_tokens: 1 } }, headers);
        }
        case '/v1/chat/completions': {
          const cid = id('chatcmpl-');
          if (!stream) {
            return json(200, { id: cid, object: 'chat.completion', created, model, choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: 'stop' }], usage: { prompt_tokens: 10, completion_tokens: words(text).length, total_tokens: 10 + words(text).length } }, headers);
          }
          const chunk = (delta: object, finish: string | null) => encodeSse({ data: JSON.stringify({ id: cid, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] }) });
          return sse(async function* () {
            yield chunk({ role: 'assistant', content: '' }, null);
            for (const w of words(text)) {
              await pace();
              yield chunk({ content: w }, null);
            }
            yield chunk({}, 'stop');
            yield 'data: [DONE]\n\n';
          }, headers);
        }
        case '/v1/responses': {
          const rid = id('resp_');
          const mid = id('msg_');
          const message = { type: 'message', id: mid, status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] };
          const response = (status: string, output: unknown[]) => ({ id: rid, object: 'response', created_at: created, status, model, output, usage: null });
          if (!stream) return json(200, response('completed', [message]), headers);
          return sse(async function* () {
            let seq = 0;
            const ev = (type: string, data: object) => encodeSse({ event: type, data: JSON.stringify({ type, ...data, sequence_number: seq++ }) });
            yield ev('response.created', { response: response('in_progress', []) });
            yield ev('response.output_item.added', { output_index: 0, item: { ...message, status: 'in_progress', content: [] } });
            yield ev('response.content_part.added', { item_id: mid, output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
            for (const w of words(text)) {
              await pace();
              yield ev('response.output_text.delta', { item_id: mid, output_index: 0, content_index: 0, delta: w });
            }
            yield ev('response.output_text.done', { item_id: mid, output_index: 0, content_index: 0, text });
            yield ev('response.content_part.done', { item_id: mid, output_index: 0, content_index: 0, part: message.content[0] });
            yield ev('response.output_item.done', { output_index: 0, item: message });
            yield ev('response.completed', { response: response('completed', [message]) });
          }, headers);
        }
        case '/v1/messages': {
          const mid = id('msg_');
          const usage = { input_tokens: 10, output_tokens: words(text).length };
          if (!stream) return json(200, { id: mid, type: 'message', role: 'assistant', model, content: [{ type: 'text', text }], stop_reason: 'end_turn', stop_sequence: null, usage }, { 'request-id': headers['x-request-id'] });
          return sse(async function* () {
            const ev = (type: string, data: object) => encodeSse({ event: type, data: JSON.stringify({ type, ...data }) });
            yield ev('message_start', { message: { id: mid, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 10, output_tokens: 1 } } });
            yield ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
            yield ev('ping', {});
            for (const w of words(text)) {
              await pace();
              yield ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: w } });
            }
            yield ev('content_block_stop', { index: 0 });
            yield ev('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: usage.output_tokens } });
            yield ev('message_stop', {});
          }, { 'request-id': headers['x-request-id'] });
        }
        default:
          return json(404, { error: { message: `Unknown path ${request.path}`, type: 'invalid_request_error', param: null, code: null } });
      }
    },
    close() {},
  };
}
