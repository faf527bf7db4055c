// OpenAI's wire protocol: error bodies, auth, and the chat, Responses, embeddings and models routes.
import type { IncomingHttpHeaders } from 'node:http';
import { AirlockError, type ErrorCode } from '../errors.js';
import { contentText, encodeSse, modelsAdapter, upstreamErrorMessage, type FamilyCodec, type Prompt, type ProtocolAdapter, type SseEvent } from './adapter.js';
import { parseJson, requireMessages, requireObject, requireString } from './validate.js';

const ERROR_TYPE: Partial<Record<ErrorCode, string>> = {
  unauthorized: 'invalid_request_error',
  forbidden: 'permission_error',
  not_found: 'invalid_request_error',
  approval_rejected: 'permission_error',
  approval_timeout: 'permission_error',
  policy_rejected: 'permission_error',
  approval_pending: 'timeout_error',
  rate_limited: 'rate_limit_error',
  intake_paused: 'service_unavailable_error',
  gateway_shutdown: 'service_unavailable_error',
  store_unavailable: 'server_error',
  upstream_unreachable: 'server_error',
  upstream_timeout: 'server_error',
  upstream_error: 'server_error',
  internal: 'server_error',
};

const ERROR_CODE: Partial<Record<ErrorCode, string>> = {
  unauthorized: 'invalid_api_key',
  not_found: 'unknown_url',
  rate_limited: 'rate_limit_exceeded',
  invalid_json: 'invalid_json',
  // Callers see two refusal codes (the contract); which rule refused is in the message and the record.
  policy_rejected: 'approval_rejected',
};

function errorObject(err: AirlockError) {
  return {
    message: err.message,
    type: ERROR_TYPE[err.code] ?? 'invalid_request_error',
    param: err.param,
    code: ERROR_CODE[err.code] ?? (err.code === 'invalid_request' ? null : err.code),
  };
}

const FORWARDED_REQUEST_HEADERS = ['content-type', 'accept', 'user-agent', 'openai-beta'];

export const openaiCodec: FamilyCodec = {
  family: 'openai',
  errorBody: (err) => ({ error: errorObject(err) }),
  streamErrorFrame: (err) => encodeSse({ data: JSON.stringify({ error: errorObject(err) }) }),
  upstreamHeaders(key, incoming) {
    const headers = pick(incoming, FORWARDED_REQUEST_HEADERS);
    if (key) headers.authorization = `Bearer ${key}`;
    return headers;
  },
  callerKey: (incoming) => bearer(incoming) ?? single(incoming['x-api-key']),
};

/**
 * Responses streams report errors as `event: error`. Real traffic nests the error (which the openai SDK raises);
 * the spec's ResponseErrorEvent has its fields flat. The frame carries both.
 */
export function responsesErrorFrame(err: AirlockError): string {
  const error = errorObject(err);
  return encodeSse({ event: 'error', data: JSON.stringify({ type: 'error', sequence_number: 0, code: error.code, message: error.message, param: error.param, error }) });
}

export const openaiChat: ProtocolAdapter = {
  protocol: 'openai-chat',
  family: 'openai',
  method: 'POST',
  path: '/v1/chat/completions',
  validate(body) {
    requireObject(body);
    requireString(body, 'model');
    requireMessages(body);
  },
  isStream: (body) => body.stream === true,
  model: (body) => String(body.model),
  prompt(body): Prompt {
    const all = (body.messages as unknown[]).map((m) => {
      const msg = (m ?? {}) as Record<string, unknown>;
      const role = (typeof msg.role === 'string' ? msg.role : 'user');
      let text = contentText(msg.content);
      if (Array.isArray(msg.tool_calls)) text += (text ? '\n' : '') + JSON.stringify(msg.tool_calls);
      return { role, text, raw: m };
    });
    const system = all.filter((m) => m.role === 'system' || m.role === 'developer').map((m) => m.text).join('\n');
    return { system, messages: all };
  },
  isLast: (event) => event.data.trim() === '[DONE]',
  errorOf(event) {
    // `data: {"error": {…}}`; a chunk's own text never holds `"error"` unescaped, so most chunks are not parsed.
    if (!event.data.includes('"error"')) return null;
    const error = parseJson(event.data)?.error;
    return error && typeof error === 'object' ? upstreamErrorMessage(error) : null;
  },
  textOf(event) {
    const data = parseJson(event.data);
    const choices = data?.choices as { delta?: { content?: unknown; refusal?: unknown } }[] | undefined;
    const delta = choices?.[0]?.delta;
    if (typeof delta?.content === 'string') return delta.content;
    if (typeof delta?.refusal === 'string') return delta.refusal;
    return '';
  },
  withText(event, text) {
    const data = parseJson(event.data);
    const delta = (data?.choices as { delta?: Record<string, unknown> }[] | undefined)?.[0]?.delta;
    if (!data || !delta) return event;
    if (typeof delta.content === 'string') delta.content = text;
    else if (typeof delta.refusal === 'string') delta.refusal = text;
    return { ...event, data: JSON.stringify(data) };
  },
  answerText(body) {
    const choices = (body as { choices?: { message?: { content?: unknown; refusal?: unknown } }[] } | null)?.choices;
    const message = choices?.[0]?.message;
    return typeof message?.content === 'string' ? message.content : typeof message?.refusal === 'string' ? message.refusal : '';
  },
};

function responsesItems(input: unknown): { role: string; text: string; raw: unknown }[] {
  if (typeof input === 'string') return [{ role: 'user', text: input, raw: input }];
  if (!Array.isArray(input)) return [];
  return input.map((item) => {
    const it = (item ?? {}) as Record<string, unknown>;
    const role = typeof it.role === 'string' ? it.role : (typeof it.type === 'string' ? it.type : 'item');
    const text = it.content !== undefined ? contentText(it.content) : typeof it.output === 'string' ? it.output : typeof it.arguments === 'string' ? it.arguments : '';
    return { role, text, raw: item };
  });
}

export const openaiResponses: ProtocolAdapter = {
  protocol: 'openai-responses',
  family: 'openai',
  method: 'POST',
  path: '/v1/responses',
  validate(body) {
    requireObject(body);
    requireString(body, 'model');
    if (body.input === undefined && body.previous_response_id === undefined && body.prompt === undefined) {
      throw new AirlockError('invalid_request', { message: "Missing required parameter: 'input'.", param: 'input' });
    }
  },
  isStream: (body) => body.stream === true,
  model: (body) => String(body.model),
  prompt(body): Prompt {
    const messages = responsesItems(body.input);
    const system = [typeof body.instructions === 'string' ? body.instructions : '', ...messages.filter((m) => m.role === 'system' || m.role === 'developer').map((m) => m.text)]
      .filter(Boolean)
      .join('\n');
    return { system, messages };
  },
  isLast(event) {
    const type = event.event ?? (parseJson(event.data)?.type as string | undefined);
    return type === 'response.completed' || type === 'response.failed' || type === 'response.incomplete';
  },
  errorOf(event) {
    const type = event.event ?? (parseJson(event.data)?.type as string | undefined);
    if (type !== 'error' && type !== 'response.failed') return null;
    const data = parseJson(event.data) as { message?: unknown; error?: unknown; response?: { error?: unknown } } | null;
    // `error`: the message at the top (some servers nest it under `error`); `response.failed`: under response.error.
    return upstreamErrorMessage(typeof data?.message === 'string' ? data : (data?.error ?? data?.response?.error));
  },
  textOf(event) {
    const data = parseJson(event.data);
    if (!data) return '';
    const type = data.type ?? event.event;
    if ((type === 'response.output_text.delta' || type === 'response.refusal.delta') && typeof data.delta === 'string') return data.delta;
    return '';
  },
  withText(event, text) {
    const data = parseJson(event.data);
    if (!data || typeof data.delta !== 'string') return event;
    data.delta = text;
    return { ...event, data: JSON.stringify(data) };
  },
  answerText(body) {
    const output = (body as { output?: { type?: string; content?: { type?: string; text?: string; refusal?: string }[] }[] } | null)?.output;
    if (!Array.isArray(output)) return '';
    return output
      .filter((o) => o.type === 'message')
      .flatMap((o) => o.content ?? [])
      .map((c) => c.text ?? c.refusal ?? '')
      .join('');
  },
};

export const openaiEmbeddings: ProtocolAdapter = {
  protocol: 'openai-embeddings',
  family: 'openai',
  method: 'POST',
  path: '/v1/embeddings',
  validate(body) {
    requireObject(body);
    requireString(body, 'model');
    if (body.input === undefined) throw new AirlockError('invalid_request', { message: "Missing required parameter: 'input'.", param: 'input' });
  },
  isStream: () => false,
  model: (body) => String(body.model),
  prompt(body): Prompt {
    const inputs = Array.isArray(body.input) ? body.input : [body.input];
    return { system: '', messages: inputs.map((i) => ({ role: 'input', text: typeof i === 'string' ? i : JSON.stringify(i), raw: i })) };
  },
  textOf: () => '',
  withText: (event) => event,
  answerText: () => '',
};

export const openaiModels = modelsAdapter('openai', 'openai-chat');

function bearer(incoming: IncomingHttpHeaders): string | undefined {
  const auth = incoming.authorization;
  if (!auth) return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(auth);
  return match ? match[1].trim() : undefined;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function pick(incoming: IncomingHttpHeaders, names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = incoming[name];
    if (typeof value === 'string') out[name] = value;
  }
  for (const [name, value] of Object.entries(incoming)) {
    if (name.startsWith('x-stainless-') && typeof value === 'string') out[name] = value;
  }
  return out;
}

export { bearer, single };
export type { SseEvent };
