// What every wire protocol provides; nothing outside gateway/protocols switches on the protocol.
import type { IncomingHttpHeaders } from 'node:http';
import type { Protocol } from '../api/types.js';
import type { ProtocolFamily } from '../config/schema.js';
import type { AirlockError } from '../errors.js';

export interface SseEvent {
  event?: string;
  data: string;
  id?: string;
}

/** A message of the conversation, flattened to text for previews, policy matching and search. */
export interface PromptMessage {
  role: string;
  text: string;
  /** The message exactly as sent, for conversation hashing. */
  raw: unknown;
}

export interface Prompt {
  /** System prompt or instructions (empty string when none). */
  system: string;
  messages: PromptMessage[];
}

export interface ProtocolAdapter {
  readonly protocol: Protocol;
  readonly family: ProtocolFamily;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** Throws an AirlockError('invalid_request') naming the bad parameter. */
  validate(body: unknown): asserts body is Record<string, unknown>;
  isStream(body: Record<string, unknown>): boolean;
  model(body: Record<string, unknown>): string;
  prompt(body: Record<string, unknown>): Prompt;
  /** The text one streamed event carries to the reader (delta text, refusal, tool arguments are not text). */
  textOf(event: SseEvent): string;
  /** The same event carrying other text (used when a guardrail rewrites the delta). */
  withText(event: SseEvent, text: string): SseEvent;
  /** The event that tells the reader the answer is complete (`[DONE]`, `message_stop`, `response.completed`, …). */
  isLast?(event: SseEvent): boolean;
  /** The message of an error the upstream reports inside a stream (the stream then ends without an answer); else null. */
  errorOf?(event: SseEvent): string | null;
  /** The assembled answer text of a non-streamed response body. */
  answerText(body: unknown): string;
}

export interface FamilyCodec {
  readonly family: ProtocolFamily;
  errorBody(err: AirlockError, requestId: string): unknown;
  /** One SSE frame that makes the caller's SDK raise the error mid-stream. */
  streamErrorFrame(err: AirlockError, requestId: string): string;
  /** Headers for the upstream call: auth with the upstream key plus the caller's protocol headers. */
  upstreamHeaders(upstreamKey: string | undefined, incoming: IncomingHttpHeaders): Record<string, string>;
  /** Extracts the caller's key from its headers. */
  callerKey(incoming: IncomingHttpHeaders): string | undefined;
}

export function encodeSse(event: SseEvent): string {
  let out = '';
  if (event.event !== undefined) out += `event: ${event.event}\n`;
  if (event.id !== undefined) out += `id: ${event.id}\n`;
  for (const line of event.data.split('\n')) out += `data: ${line}\n`;
  return `${out}\n`;
}

/** The message of an upstream error object, or a generic one when it has none. */
export function upstreamErrorMessage(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' && message !== '' ? message : 'The upstream reported an error in the stream.';
}

export const KEEP_ALIVE = ': pending approval\n\n';

/** Text of OpenAI/Anthropic content: a string, or an array of parts whose text parts are joined. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return content == null ? '' : JSON.stringify(content);
  return content
    .map((part) => {
      if (typeof part === 'string') return part;
      if (part && typeof part === 'object') {
        const p = part as Record<string, unknown>;
        if (typeof p.text === 'string') return p.text;
        if (p.type === 'tool_result') return contentText(p.content);
        if (p.type === 'tool_use' || p.type === 'function_call') return JSON.stringify(p.input ?? p.arguments ?? '');
      }
      return '';
    })
    .filter(Boolean)
    .join('\n');
}

/** `GET /v1/models`: no prompt, nothing to read; served by the family's upstream. */
export function modelsAdapter(family: ProtocolFamily, protocol: Protocol): ProtocolAdapter {
  return {
    protocol,
    family,
    method: 'GET',
    path: '/v1/models',
    validate() {},
    isStream: () => false,
    model: () => '',
    prompt: () => ({ system: '', messages: [] }),
    textOf: () => '',
    withText: (event) => event,
    answerText: () => '',
  };
}
