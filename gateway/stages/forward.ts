// Forward: sends the approved request upstream and relays the answer to the caller as it arrives.
import type { IncomingHttpHeaders } from 'node:http';
import { AirlockError } from '../errors.js';
import type { RequestFlow } from '../flow/request-flow.js';
import type { UpstreamClient, UpstreamTarget } from '../upstream/client.js';
import { upstreamError } from '../upstream/client.js';
import { parseJson } from '../protocols/validate.js';
import { streamTap, type TextTransform } from './stream-tap.js';

export interface ForwardDeps {
  client: (target: UpstreamTarget) => UpstreamClient;
  resolve: (flow: RequestFlow) => UpstreamTarget;
  timeoutMs: number;
  /** Guardrail hooks: rewrite streamed text and whole JSON answers (masking), and prompts before they leave. */
  streamTransform?: (flow: RequestFlow) => (() => TextTransform) | undefined;
  bodyTransform?: (flow: RequestFlow, body: unknown) => unknown;
  requestTransform?: (flow: RequestFlow, body: Record<string, unknown>) => Record<string, unknown>;
}

/**
 * With `holdAnswer`, a successful answer is not sent: it is kept in `flow.heldAnswer` (masked, as the caller will get it)
 * for a reviewer; a held stream gets its SSE headers and keep-alive comments meanwhile. `release()` sends it.
 */
export async function forward(flow: RequestFlow, incoming: IncomingHttpHeaders, deps: ForwardDeps, opts: { holdAnswer?: boolean; keepAliveMs?: number } = {}): Promise<void> {
  const target = deps.resolve(flow);
  const headers = flow.codec.upstreamHeaders(target.key, incoming);
  let body = flow.adapter.method === 'POST' ? flow.forwardBody : undefined;
  if (body && deps.requestTransform) {
    const source = flow.editedBody ?? flow.body;
    const masked = deps.requestTransform(flow, source);
    if (masked !== source) {
      body = Buffer.from(JSON.stringify(masked));
      flow.mark('edited', { by: 'masking', detail: 'personal data and secrets in the prompt were masked before it left' });
    }
  }
  if (body) headers['content-type'] = 'application/json';
  const upstream = await deps.client(target).send(target, {
    method: flow.adapter.method,
    path: flow.adapter.path,
    headers,
    body,
    signal: flow.abort.signal,
    timeoutMs: deps.timeoutMs,
  });
  const reply = flow.reply;
  const isSse = (upstream.headers['content-type'] ?? '').startsWith('text/event-stream');

  if (isSse && upstream.status < 400) {
    const text = deps.streamTransform?.(flow);
    const bodyTransform = deps.bodyTransform;
    const tap = streamTap(flow, text && bodyTransform ? { text, json: (value) => bodyTransform(flow, value) } : undefined);
    delete upstream.headers['content-length'];
    const held: NonNullable<RequestFlow['heldAnswer']> | null = opts.holdAnswer ? { status: upstream.status, headers: upstream.headers, chunks: [], stream: true } : null;
    flow.heldAnswer = held;
    if (held) reply.openEarly(opts.keepAliveMs ?? 15_000);
    else reply.start(upstream.status, upstream.headers);
    let first = true;
    try {
      for await (const chunk of upstream.body) {
        if (first) {
          flow.mark('first_byte');
          first = false;
        }
        const out = tap.push(chunk);
        if (held) held.chunks.push(out);
        else if (out.length > 0 && !reply.write(out)) await reply.drained();
        if (!reply.open) break;
      }
    } catch (err) {
      // The connection broke. After the answer's last event, the answer is whole: it ends as any other (below). Before
      // it, what arrived still goes out (masked, as at a normal end), then the error.
      if (!tap.complete || flow.abort.signal.aborted) {
        const rest = tap.end();
        if (held) held.chunks.push(rest);
        else if (rest.length > 0 && reply.open) reply.write(rest);
        throw upstreamError(err, target);
      }
    }
    const rest = tap.end();
    if (flow.abort.signal.aborted) throw new AirlockError('upstream_error', { message: 'The caller left before the answer ended.' });
    if (held) held.chunks.push(rest);
    else flow.finalChunk = rest;
    flow.result = { status: upstream.status, headers: upstream.headers, text: tap.text, rawText: tap.rawText, body: null };
    // An error the upstream sent inside the stream reached the caller as it came; the session failed all the same.
    if (tap.upstreamError !== null) flow.error = new AirlockError('upstream_error', { message: withoutKeyText(tap.upstreamError, target.key), status: upstream.status });
    return;
  }

  // Non-streamed answers (and every upstream error) are read whole: they are small and must be recorded.
  const parts: Buffer[] = [];
  try {
    for await (const chunk of upstream.body) {
      if (parts.length === 0) flow.mark('first_byte');
      parts.push(chunk);
    }
  } catch (err) {
    throw upstreamError(err, target);
  }
  // An upstream that quotes the key it was sent (a 401 often does) must not hand it to the caller or the record.
  let raw = withoutKey(Buffer.concat(parts), target.key);
  let parsed: unknown = parseJson(raw.toString('utf8')) ?? null;
  const rawText = upstream.status < 400 ? flow.adapter.answerText(parsed) : '';
  let text = rawText;
  // Error bodies are masked too: they may quote the prompt, or a secret, back.
  if (parsed !== null && deps.bodyTransform) {
    const rewritten = deps.bodyTransform(flow, parsed);
    if (rewritten !== parsed) {
      parsed = rewritten;
      raw = Buffer.from(JSON.stringify(rewritten));
      text = flow.adapter.answerText(parsed);
    }
  }
  if (upstream.status >= 400) {
    const message = upstreamMessage(parsed) ?? `The upstream answered ${upstream.status}.`;
    flow.error = new AirlockError('upstream_error', { message, status: upstream.status });
    if (reply.earlyStream) {
      // The caller already has a 200 stream open: the error travels inside it.
      reply.fail(flow.error);
      flow.result = { status: upstream.status, headers: upstream.headers, text: '', rawText: '', body: parsed };
      return;
    }
  }
  const answerHeaders = { ...upstream.headers, 'content-length': String(raw.length) };
  if (opts.holdAnswer && upstream.status < 400) flow.heldAnswer = { status: upstream.status, headers: answerHeaders, chunks: [raw], stream: false };
  else if (reply.earlyStream) reply.fail(new AirlockError('upstream_error', { message: 'The upstream answered a stream request without a stream.' }));
  else {
    // Head and body go out together once the session is on record (Pipeline.finish).
    flow.answerHead = { status: upstream.status, headers: answerHeaders };
    flow.finalChunk = raw;
  }
  flow.result = { status: upstream.status, headers: upstream.headers, text, rawText, body: parsed };
}

/** Keys shorter than this are placeholders (`ollama`, `none`), not secrets, and too likely to be ordinary words. */
const MIN_KEY_LENGTH = 12;
const KEY_PLACEHOLDER = '[SECRET:upstream-key]';

/** `body` with every occurrence of the upstream's key replaced (JSON-safe: the placeholder needs no escaping). */
function withoutKey(body: Buffer, key: string | undefined): Buffer {
  return key && key.length >= MIN_KEY_LENGTH && body.includes(key) ? Buffer.from(withoutKeyText(body.toString('utf8'), key)) : body;
}

function withoutKeyText(text: string, key: string | undefined): string {
  return key && key.length >= MIN_KEY_LENGTH ? text.replaceAll(key, KEY_PLACEHOLDER) : text;
}

function upstreamMessage(body: unknown): string | undefined {
  const error = (body as { error?: { message?: unknown } } | null)?.error;
  return typeof error?.message === 'string' ? error.message : undefined;
}

/** Sends an answer that a reviewer approved (`review: response`). */
export async function release(flow: RequestFlow): Promise<void> {
  const held = flow.heldAnswer;
  if (!held) return;
  const reply = flow.reply;
  if (held.stream) {
    if (!reply.headersSent) reply.start(held.status, held.headers);
    else reply.stopKeepAlive();
    // All but the last piece now; the last once the session is on record (Pipeline.finish).
    const last = held.chunks.length - 1;
    for (let i = 0; i < last; i++) if (held.chunks[i].length > 0 && !reply.write(held.chunks[i])) await reply.drained();
    flow.finalChunk = last >= 0 ? held.chunks[last] : '';
  } else if (reply.earlyStream) {
    reply.fail(new AirlockError('upstream_error', { message: 'The upstream answered a stream request without a stream.' }));
  } else {
    flow.answerHead = { status: held.status, headers: held.headers };
    flow.finalChunk = Buffer.concat(held.chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)));
  }
  flow.heldAnswer = null;
}
