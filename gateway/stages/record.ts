// Record: the session is written before anything is forwarded (fail closed), and finished on every exit path.
import type { Logger } from 'pino';
import type { Decision } from '../api/types.js';
import { AirlockError } from '../errors.js';
import type { RequestFlow } from '../flow/request-flow.js';
import { conversationHashes } from '../flow/conversation.js';
import type { SessionStore } from '../store/index.js';

export class Recorder {
  /** Writes still in flight, so shutdown can wait for them. */
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(
    private readonly store: SessionStore,
    private readonly logger: Logger,
  ) {}

  async open(flow: RequestFlow): Promise<void> {
    try {
      const hashes = conversationHashes(this.store.crypto, flow);
      await this.store.requests.insert({
        id: flow.id,
        createdAt: flow.arrivedAt,
        status: flow.status ?? 'pending',
        caller: flow.caller.name,
        protocol: flow.adapter.protocol,
        path: flow.adapter.path,
        model: flow.model,
        stream: flow.stream,
        policy: flow.policy?.rule ?? null,
        tokens: flow.tokens,
        timeoutAt: flow.timeoutAt,
        convHash: hashes.full,
        body: flow.body,
        preview: flow.preview,
      });
    } catch (err) {
      this.logger.error({ err, requestId: flow.id }, 'cannot record the request; refusing to forward it');
      throw new AirlockError('store_unavailable', { message: 'Airlock could not record this request, so it was not forwarded.', cause: err });
    }
    flow.onStatus((f, from) => {
      if (from === null) return;
      this.track(this.store.requests.setStatus(f.id, f.status!, { timeoutAt: f.timeoutAt, decidedAt: ['approved', 'rejected', 'timed_out'].includes(f.status!) ? Date.now() : undefined }));
    });
  }

  decided(flow: RequestFlow, decision: Decision): Promise<void> {
    return this.track(this.store.requests.addDecision(flow.id, decision));
  }

  finish(flow: RequestFlow): Promise<void> {
    const status = flow.status!;
    const searchText = [flow.preview, flow.prompt.messages.at(-1)?.text ?? '', flow.result?.text ?? ''].join('\n');
    return this.track(
      this.store.requests.finish(flow.id, {
        status,
        editedBody: flow.editedBody,
        response: flow.result ? { status: flow.result.status, body: flow.result.body, text: flow.result.text } : null,
        error: flow.error ? { code: flow.error.code, message: flow.error.message } : null,
        timeline: flow.timeline,
        upstreamStatus: flow.result?.status ?? null,
        searchText,
      }),
    );
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    const tracked = promise.catch((err) => {
      this.logger.error({ err }, 'a store write failed');
      throw err;
    });
    this.inflight.add(tracked);
    tracked.then(
      () => this.inflight.delete(tracked),
      () => this.inflight.delete(tracked),
    );
    return tracked;
  }

  async drain(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
  }
}
