// The upstream stand-in for tests: one HTTP server that answers as OpenAI (chat completions,
// responses, embeddings, models) and Anthropic (messages, models) do, in their JSON shapes, SSE
// framing, headers and error bodies, so the gateway can be driven with the real SDKs in front of it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface UpstreamRequest {
  method: string;
  path: string; // as received, query string included
  headers: Record<string, string | string[] | undefined>;
  body: any; // parsed JSON, or undefined when empty or not JSON
  raw: string;
}

export type Scenario =
  | { kind: 'text'; text?: string; chunks?: string[]; delayMs?: number; firstDelayMs?: number }
  | { kind: 'tool_call'; name: string; arguments: string }
  | { kind: 'error'; status: number; errorType?: string; message?: string }
  | { kind: 'stream_error'; afterChunks: number; message?: string }
  | { kind: 'hang' }
  | { kind: 'drop'; afterChunks?: number }
  | { kind: 'raw'; status: number; headers: Record<string, string>; body: string | (string | Buffer)[]; delayMs?: number; cutAtEnd?: boolean };

export interface Upstream {
  url: string;
  requests: UpstreamRequest[];
  next(...s: Scenario[]): void;
  setDefault(s: Scenario): void;
  aborted: number; // a live count (getter)
  reset(): void;
  close(): Promise<void>;
}

/** A recorded-style stream from test/support/fixtures ('.sse' is added when the name has no extension). */
export function loadFixture(name: string): string {
  const file = /\.\w+$/.test(name) ? name : `${name}.sse`;
  return readFileSync(new URL(`./fixtures/${file}`, import.meta.url), 'utf8');
}

/** The same fixture cut into its SSE events, for a `raw` scenario that writes one event per write. */
export function loadFixtureEvents(name: string): string[] {
  return loadFixture(name).split(/(?<=\n\n)/);
}

// ---------------------------------------------------------------------------------------------
// What an answer is made of

/** The answer a scenario asks for, already split the way a stream will send it. */
type Content =
  | { type: 'text'; text: string; chunks: string[]; firstDelayMs: number; delayMs: number }
  | { type: 'tool'; name: string; arguments: string; chunks: string[]; callId: string };

/** One SSE event as written. `delta` frames carry answer content; a cut (stream_error, drop) counts them. */
interface Frame {
  part: 'head' | 'delta' | 'tail';
  text: string;
}

interface Meta {
  requestId: string;
  headers: Record<string, string>;
}

interface Failure {
  status: number;
  type?: string;
  message?: string;
  code?: string | null;
  param?: string | null;
}

/** One wire protocol: its per-response headers and its error body. */
interface Api {
  meta(): Meta;
  error(f: Failure, meta: Meta): { body: string; headers: Record<string, string> };
  admit(req: UpstreamRequest): Failure | undefined; // auth and required headers
  notFound(req: UpstreamRequest): Failure;
  invalidJson: Failure;
  streamFailure: Failure; // what a non-stream request gets for a stream_error scenario
  toolId(): string;
}

/** One endpoint: what it requires of a body, where its prompt is, and its answer plain or streamed. */
interface Route {
  method: 'GET' | 'POST';
  path: string;
  api: Api;
  check?(body: any): Failure | undefined;
  prompt?(body: any): string;
  json(body: any, c: Content, meta: Meta): string;
  sse?(body: any, c: Content, meta: Meta): Frame[];
  sseError?(message: string | undefined, seq: number, meta: Meta): string;
}

const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };
const JSON_HEADERS = { 'content-type': 'application/json' };
const sse = (event: string | null, data: unknown) =>
  `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;

const now = () => Math.floor(Date.now() / 1000);
const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const B62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const b62 = (n: number) => Array.from(randomBytes(n), (b) => B62[b % 62]).join('');
const tokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));
const sleep = (ms: number) => new Promise<void>((r) => (ms > 0 ? setTimeout(r, ms) : setImmediate(r)));

/** Deltas of up to six visible characters, whitespace leading (" world"), like model tokens. */
function splitText(text: string): string[] {
  return text.match(/\s*\S{1,6}|\s+/g) ?? [];
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter((p) => (p?.type === 'text' || p?.type === 'input_text') && typeof p.text === 'string')
    .map((p) => p.text)
    .join('\n');
}

/** The last user message's text, for chat `messages`, Responses `input` and Anthropic `messages` alike. */
function lastUserText(messages: unknown): string {
  if (typeof messages === 'string') return messages;
  if (!Array.isArray(messages)) return '';
  const last = [...messages].reverse().find((m) => m?.role === 'user');
  return textOf(last?.content);
}

function contentOf(s: Scenario, prompt: string, api: Api): Content {
  if (s.kind === 'tool_call') {
    return { type: 'tool', name: s.name, arguments: s.arguments, chunks: splitText(s.arguments), callId: api.toolId() };
  }
  const t = s.kind === 'text' ? s : undefined;
  const chunks = t?.chunks ?? splitText(t?.text ?? `Echo: ${prompt}`);
  return { type: 'text', text: chunks.join(''), chunks, firstDelayMs: t?.firstDelayMs ?? 0, delayMs: t?.delayMs ?? 0 };
}

const required = (body: any, field: string, f: (field: string) => Failure) =>
  body?.[field] === undefined ? f(field) : undefined;

// ---------------------------------------------------------------------------------------------
// OpenAI

const OPENAI_ERRORS: Record<number, [type: string, code: string | null, message: string]> = {
  400: ['invalid_request_error', null, 'Invalid request.'],
  401: ['invalid_request_error', 'invalid_api_key', 'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.'],
  403: ['invalid_request_error', null, 'You are not allowed to sample from this model'],
  404: ['invalid_request_error', 'model_not_found', 'The model does not exist or you do not have access to it.'],
  429: ['requests', 'rate_limit_exceeded', 'Rate limit reached for requests. Please try again in 1s.'],
  500: ['server_error', null, 'The server had an error while processing your request. Sorry about that!'],
  503: ['server_error', null, 'The engine is currently overloaded, please try again later.'],
};

const openai: Api = {
  meta() {
    const requestId = `req_${hex(16)}`;
    return {
      requestId,
      headers: {
        'openai-organization': 'user-airlocktest',
        'openai-processing-ms': String(120 + Math.floor(Math.random() * 300)),
        'openai-project': 'proj_airlocktest',
        'openai-version': '2020-10-01',
        'x-ratelimit-limit-requests': '10000',
        'x-ratelimit-limit-tokens': '30000000',
        'x-ratelimit-remaining-requests': '9999',
        'x-ratelimit-remaining-tokens': '29999990',
        'x-ratelimit-reset-requests': '6ms',
        'x-ratelimit-reset-tokens': '0s',
        'x-request-id': requestId,
      },
    };
  },
  error(f, meta) {
    const [type, code, message] = OPENAI_ERRORS[f.status] ?? (f.status >= 500 ? OPENAI_ERRORS[500] : OPENAI_ERRORS[400]);
    const error = { message: f.message ?? message, type: f.type ?? type, param: f.param ?? null, code: f.code !== undefined ? f.code : code };
    const headers: Record<string, string> = { ...JSON_HEADERS, ...meta.headers };
    if (f.status === 429) Object.assign(headers, { 'retry-after': '1', 'x-ratelimit-remaining-requests': '0' });
    // The real API indents its error bodies by four spaces (and its other bodies by two).
    return { body: `${JSON.stringify({ error }, null, 4)}\n`, headers };
  },
  admit(req) {
    const auth = req.headers.authorization;
    if (typeof auth === 'string' && /^Bearer \S+/.test(auth)) return undefined;
    return {
      status: 401,
      code: null,
      message:
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
    };
  },
  notFound: (req) => ({ status: 404, code: null, message: `Invalid URL (${req.method} ${req.path.split('?')[0]})` }),
  invalidJson: {
    status: 400,
    message:
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please visit https://help.openai.com.)",
  },
  streamFailure: { status: 500 },
  toolId: () => `call_${b62(24)}`,
};

const openaiMissing = (field: string): Failure =>
  field === 'model'
    ? { status: 400, message: 'you must provide a model parameter' }
    : { status: 400, message: `Missing required parameter: '${field}'.`, param: field, code: 'missing_required_parameter' };

const pretty = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
const obfuscation = (body: any) =>
  body?.stream_options?.include_obfuscation === false ? {} : { obfuscation: b62(2 + Math.floor(Math.random() * 12)) };
const FINGERPRINT = 'fp_airlock01';

function chatUsage(body: any, c: Content) {
  const prompt = tokens(JSON.stringify(body?.messages ?? ''));
  const completion = Math.max(1, c.chunks.length);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

const chatCompletions: Route = {
  method: 'POST',
  path: '/v1/chat/completions',
  api: openai,
  check: (b) => required(b, 'model', openaiMissing) ?? required(b, 'messages', openaiMissing),
  prompt: (b) => lastUserText(b.messages),
  json(b, c) {
    const message =
      c.type === 'text'
        ? { role: 'assistant', content: c.text, refusal: null, annotations: [] }
        : {
            role: 'assistant', content: null, refusal: null, annotations: [],
            tool_calls: [{ id: c.callId, type: 'function', function: { name: c.name, arguments: c.arguments } }],
          };
    return pretty({
      id: `chatcmpl-${b62(29)}`,
      object: 'chat.completion',
      created: now(),
      model: b.model,
      choices: [{ index: 0, message, logprobs: null, finish_reason: c.type === 'text' ? 'stop' : 'tool_calls' }],
      usage: chatUsage(b, c),
      service_tier: 'default',
      system_fingerprint: FINGERPRINT,
    });
  },
  sse(b, c) {
    const id = `chatcmpl-${b62(29)}`;
    const created = now();
    const withUsage = b.stream_options?.include_usage === true;
    const chunk = (choices: unknown[], extra: object = {}) =>
      sse(null, {
        id, object: 'chat.completion.chunk', created, model: b.model, service_tier: 'default', system_fingerprint: FINGERPRINT,
        choices, ...(withUsage ? { usage: null } : {}), ...extra, ...obfuscation(b),
      });
    const choice = (delta: object, finish: string | null = null) => [{ index: 0, delta, logprobs: null, finish_reason: finish }];
    const frames: Frame[] = [];
    if (c.type === 'text') {
      frames.push({ part: 'head', text: chunk(choice({ role: 'assistant', content: '', refusal: null })) });
      for (const t of c.chunks) frames.push({ part: 'delta', text: chunk(choice({ content: t })) });
    } else {
      const call = { index: 0, id: c.callId, type: 'function', function: { name: c.name, arguments: '' } };
      frames.push({ part: 'head', text: chunk(choice({ role: 'assistant', content: null, tool_calls: [call], refusal: null })) });
      for (const a of c.chunks) frames.push({ part: 'delta', text: chunk(choice({ tool_calls: [{ index: 0, function: { arguments: a } }] })) });
    }
    frames.push({ part: 'tail', text: chunk(choice({}, c.type === 'text' ? 'stop' : 'tool_calls')) });
    if (withUsage) frames.push({ part: 'tail', text: chunk([], { usage: chatUsage(b, c) }) });
    frames.push({ part: 'tail', text: 'data: [DONE]\n\n' });
    return frames;
  },
  sseError: (message) => sse(null, { error: { message: message ?? OPENAI_ERRORS[500][2], type: 'server_error', param: null, code: null } }),
};

function responseObject(b: any, id: string, created: number, status: string, output: unknown[], usage: unknown) {
  return {
    id, object: 'response', created_at: created, status, background: false,
    completed_at: status === 'completed' ? now() : null,
    error: null, incomplete_details: null, instructions: b.instructions ?? null,
    max_output_tokens: b.max_output_tokens ?? null, max_tool_calls: null, model: b.model, output,
    parallel_tool_calls: b.parallel_tool_calls ?? true, previous_response_id: b.previous_response_id ?? null,
    prompt_cache_key: null, reasoning: { effort: null, summary: null }, safety_identifier: null,
    service_tier: 'default', store: b.store ?? true, temperature: b.temperature ?? 1.0,
    text: { format: { type: 'text' }, verbosity: 'medium' }, tool_choice: b.tool_choice ?? 'auto',
    tools: b.tools ?? [], top_logprobs: 0, top_p: b.top_p ?? 1.0, truncation: 'disabled',
    usage, user: null, metadata: b.metadata ?? {},
  };
}

function responseUsage(b: any, c: Content) {
  const input = tokens(JSON.stringify(b?.input ?? ''));
  const output = Math.max(1, c.chunks.length);
  return {
    input_tokens: input, input_tokens_details: { cached_tokens: 0 },
    output_tokens: output, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: input + output,
  };
}

const outputText = (text: string) => ({ type: 'output_text', annotations: [], logprobs: [], text });

function outputItem(c: Content, id: string, done: boolean) {
  const status = done ? 'completed' : 'in_progress';
  return c.type === 'text'
    ? { id, type: 'message', status, content: done ? [outputText(c.text)] : [], role: 'assistant' }
    : { id, type: 'function_call', status, arguments: done ? c.arguments : '', call_id: c.callId, name: c.name };
}

const responses: Route = {
  method: 'POST',
  path: '/v1/responses',
  api: openai,
  check: (b) => required(b, 'model', openaiMissing),
  prompt: (b) => lastUserText(b.input),
  json(b, c) {
    const itemId = c.type === 'text' ? `msg_${hex(25)}` : `fc_${hex(25)}`;
    return pretty(responseObject(b, `resp_${hex(25)}`, now(), 'completed', [outputItem(c, itemId, true)], responseUsage(b, c)));
  },
  sse(b, c) {
    const [id, created] = [`resp_${hex(25)}`, now()];
    const itemId = c.type === 'text' ? `msg_${hex(25)}` : `fc_${hex(25)}`;
    const frames: Frame[] = [];
    const ev = (part: Frame['part'], type: string, data: object) =>
      frames.push({ part, text: sse(type, { type, sequence_number: frames.length, ...data }) });
    const at = { item_id: itemId, output_index: 0 };
    const started = responseObject(b, id, created, 'in_progress', [], null);
    ev('head', 'response.created', { response: started });
    ev('head', 'response.in_progress', { response: started });
    ev('head', 'response.output_item.added', { output_index: 0, item: outputItem(c, itemId, false) });
    if (c.type === 'text') {
      ev('head', 'response.content_part.added', { ...at, content_index: 0, part: outputText('') });
      for (const t of c.chunks) ev('delta', 'response.output_text.delta', { ...at, content_index: 0, delta: t, logprobs: [], ...obfuscation(b) });
      ev('tail', 'response.output_text.done', { ...at, content_index: 0, text: c.text, logprobs: [] });
      ev('tail', 'response.content_part.done', { ...at, content_index: 0, part: outputText(c.text) });
    } else {
      for (const a of c.chunks) ev('delta', 'response.function_call_arguments.delta', { ...at, delta: a, ...obfuscation(b) });
      ev('tail', 'response.function_call_arguments.done', { ...at, arguments: c.arguments });
    }
    const item = outputItem(c, itemId, true);
    ev('tail', 'response.output_item.done', { output_index: 0, item });
    ev('tail', 'response.completed', { response: responseObject(b, id, created, 'completed', [item], responseUsage(b, c)) });
    return frames;
  },
  // Real traffic nests the error (the spec's ResponseErrorEvent shows it flat); the SDKs throw on `data.error`.
  sseError: (message, seq) =>
    sse('error', {
      type: 'error', sequence_number: seq,
      error: { type: 'server_error', code: 'server_error', message: message ?? OPENAI_ERRORS[500][2], param: null },
    }),
};

/** A unit vector that depends only on the input, so equal inputs embed equally. */
function embed(input: unknown, dimensions: number): number[] {
  let seed = createHash('sha256').update(JSON.stringify(input)).digest();
  const values: number[] = [];
  while (values.length < dimensions) {
    for (let i = 0; i + 4 <= seed.length && values.length < dimensions; i += 4) values.push(seed.readInt32LE(i) / 2 ** 31);
    seed = createHash('sha256').update(seed).digest();
  }
  const norm = Math.hypot(...values) || 1;
  return values.map((v) => Math.fround(v / norm));
}

function float32Base64(values: number[]): string {
  const buf = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => buf.writeFloatLE(v, i * 4));
  return buf.toString('base64');
}

const embeddings: Route = {
  method: 'POST',
  path: '/v1/embeddings',
  api: openai,
  check: (b) =>
    required(b, 'model', openaiMissing) ??
    required(b, 'input', openaiMissing) ??
    (typeof b.input === 'string' || Array.isArray(b.input) ? undefined : { status: 400, message: "'$.input' is invalid.", param: 'input' }),
  json(b) {
    const inputs: unknown[] =
      typeof b.input === 'string' || (Array.isArray(b.input) && typeof b.input[0] === 'number') ? [b.input] : b.input;
    const data = inputs.map((input, index) => {
      const values = embed(input, b.dimensions ?? 1536);
      return { object: 'embedding', index, embedding: b.encoding_format === 'base64' ? float32Base64(values) : values };
    });
    const used = tokens(JSON.stringify(b.input));
    return pretty({ object: 'list', data, model: b.model, usage: { prompt_tokens: used, total_tokens: used } });
  },
};

const OPENAI_MODELS = [
  ['gpt-4o', 1715367049, 'system'], ['gpt-4o-mini', 1721172741, 'system'], ['gpt-4.1', 1744316542, 'system'],
  ['o4-mini', 1744225351, 'system'], ['text-embedding-3-small', 1705948997, 'system'],
] as const;

const openaiModels: Route = {
  method: 'GET',
  path: '/v1/models',
  api: openai,
  json: () => pretty({ object: 'list', data: OPENAI_MODELS.map(([id, created, owned_by]) => ({ id, object: 'model', created, owned_by })) }),
};

// ---------------------------------------------------------------------------------------------
// Anthropic

const ANTHROPIC_ERRORS: Record<number, [type: string, message: string]> = {
  400: ['invalid_request_error', 'Invalid request.'],
  401: ['authentication_error', 'invalid x-api-key'],
  402: ['billing_error', 'Your credit balance is too low to access the Anthropic API.'],
  403: ['permission_error', 'Your API key does not have permission to use the specified resource.'],
  404: ['not_found_error', 'Not Found'],
  413: ['request_too_large', 'Request exceeds the maximum allowed number of bytes.'],
  429: ['rate_limit_error', "This request would exceed your organization's rate limit. Please try again later."],
  500: ['api_error', 'Internal server error'],
  504: ['timeout_error', 'Request timeout'],
  529: ['overloaded_error', 'Overloaded'],
};

const ANTHROPIC_ORG = randomUUID();
const ANTHROPIC_VERSIONS = ['2023-01-01', '2023-06-01', '2026-10-21'];

const anthropic: Api = {
  meta() {
    const requestId = `req_011C${b62(20)}`;
    const reset = new Date(Date.now() + 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    return {
      requestId,
      headers: {
        'request-id': requestId,
        'anthropic-organization-id': ANTHROPIC_ORG,
        'anthropic-ratelimit-requests-limit': '4000',
        'anthropic-ratelimit-requests-remaining': '3999',
        'anthropic-ratelimit-requests-reset': reset,
        'anthropic-ratelimit-input-tokens-limit': '2000000',
        'anthropic-ratelimit-input-tokens-remaining': '2000000',
        'anthropic-ratelimit-input-tokens-reset': reset,
        'anthropic-ratelimit-output-tokens-limit': '400000',
        'anthropic-ratelimit-output-tokens-remaining': '400000',
        'anthropic-ratelimit-output-tokens-reset': reset,
      },
    };
  },
  error(f, meta) {
    const [type, message] = ANTHROPIC_ERRORS[f.status] ?? (f.status >= 500 ? ANTHROPIC_ERRORS[500] : ANTHROPIC_ERRORS[400]);
    const retry = f.status === 408 || f.status === 409 || f.status === 429 || f.status >= 500;
    const headers: Record<string, string> = { ...JSON_HEADERS, ...meta.headers, 'x-should-retry': String(retry) };
    if (f.status === 429) Object.assign(headers, { 'retry-after': '1', 'anthropic-ratelimit-requests-remaining': '0' });
    const body = { type: 'error', error: { type: f.type ?? type, message: f.message ?? message }, request_id: meta.requestId };
    return { body: JSON.stringify(body), headers };
  },
  admit(req) {
    const auth = req.headers.authorization;
    if (!req.headers['x-api-key'] && !(typeof auth === 'string' && /^Bearer \S+/.test(auth))) {
      return { status: 401, message: 'x-api-key header is required' };
    }
    const version = req.headers['anthropic-version'];
    if (!version) return { status: 400, message: 'anthropic-version: header is required' };
    if (typeof version !== 'string' || !ANTHROPIC_VERSIONS.includes(version)) {
      return { status: 400, message: `anthropic-version: ${JSON.stringify(version)} is not a valid version` };
    }
    // 2026-10-21 removed the sampling parameters (SDK 1.x sends this version); the wording here is ours.
    const sampling = ['temperature', 'top_p', 'top_k'].find((p) => req.body?.[p] !== undefined);
    if (version >= '2026-10-21' && sampling) {
      return { status: 400, message: `${sampling}: is not supported in API version ${version}` };
    }
    return undefined;
  },
  notFound: () => ({ status: 404 }),
  invalidJson: { status: 400, message: 'There was an error parsing the body of your request. Please ensure the body is valid JSON.' },
  streamFailure: { status: 529 },
  toolId: () => `toolu_01${b62(22)}`,
};

const anthropicMissing = (field: string): Failure => ({ status: 400, message: `${field}: Field required` });

function anthropicBlock(c: Content, started: boolean) {
  if (c.type === 'text') return { type: 'text', text: started ? '' : c.text };
  return { type: 'tool_use', id: c.callId, name: c.name, input: started ? {} : parseObject(c.arguments) };
}

function parseObject(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return {};
  }
}

const anthropicUsage = (b: any, output: number) => ({
  input_tokens: tokens(JSON.stringify(b?.messages ?? '')), cache_creation_input_tokens: 0, cache_read_input_tokens: 0,
  cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 }, output_tokens: output, service_tier: 'standard',
});

const messages: Route = {
  method: 'POST',
  path: '/v1/messages',
  api: anthropic,
  check: (b) => required(b, 'model', anthropicMissing) ?? required(b, 'max_tokens', anthropicMissing) ?? required(b, 'messages', anthropicMissing),
  prompt: (b) => lastUserText(b.messages),
  json(b, c) {
    return JSON.stringify({
      id: `msg_01${b62(22)}`, type: 'message', role: 'assistant', model: b.model,
      content: [anthropicBlock(c, false)], stop_reason: c.type === 'text' ? 'end_turn' : 'tool_use', stop_sequence: null,
      usage: anthropicUsage(b, Math.max(1, c.chunks.length)),
    });
  },
  sse(b, c) {
    const message = {
      id: `msg_01${b62(22)}`, type: 'message', role: 'assistant', model: b.model, content: [],
      stop_reason: null, stop_sequence: null, usage: anthropicUsage(b, 1),
    };
    const frames: Frame[] = [
      { part: 'head', text: sse('message_start', { type: 'message_start', message }) },
      { part: 'head', text: sse('content_block_start', { type: 'content_block_start', index: 0, content_block: anthropicBlock(c, true) }) },
      { part: 'head', text: sse('ping', '{"type": "ping"}') },
    ];
    const delta = (d: object) => sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: d });
    if (c.type === 'text') {
      for (const t of c.chunks) frames.push({ part: 'delta', text: delta({ type: 'text_delta', text: t }) });
    } else {
      frames.push({ part: 'head', text: delta({ type: 'input_json_delta', partial_json: '' }) });
      for (const a of c.chunks) frames.push({ part: 'delta', text: delta({ type: 'input_json_delta', partial_json: a }) });
    }
    const stop = { stop_reason: c.type === 'text' ? 'end_turn' : 'tool_use', stop_sequence: null };
    frames.push(
      { part: 'tail', text: sse('content_block_stop', { type: 'content_block_stop', index: 0 }) },
      { part: 'tail', text: sse('message_delta', { type: 'message_delta', delta: stop, usage: { output_tokens: Math.max(1, c.chunks.length) } }) },
      { part: 'tail', text: sse('message_stop', { type: 'message_stop' }) },
    );
    return frames;
  },
  sseError: (message, _seq, meta) =>
    sse('error', { type: 'error', error: { details: null, type: 'overloaded_error', message: message ?? 'Overloaded' }, request_id: meta.requestId }),
};

const ANTHROPIC_MODELS = [
  ['claude-sonnet-4-5-20250929', 'Claude Sonnet 4.5', '2025-09-29T00:00:00Z'],
  ['claude-haiku-4-5-20251001', 'Claude Haiku 4.5', '2025-10-01T00:00:00Z'],
  ['claude-opus-4-1-20250805', 'Claude Opus 4.1', '2025-08-05T00:00:00Z'],
] as const;

const anthropicModels: Route = {
  method: 'GET',
  path: '/v1/models',
  api: anthropic,
  json: () =>
    JSON.stringify({
      data: ANTHROPIC_MODELS.map(([id, display_name, created_at]) => ({ type: 'model', id, display_name, created_at })),
      has_more: false, first_id: ANTHROPIC_MODELS[0][0], last_id: ANTHROPIC_MODELS[ANTHROPIC_MODELS.length - 1][0],
    }),
};

const ROUTES: Route[] = [chatCompletions, responses, embeddings, openaiModels, messages, anthropicModels];

/** /v1/messages is Anthropic's; elsewhere an Anthropic header picks Anthropic (both have /v1/models). */
function apiFor(path: string, headers: UpstreamRequest['headers']): Api {
  if (path === '/v1/messages' || path.startsWith('/v1/messages/')) return anthropic;
  return headers['x-api-key'] || headers['anthropic-version'] ? anthropic : openai;
}

// ---------------------------------------------------------------------------------------------
// The server

const DEFAULT: Scenario = { kind: 'text' };

interface State {
  requests: UpstreamRequest[];
  queue: Scenario[];
  fallback: Scenario;
  aborted: number;
  closing: boolean;
}

/** One request in flight: the response, whether it is still open, and who closed it. */
class Exchange {
  closed = false;
  dropped = false;
  constructor(readonly req: http.IncomingMessage, readonly res: http.ServerResponse, state: State) {
    res.on('close', () => {
      this.closed = true;
      if (!res.writableFinished && !this.dropped && !state.closing) state.aborted++;
    });
  }
  drop(): void {
    this.dropped = true;
    this.req.socket.destroy();
  }
  send(status: number, headers: Record<string, string>, body: string): void {
    if (!this.closed) this.res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) }).end(body);
  }
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, state: State): Promise<void> {
  const raw = await readBody(req);
  let body: any;
  try {
    body = raw ? JSON.parse(raw) : undefined;
  } catch {
    body = undefined;
  }
  const request: UpstreamRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: { ...req.headers }, body, raw };
  state.requests.push(request);

  const ex = new Exchange(req, res, state);
  const pathname = request.path.split('?')[0];
  const api = apiFor(pathname, request.headers);
  const meta = api.meta();
  const route = ROUTES.find((r) => r.api === api && r.path === pathname && r.method === request.method);
  const failure = !route
    ? api.notFound(request)
    : api.admit(request) ?? (raw && body === undefined ? api.invalidJson : route.check?.(body));
  if (failure || !route) {
    const e = api.error(failure ?? { status: 404 }, meta);
    return ex.send(failure?.status ?? 404, e.headers, e.body);
  }
  return play(ex, route, body, meta, state.queue.shift() ?? state.fallback);
}

async function play(ex: Exchange, route: Route, body: any, meta: Meta, s: Scenario): Promise<void> {
  if (s.kind === 'hang') return; // the Exchange counts the client giving up
  if (s.kind === 'drop' && s.afterChunks === undefined) return ex.drop();
  if (s.kind === 'raw') return playRaw(ex, s);
  if (s.kind === 'error') {
    const e = route.api.error({ status: s.status, type: s.errorType, message: s.message }, meta);
    return ex.send(s.status, e.headers, e.body);
  }
  const content = contentOf(s, route.prompt?.(body) ?? '', route.api);
  if (body?.stream === true && route.sse) return playStream(ex, route, route.sse(body, content, meta), meta, s, content);
  if (s.kind === 'stream_error') {
    const e = route.api.error({ ...route.api.streamFailure, message: s.message }, meta);
    return ex.send(route.api.streamFailure.status, e.headers, e.body);
  }
  if (content.type === 'text') await sleep(content.firstDelayMs + content.delayMs * Math.max(0, content.chunks.length - 1));
  const json = route.json(body, content, meta);
  if (s.kind !== 'drop') return ex.send(200, { ...JSON_HEADERS, ...meta.headers }, json);
  // A drop inside a plain body: the head and half the bytes, then the socket goes.
  ex.res.writeHead(200, { ...JSON_HEADERS, ...meta.headers, 'content-length': String(Buffer.byteLength(json)) });
  ex.res.write(json.slice(0, Math.floor(json.length / 2)));
  await sleep(0);
  ex.drop();
}

async function playStream(ex: Exchange, route: Route, frames: Frame[], meta: Meta, s: Scenario, c: Content): Promise<void> {
  const cut = s.kind === 'stream_error' || s.kind === 'drop' ? (s.afterChunks ?? 0) : Infinity;
  ex.res.writeHead(200, { ...SSE_HEADERS, ...meta.headers });
  ex.res.flushHeaders();
  let deltas = 0;
  for (const [i, frame] of frames.entries()) {
    if ((frame.part === 'delta' && deltas === cut) || (frame.part === 'tail' && cut !== Infinity)) {
      if (s.kind === 'drop') return ex.drop();
      if (!ex.closed) ex.res.end(route.sseError?.(s.kind === 'stream_error' ? s.message : undefined, i, meta));
      return;
    }
    if (frame.part === 'delta' && c.type === 'text') await sleep(deltas === 0 ? c.firstDelayMs : c.delayMs);
    if (frame.part === 'delta') deltas++;
    if (ex.closed) return;
    ex.res.write(frame.text);
    await sleep(0); // one event per write, and let it leave before the next
  }
  if (!ex.closed) ex.res.end();
}

async function playRaw(ex: Exchange, s: Extract<Scenario, { kind: 'raw' }>): Promise<void> {
  ex.res.writeHead(s.status, s.headers);
  ex.res.flushHeaders();
  for (const [i, part] of (typeof s.body === 'string' ? [s.body] : s.body).entries()) {
    if (i > 0) await sleep(s.delayMs ?? 0);
    if (ex.closed) return;
    ex.res.write(part);
  }
  // `cutAtEnd`: everything sent, then the connection breaks instead of ending the body properly.
  if (s.cutAtEnd) {
    await sleep(0);
    return ex.drop();
  }
  ex.res.end();
}

export async function startUpstream(opts: { port?: number } = {}): Promise<Upstream> {
  const state: State = { requests: [], queue: [], fallback: DEFAULT, aborted: 0, closing: false };
  const server = http.createServer((req, res) => {
    handle(req, res, state).catch((err: Error) => res.destroy(err));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: state.requests,
    next: (...s) => void state.queue.push(...s),
    setDefault: (s) => void (state.fallback = s),
    get aborted() {
      return state.aborted;
    },
    reset() {
      state.requests.length = 0;
      state.queue.length = 0;
      state.fallback = DEFAULT;
      state.aborted = 0;
    },
    async close() {
      state.closing = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
