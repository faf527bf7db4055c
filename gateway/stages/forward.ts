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
  /** Guardrail hooks: rewrite streamed text and whole JSON answers (masking). */
  streamTransform?: (flow: RequestFlow) => (() => TextTransform) | undefined;
  bodyTransform?: (flow: RequestFlow, body: unknown) => unknown;
}

export async function forward(flow: RequestFlow, incoming: IncomingHttpHeaders, deps: ForwardDeps): Promise<void> {
  const target = deps.resolve(flow);
  const headers = flow.codec.upstreamHeaders(target.key, incoming);
  const body = flow.adapter.method === 'POST' ? flow.forwardBody : undefined;
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
    const tap = streamTap(flow, deps.streamTransform?.(flow));
    delete upstream.headers['content-length'];
    reply.start(upstream.status, upstream.headers);
    let first = true;
    try {
      for await (const chunk of upstream.body) {
        const out = tap.push(chunk);
        if (first) {
          flow.mark('first_byte');
          first = false;
        }
        if (out.length > 0 && !reply.write(out)) await reply.drained();
        if (!reply.open) break;
      }
    } catch (err) {
      throw upstreamError(err, target);
    }
    const rest = tap.end();
    if (flow.abort.signal.aborted) throw new AirlockError('upstream_error', { message: 'The caller left before the answer ended.' });
    reply.end(rest || undefined);
    flow.result = { status: upstream.status, headers: upstream.headers, text: tap.text, body: null };
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
  let raw = Buffer.concat(parts);
  let parsed: unknown = parseJson(raw.toString('utf8')) ?? null;
  if (upstream.status < 400 && parsed !== null && deps.bodyTransform) {
    const rewritten = deps.bodyTransform(flow, parsed);
    if (rewritten !== parsed) {
      parsed = rewritten;
      raw = Buffer.from(JSON.stringify(rewritten));
    }
  }
  if (upstream.status >= 400) {
    const message = upstreamMessage(parsed) ?? `The upstream answered ${upstream.status}.`;
    flow.error = new AirlockError('upstream_error', { message, status: upstream.status });
    if (reply.earlyStream) {
      // The caller already has a 200 stream open: the error travels inside it.
      reply.fail(flow.error);
      flow.result = { status: upstream.status, headers: upstream.headers, text: '', body: parsed };
      return;
    }
  }
  if (reply.earlyStream) {
    reply.fail(new AirlockError('upstream_error', { message: 'The upstream answered a stream request without a stream.' }));
  } else {
    reply.start(upstream.status, { ...upstream.headers, 'content-length': String(raw.length) });
    reply.end(raw);
  }
  flow.result = { status: upstream.status, headers: upstream.headers, text: upstream.status < 400 ? flow.adapter.answerText(parsed) : '', body: parsed };
}

function upstreamMessage(body: unknown): string | undefined {
  const error = (body as { error?: { message?: unknown } } | null)?.error;
  return typeof error?.message === 'string' ? error.message : undefined;
}
