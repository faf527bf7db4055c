// The inference use case: auth → policy → record → hold → forward → finish, for every /v1 request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { AirlockConfig } from '../config/schema.js';
import { AirlockError, toAirlockError } from '../errors.js';
import { CODECS, type ProtocolAdapter } from '../protocols/index.js';
import { decidePolicy, type ContainsCheck, type PolicyVerdict } from '../stages/policy.js';
import { forward, release, type ForwardDeps } from '../stages/forward.js';
import type { RememberedRules } from '../guard/remembered.js';
import type { Recorder } from '../stages/record.js';
import type { IdentityStore } from '../store/identities.js';
import { CallerReply } from './caller-reply.js';
import type { ReviewQueue } from './queue.js';
import { newRequestId, RequestFlow, type HoldOutcome } from './request-flow.js';
import { TERMINAL } from './status.js';

export interface PipelineDeps {
  config: AirlockConfig;
  identities: IdentityStore;
  queue: ReviewQueue;
  recorder: Recorder;
  forward: ForwardDeps;
  logger: Logger;
  contains: ContainsCheck;
  remembered?: RememberedRules;
  /** Guardrails that may refuse a request before policy (rate limits). */
  admit?: (flow: RequestFlow) => void;
  intakePaused: () => boolean;
  shuttingDown: () => boolean;
  /** Every flow, once created, is announced here (the gateway wires events to it). */
  created: (flow: RequestFlow) => void;
  /** The flow's record is written; it leaves the live set. */
  finished: (flow: RequestFlow) => void;
  /** How long a caller may be gone before its pending request is withdrawn (a client's retry rejoins within it). */
  hangUpGraceMs: number;
}

export class Pipeline {
  readonly active = new Set<RequestFlow>();
  /** Re-arms the waiting timers of a held flow when a retry brings a new connection. */
  private readonly rearm = new Map<RequestFlow, () => void>();

  constructor(private readonly deps: PipelineDeps) {}

  async handle(req: IncomingMessage, res: ServerResponse, adapter: ProtocolAdapter): Promise<void> {
    const codec = CODECS[adapter.family];
    const reply = new CallerReply(res, adapter, codec, newRequestId());
    try {
      if (this.deps.shuttingDown()) throw new AirlockError('gateway_shutdown', { message: 'Airlock is shutting down.' });
      if (this.deps.intakePaused()) throw new AirlockError('intake_paused', { message: 'Airlock has paused intake: a reviewer is not taking new requests right now. Try again later.' });
      const key = codec.callerKey(req.headers);
      const caller = key ? await this.deps.identities.callerByKey(key) : undefined;
      if (!caller) {
        throw new AirlockError('unauthorized', { message: key ? 'Incorrect Airlock caller key provided.' : 'Missing Airlock caller key (send it as the API key).' });
      }
      const raw = await readBody(req, this.deps.config.server.bodyLimit);
      const body = adapter.method === 'GET' ? {} : parseBody(raw);
      adapter.validate(body);
      const retryCount = Number(req.headers['x-stainless-retry-count'] ?? 0) || 0;
      const flow = new RequestFlow(reply.requestId, adapter, codec, caller, raw, body, reply, retryCount);
      const joined = this.deps.queue.joinable(flow.dedupeKey, retryCount > 0);
      if (joined) {
        this.rejoin(joined, reply);
        return;
      }
      await this.run(flow, req);
    } catch (err) {
      const error = toAirlockError(err);
      if (error.code === 'internal') this.deps.logger.error({ err }, 'request failed before it was recorded');
      reply.fail(error);
    }
  }

  /** A retry of a request that is already held: the held flow answers on the new connection. */
  private rejoin(flow: RequestFlow, reply: CallerReply): void {
    const previous = flow.reply;
    if (previous.open) previous.fail(pendingError(flow));
    flow.reply = reply;
    flow.mark('arrived', { detail: 'retry joined' });
    const rearm = this.rearm.get(flow);
    if (rearm) rearm();
    else this.watchHangUp(flow);
    this.deps.queue.retryArrived(flow);
  }

  private async run(flow: RequestFlow, req: IncomingMessage): Promise<void> {
    this.active.add(flow);
    this.deps.created(flow);
    try {
      // A request over a rate limit is refused like a policy rejection, and recorded as one (a reviewer and an
      // auditor see who was held back, and when); its caller gets the 429 with retry-after.
      let limited: AirlockError | null = null;
      try {
        this.deps.admit?.(flow);
      } catch (err) {
        limited = toAirlockError(err);
        if (limited.code !== 'rate_limited') throw err;
      }
      flow.policy = limited ? { ...this.decide(flow), action: 'reject', rule: 'rate-limit', reason: limited.message } : this.decide(flow);
      const { action, review } = flow.policy;
      // `review: response` alone lets the request go and holds the answer instead.
      const initial = action === 'reject' ? 'rejected' : action === 'review' && review !== 'response' ? 'pending' : 'approved';
      // The hold starts before the record is written, so a reviewer who sees it listed can decide it at once (and it
      // sets the flow's timeoutAt, which the record carries).
      const holding = initial === 'pending' ? this.holdFor(flow) : null;
      try {
        this.deps.recorder.open(flow, initial);
      } catch (err) {
        if (holding) {
          flow.resume({ kind: 'cancel' });
          await holding.catch(() => undefined);
        }
        throw err;
      }
      flow.transition(initial, { by: initial === 'pending' ? undefined : `policy:${flow.policy.rule ?? 'default'}` });
      if (initial === 'rejected') {
        flow.decisions.push({ action: 'policy_reject', reviewer: null, reason: flow.policy.reason, note: null, edited: false, at: new Date().toISOString() });
        await this.deps.recorder.decided(flow, flow.decisions[0]);
        if (limited) throw limited;
        throw new AirlockError('policy_rejected', { message: `Rejected by Airlock policy "${flow.policy.rule}"${flow.policy.reason ? `: ${flow.policy.reason}` : '.'}` });
      }
      if (holding && !(await holding)) return;
      if (initial === 'approved') this.watchHangUp(flow);
      flow.transition('forwarding');
      const reviewAnswer = review !== 'request';
      await forward(flow, req.headers, this.deps.forward, { holdAnswer: reviewAnswer, keepAliveMs: this.deps.config.hold.keepAlive });
      // An answer that ended in an upstream error is not offered for review: the caller gets the error.
      if (reviewAnswer && flow.heldAnswer && !flow.error) {
        // `review: response`: the answer waits for its own decision before the caller gets it.
        flow.phase = 'response';
        flow.approvers.clear();
        flow.timeoutAt = Date.now() + flow.policy.timeoutMs;
        flow.transition('pending', { detail: 'the answer waits for review' });
        if (!(await this.holdFor(flow))) return;
        await release(flow);
      }
    } catch (err) {
      flow.error ??= toAirlockError(err);
      if (flow.error.code === 'internal') this.deps.logger.error({ err, requestId: flow.id }, 'request failed');
    } finally {
      await this.finish(flow);
    }
  }

  /** Policy first; where it would ask a person, a remembered decision may answer instead. */
  private decide(flow: RequestFlow): PolicyVerdict {
    const verdict = decidePolicy(flow, this.deps.config, this.deps.contains);
    // A remembered approval is one reviewer's: it never answers for a two-person rule.
    if (verdict.action !== 'review' || verdict.review === 'response' || verdict.approvals > 1) return verdict;
    const remembered = this.deps.remembered?.match(flow);
    return remembered ? { ...verdict, action: 'approve', rule: `remembered:${remembered.id}` } : verdict;
  }

  /** Holds the flow for a decision; false when it ended there (rejected, timed out, withdrawn). */
  private async holdFor(flow: RequestFlow): Promise<boolean> {
    this.watchHangUp(flow);
    let stopWaiting = this.keepCallerWaiting(flow);
    const rearm = () => {
      stopWaiting();
      this.watchHangUp(flow);
      stopWaiting = this.keepCallerWaiting(flow);
    };
    this.rearm.set(flow, rearm);
    const outcome = await this.deps.queue.hold(flow).finally(() => {
      stopWaiting();
      this.rearm.delete(flow);
    });
    flow.reply.stopKeepAlive();
    if (flow.status === null) return false; // withdrawn before it was even recorded
    await this.conclude(flow, outcome);
    if (flow.error) return false;
    if (!flow.reply.open) {
      // Approved while the caller was away (it was told to retry): its identical retry picks this up.
      const back = await this.deps.queue.awaitRetry(flow, this.deps.config.hold.retryWindow);
      if (!back) {
        flow.transition('cancelled', { detail: 'approved, but the caller did not come back for the answer' });
        return false;
      }
    }
    return true;
  }

  /** Turns the hold's outcome into a status and, for a refusal, the caller's error. */
  private async conclude(flow: RequestFlow, outcome: HoldOutcome): Promise<void> {
    const policy = flow.policy!;
    switch (outcome.kind) {
      case 'approve':
        flow.transition('approved', { by: outcome.reviewer ?? undefined });
        return;
      case 'reject':
        flow.transition('rejected', { by: outcome.reviewer ?? undefined, detail: outcome.reason });
        flow.error = new AirlockError('approval_rejected', { message: `Rejected by reviewer ${outcome.reviewer}: ${outcome.reason}` });
        return;
      case 'timeout': {
        const waited = formatDuration(policy.timeoutMs);
        const decision = { action: 'timeout' as const, reviewer: null, reason: `no decision within ${waited}; policy says ${policy.onTimeout}`, note: null, edited: false, at: new Date().toISOString() };
        flow.decisions.push(decision);
        await this.deps.recorder.decided(flow, decision);
        flow.transition('timed_out', { detail: decision.reason });
        if (policy.onTimeout === 'reject') {
          flow.error = new AirlockError('approval_timeout', { message: `No reviewer decided within ${waited}, so Airlock rejected the request (policy "${policy.rule ?? 'default'}").` });
        }
        return;
      }
      case 'cancel':
        flow.transition('cancelled', { detail: 'the caller hung up' });
        flow.abort.abort();
        flow.error = new AirlockError('upstream_error', { message: 'The caller withdrew the request.' });
        return;
      case 'shutdown':
        flow.transition('interrupted', { detail: 'the gateway shut down' });
        flow.error = new AirlockError('gateway_shutdown', { message: 'Airlock shut down before a reviewer decided; the request was not forwarded.' });
        return;
    }
  }

  /** Keeps the caller waiting during a hold: early SSE headers for a stream, a 408 to retry for JSON. Returns the disposer. */
  private keepCallerWaiting(flow: RequestFlow): () => void {
    const reply = flow.reply;
    const hold = this.deps.config.hold;
    const timer = flow.stream
      ? setTimeout(() => flow.held && reply === flow.reply && reply.openEarly(hold.keepAlive), hold.streamGrace)
      : setTimeout(() => flow.held && reply === flow.reply && reply.fail(pendingError(flow)), hold.httpLimit);
    return () => clearTimeout(timer);
  }

  /** Notices when the caller leaves: a held request is withdrawn (after a grace a retry can rejoin in), an upstream call aborted. */
  private watchHangUp(flow: RequestFlow): void {
    const reply = flow.reply;
    if (watched.has(reply)) return;
    watched.add(reply);
    reply.onHangUp(() => {
      if (reply !== flow.reply) return;
      if (flow.held) {
        setTimeout(() => {
          if (flow.held && !flow.reply.open) flow.resume({ kind: 'cancel' });
        }, this.deps.hangUpGraceMs).unref();
      } else if (flow.status === 'forwarding' || flow.status === 'approved') {
        flow.abort.abort();
      }
    });
  }

  private async finish(flow: RequestFlow): Promise<void> {
    const error = flow.error;
    const released = !error && flow.phase === 'response' && (flow.status === 'approved' || flow.status === 'timed_out');
    if (flow.status === 'forwarding' || released) {
      if (flow.abort.signal.aborted) flow.transition('cancelled', { detail: 'the caller hung up during the answer' });
      else if (error || (flow.result && flow.result.status >= 400)) flow.transition('failed', { detail: error?.message });
      else {
        flow.mark('completed');
        flow.transition('completed');
      }
    } else if (flow.status !== null && !TERMINAL.has(flow.status) && flow.status !== 'timed_out') {
      flow.transition(flow.status === 'pending' ? 'cancelled' : 'interrupted');
    }
    if (flow.status === 'failed') flow.mark('failed', { detail: error?.message });
    this.active.delete(flow);
    // The record first, then the answer's last bytes (a flow refused before it was recorded has no record). A session
    // that cannot be put on record is not answered in full: the caller gets an error instead of the last bytes.
    const recorded = flow.status === null || this.deps.recorder.finish(flow);
    if (!recorded && flow.finalChunk !== null) {
      flow.finalChunk = null;
      flow.answerHead = null;
      flow.reply.fail(new AirlockError('store_unavailable', { message: 'Airlock could not record the answer, so it was not delivered.' }));
    }
    if (flow.answerHead) flow.reply.start(flow.answerHead.status, flow.answerHead.headers);
    // An upstream's own error answer passes through as it came; Airlock's errors go out in the protocol's shape.
    if (flow.finalChunk !== null) flow.reply.end(flow.finalChunk.length > 0 ? flow.finalChunk : undefined);
    else if (error) flow.reply.fail(error);
    else flow.reply.end();
    this.deps.finished(flow);
  }

}

const watched = new WeakSet<CallerReply>();

function pendingError(flow: RequestFlow): AirlockError {
  return new AirlockError('approval_pending', {
    message: `Request ${flow.id} is still waiting for a reviewer's decision. Retry the same request: it joins the waiting one, and once approved it is answered at once.`,
    retryAfterSeconds: 1,
  });
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms >= 1000) return `${Math.round(ms / 100) / 10} s`;
  return `${ms} ms`;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      req.resume();
      reject(new AirlockError('body_too_large', { message: `The request body is larger than Airlock's limit of ${limit} bytes.` }));
      return;
    }
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new AirlockError('body_too_large', { message: `The request body is larger than Airlock's limit of ${limit} bytes.` }));
        return;
      }
      parts.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(parts)));
    req.once('error', reject);
  });
}

function parseBody(raw: Buffer): unknown {
  if (raw.length === 0) throw new AirlockError('invalid_request', { message: 'The request body is empty; send a JSON object.' });
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch (err) {
    throw new AirlockError('invalid_json', { message: `The request body is not valid JSON: ${(err as Error).message}` });
  }
}
