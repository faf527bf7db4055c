// Reads a request body in any of the caller protocols into one chat transcript for display and diffing,
// and writes a reviewer's text edits back into the original body (editing never changes the shape).
import type { Protocol } from '../../../gateway/api/types.js';

/** Where a string lives inside the request body, e.g. ['messages', 2, 'content']. */
export type BodyPath = (string | number)[];

export type MessagePart =
  | { kind: 'text'; text: string; path: BodyPath | null }
  | { kind: 'tool_call'; name: string; callId: string | null; input: string }
  | { kind: 'tool_result'; callId: string | null; text: string; path: BodyPath | null; isError: boolean }
  /** Images, files, audio, thinking blocks: described, never rendered. */
  | { kind: 'attachment'; label: string };

export interface ConversationMessage {
  role: string;
  name: string | null;
  parts: MessagePart[];
}

export interface ToolDefinition {
  name: string;
  description: string;
  schema: string;
}

export interface Conversation {
  messages: ConversationMessage[];
  tools: ToolDefinition[];
  /** Model and every other parameter (temperature, max_tokens, stream...), as sent. */
  params: Record<string, unknown>;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const asString = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v, null, 2));
const pretty = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v ?? {}, null, 2));

/** Reads a body the gateway recorded. Unknown shapes still show, as one JSON message. */
export function readConversation(protocol: Protocol, body: unknown): Conversation {
  if (!isObject(body)) return { messages: [rawMessage(body)], tools: [], params: {} };
  switch (protocol) {
    case 'openai-chat':
      return readOpenAiChat(body);
    case 'openai-responses':
      return readOpenAiResponses(body);
    case 'anthropic-messages':
      return readAnthropic(body);
    case 'openai-embeddings':
      return readEmbeddings(body);
    default:
      return { messages: [rawMessage(body)], tools: [], params: {} };
  }
}

/** A value no reader understands, shown as one JSON message. */
function rawMessage(value: unknown, role = 'request'): ConversationMessage {
  return { role, name: null, parts: [{ kind: 'text', text: pretty(value), path: null }] };
}

function paramsWithout(body: Json, keys: string[]): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (!keys.includes(k)) params[k] = v;
  return params;
}

/** Tools listed flat, as OpenAI Responses and Anthropic list them; `schemaKey` is where the JSON schema sits. */
function readFlatTools(tools: unknown, schemaKey: 'parameters' | 'input_schema'): ToolDefinition[] {
  return (Array.isArray(tools) ? tools : []).map((t) => (isObject(t)
    ? { name: asString(t.name ?? t.type), description: asString(t.description), schema: pretty(t[schemaKey] ?? {}) }
    : { name: asString(t), description: '', schema: '{}' }));
}

function readOpenAiChat(body: Json): Conversation {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const tools = Array.isArray(body.tools) ? body.tools : Array.isArray(body.functions) ? body.functions : [];
  return {
    messages: messages.map((m, i) => readOpenAiChatMessage(m, ['messages', i])),
    tools: tools.map((t) => {
      const fn = isObject(t) && isObject(t.function) ? t.function : isObject(t) ? t : {};
      return { name: asString(fn.name ?? (isObject(t) ? t.type : '')), description: asString(fn.description), schema: pretty(fn.parameters ?? {}) };
    }),
    params: paramsWithout(body, ['messages', 'tools', 'functions']),
  };
}

function readOpenAiChatMessage(m: unknown, path: BodyPath): ConversationMessage {
  if (!isObject(m)) return rawMessage(m, 'unknown');
  const role = asString(m.role) || 'unknown';
  const parts: MessagePart[] = [];
  if (role === 'tool') {
    parts.push({ kind: 'tool_result', callId: typeof m.tool_call_id === 'string' ? m.tool_call_id : null, text: asString(m.content), path: typeof m.content === 'string' ? [...path, 'content'] : null, isError: false });
  } else if (typeof m.content === 'string') {
    parts.push({ kind: 'text', text: m.content, path: [...path, 'content'] });
  } else if (Array.isArray(m.content)) {
    m.content.forEach((p, j) => parts.push(readContentPart(p, [...path, 'content', j])));
  }
  if (typeof m.refusal === 'string') parts.push({ kind: 'text', text: m.refusal, path: [...path, 'refusal'] });
  if (Array.isArray(m.tool_calls)) {
    for (const call of m.tool_calls) {
      const fn = isObject(call) && isObject(call.function) ? call.function : {};
      parts.push({ kind: 'tool_call', name: asString(fn.name), callId: isObject(call) && typeof call.id === 'string' ? call.id : null, input: asString(fn.arguments) });
    }
  }
  if (isObject(m.function_call)) parts.push({ kind: 'tool_call', name: asString(m.function_call.name), callId: null, input: asString(m.function_call.arguments) });
  return { role, name: typeof m.name === 'string' ? m.name : null, parts };
}

/** One content part of OpenAI chat, OpenAI Responses or an Anthropic text/image block. */
function readContentPart(p: unknown, path: BodyPath): MessagePart {
  if (typeof p === 'string') return { kind: 'text', text: p, path };
  if (!isObject(p)) return { kind: 'text', text: pretty(p), path: null };
  const type = asString(p.type);
  if (typeof p.text === 'string' && (type === 'text' || type === 'input_text' || type === 'output_text')) {
    return { kind: 'text', text: p.text, path: [...path, 'text'] };
  }
  if (type === 'refusal' && typeof p.refusal === 'string') return { kind: 'text', text: p.refusal, path: [...path, 'refusal'] };
  return { kind: 'attachment', label: describeAttachment(p) };
}

function describeAttachment(p: Json): string {
  const type = asString(p.type) || 'part';
  const source = isObject(p.source) ? p.source : null;
  const media = source && typeof source.media_type === 'string' ? ` ${source.media_type}` : '';
  const url = isObject(p.image_url) ? p.image_url.url : p.image_url;
  const where = typeof url === 'string' ? (url.startsWith('data:') ? ' (inline data)' : ` ${url}`) : '';
  return `[${type}${media}${where}]`;
}

function readOpenAiResponses(body: Json): Conversation {
  const messages: ConversationMessage[] = [];
  if (typeof body.instructions === 'string') {
    messages.push({ role: 'instructions', name: null, parts: [{ kind: 'text', text: body.instructions, path: ['instructions'] }] });
  }
  if (typeof body.input === 'string') {
    messages.push({ role: 'user', name: null, parts: [{ kind: 'text', text: body.input, path: ['input'] }] });
  } else if (Array.isArray(body.input)) {
    body.input.forEach((item, i) => messages.push(readResponsesItem(item, ['input', i])));
  }
  return {
    messages,
    tools: readFlatTools(body.tools, 'parameters'),
    params: paramsWithout(body, ['instructions', 'input', 'tools']),
  };
}

function readResponsesItem(item: unknown, path: BodyPath): ConversationMessage {
  if (!isObject(item)) return rawMessage(item, 'unknown');
  const type = asString(item.type);
  if (type === 'function_call') {
    return { role: 'assistant', name: null, parts: [{ kind: 'tool_call', name: asString(item.name), callId: typeof item.call_id === 'string' ? item.call_id : null, input: asString(item.arguments) }] };
  }
  if (type === 'function_call_output') {
    const text = asString(item.output);
    return { role: 'tool', name: null, parts: [{ kind: 'tool_result', callId: typeof item.call_id === 'string' ? item.call_id : null, text, path: typeof item.output === 'string' ? [...path, 'output'] : null, isError: false }] };
  }
  if (type === 'reasoning') return { role: 'assistant', name: null, parts: [{ kind: 'attachment', label: '[reasoning]' }] };
  if (typeof item.role === 'string') {
    const parts: MessagePart[] = typeof item.content === 'string'
      ? [{ kind: 'text', text: item.content, path: [...path, 'content'] }]
      : Array.isArray(item.content) ? item.content.map((p, j) => readContentPart(p, [...path, 'content', j])) : [];
    return { role: item.role, name: null, parts };
  }
  return rawMessage(item, type || 'item');
}

function readAnthropic(body: Json): Conversation {
  const messages: ConversationMessage[] = [];
  if (typeof body.system === 'string') {
    messages.push({ role: 'system', name: null, parts: [{ kind: 'text', text: body.system, path: ['system'] }] });
  } else if (Array.isArray(body.system)) {
    messages.push({ role: 'system', name: null, parts: body.system.map((b, j) => readAnthropicBlock(b, ['system', j])) });
  }
  const list = Array.isArray(body.messages) ? body.messages : [];
  list.forEach((m, i) => {
    if (!isObject(m)) return void messages.push(rawMessage(m, 'unknown'));
    const path: BodyPath = ['messages', i, 'content'];
    const parts: MessagePart[] = typeof m.content === 'string'
      ? [{ kind: 'text', text: m.content, path }]
      : Array.isArray(m.content) ? m.content.map((b, j) => readAnthropicBlock(b, [...path, j])) : [];
    messages.push({ role: asString(m.role) || 'unknown', name: null, parts });
  });
  return {
    messages,
    tools: readFlatTools(body.tools, 'input_schema'),
    params: paramsWithout(body, ['system', 'messages', 'tools']),
  };
}

function readAnthropicBlock(b: unknown, path: BodyPath): MessagePart {
  if (!isObject(b)) return readContentPart(b, path);
  const type = asString(b.type);
  if (type === 'tool_use') {
    return { kind: 'tool_call', name: asString(b.name), callId: typeof b.id === 'string' ? b.id : null, input: pretty(b.input ?? {}) };
  }
  if (type === 'tool_result') {
    const content = b.content;
    const text = typeof content === 'string'
      ? content
      : Array.isArray(content) ? content.map((c) => (isObject(c) && typeof c.text === 'string' ? c.text : describeAttachment(isObject(c) ? c : {}))).join('\n') : '';
    return { kind: 'tool_result', callId: typeof b.tool_use_id === 'string' ? b.tool_use_id : null, text, path: typeof content === 'string' ? [...path, 'content'] : null, isError: b.is_error === true };
  }
  if (type === 'thinking') return { kind: 'attachment', label: '[thinking]' };
  return readContentPart(b, path);
}

function readEmbeddings(body: Json): Conversation {
  const input = body.input;
  const texts = Array.isArray(input) ? input : [input];
  return {
    messages: texts.map((t, i) => ({
      role: 'input',
      name: null,
      parts: [{ kind: 'text', text: asString(t), path: typeof t === 'string' ? (Array.isArray(input) ? ['input', i] : ['input']) : null }],
    })),
    tools: [],
    params: paramsWithout(body, ['input']),
  };
}

/** The key an edit is stored under: the JSON of its path. */
export const pathKey = (path: BodyPath): string => JSON.stringify(path);

/**
 * The original body with each edited string replaced; a deep copy, so the original stays the
 * snapshot the edit is compared against. Paths that no longer exist are ignored.
 */
export function applyEdits(body: unknown, edits: ReadonlyMap<string, string>): unknown {
  // A JSON round trip, not structuredClone: the body may arrive wrapped in a reactive proxy.
  const copy: unknown = JSON.parse(JSON.stringify(body ?? null));
  for (const [key, text] of edits) {
    const path = JSON.parse(key) as BodyPath;
    let node: unknown = copy;
    for (const step of path.slice(0, -1)) node = isObject(node) || Array.isArray(node) ? (node as Record<string | number, unknown>)[step] : undefined;
    const last = path[path.length - 1];
    if ((isObject(node) || Array.isArray(node)) && last !== undefined) (node as Record<string | number, unknown>)[last] = text;
  }
  return copy;
}

/** The text of a message as the diff and the search read it. */
export function messageText(message: ConversationMessage): string {
  return message.parts
    .map((p) => {
      switch (p.kind) {
        case 'text':
          return p.text;
        case 'tool_call':
          return `→ ${p.name}(${p.input})`;
        case 'tool_result':
          return `${p.isError ? '✗ ' : ''}${p.text}`;
        case 'attachment':
          return p.label;
      }
    })
    .join('\n');
}
