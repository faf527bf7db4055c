// Anthropic's Messages protocol: error bodies, auth headers, and reading prompts and streamed text.
import { AirlockError, type ErrorCode } from '../errors.js';
import { contentText, encodeSse, modelsAdapter, upstreamErrorMessage, type FamilyCodec, type Prompt, type ProtocolAdapter } from './adapter.js';
import { bearer, pick, single } from './openai.js';
import { parseJson, requireMessages, requireObject, requireString } from './validate.js';

const ERROR_TYPE: Partial<Record<ErrorCode, string>> = {
  invalid_request: 'invalid_request_error',
  invalid_json: 'invalid_request_error',
  body_too_large: 'request_too_large',
  unauthorized: 'authentication_error',
  forbidden: 'permission_error',
  not_found: 'not_found_error',
  approval_rejected: 'permission_error',
  approval_timeout: 'permission_error',
  policy_rejected: 'permission_error',
  approval_pending: 'timeout_error',
  rate_limited: 'rate_limit_error',
  upstream_timeout: 'timeout_error',
};

function errorObject(err: AirlockError) {
  return { type: ERROR_TYPE[err.code] ?? 'api_error', message: err.message };
}

const FORWARDED_REQUEST_HEADERS = ['content-type', 'accept', 'user-agent', 'anthropic-version', 'anthropic-beta'];

export const anthropicCodec: FamilyCodec = {
  family: 'anthropic',
  errorBody: (err, requestId) => ({ type: 'error', error: errorObject(err), request_id: requestId }),
  streamErrorFrame: (err, requestId) => encodeSse({ event: 'error', data: JSON.stringify({ type: 'error', error: errorObject(err), request_id: requestId }) }),
  upstreamHeaders(key, incoming) {
    const headers = pick(incoming, FORWARDED_REQUEST_HEADERS);
    headers['anthropic-version'] ??= '2023-06-01';
    if (key) headers['x-api-key'] = key;
    return headers;
  },
  callerKey: (incoming) => single(incoming['x-api-key']) ?? bearer(incoming),
};

export const anthropicMessages: ProtocolAdapter = {
  protocol: 'anthropic-messages',
  family: 'anthropic',
  method: 'POST',
  path: '/v1/messages',
  validate(body) {
    requireObject(body);
    requireString(body, 'model');
    // Anthropic refuses a request without it: refused here, before it is held for a reviewer to no purpose.
    if (body.max_tokens === undefined) throw new AirlockError('invalid_request', { message: 'max_tokens: Field required', param: 'max_tokens' });
    if (!Number.isInteger(body.max_tokens) || (body.max_tokens as number) < 1) {
      throw new AirlockError('invalid_request', { message: 'max_tokens: Input should be a valid integer greater than or equal to 1', param: 'max_tokens' });
    }
    requireMessages(body);
  },
  isStream: (body) => body.stream === true,
  model: (body) => String(body.model),
  prompt(body): Prompt {
    const system = contentText(body.system ?? '');
    const messages = (body.messages as unknown[]).map((m) => {
      const msg = (m ?? {}) as Record<string, unknown>;
      return { role: (typeof msg.role === 'string' ? msg.role : 'user'), text: contentText(msg.content), raw: m };
    });
    return { system, messages };
  },
  isLast: (event) => event.event === 'message_stop',
  errorOf: (event) => (event.event === 'error' ? upstreamErrorMessage(parseJson(event.data)?.error) : null),
  textOf(event) {
    if (event.event !== 'content_block_delta') return '';
    const delta = parseJson(event.data)?.delta as { type?: string; text?: unknown } | undefined;
    return delta?.type === 'text_delta' && typeof delta.text === 'string' ? delta.text : '';
  },
  withText(event, text) {
    const data = parseJson(event.data);
    const delta = data?.delta as Record<string, unknown> | undefined;
    if (!data || !delta || typeof delta.text !== 'string') return event;
    delta.text = text;
    return { ...event, data: JSON.stringify(data) };
  },
  answerText(body) {
    const content = (body as { content?: { type?: string; text?: string }[] } | null)?.content;
    return Array.isArray(content) ? content.filter((c) => c.type === 'text').map((c) => c.text ?? '').join('') : '';
  },
};

/** `GET /v1/models` from an Anthropic client (it sends anthropic-version): served by the Anthropic upstream. */
export const anthropicModels = modelsAdapter('anthropic', 'anthropic-messages');
