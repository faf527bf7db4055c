// Record: the session is written before anything is forwarded (fail closed), and finished on every exit path.
import type { Logger } from 'pino';
import type { Decision, RequestStatus } from '../api/types.js';
import { TERMINAL } from '../flow/status.js';
import { AirlockError } from '../errors.js';
import type { RequestFlow } from '../flow/request-flow.js';
import { conversationHashes } from '../flow/conversation.js';
import type { SessionStore } from '../store/index.js';

export class Recorder {
  /** Writes still in flight, so shutdown can wait for them. */
  private readonly inflight = new Set<Promise<unknown>>();
  private flushing = false;
  private readonly batch: { run: () => Promise<void>; resolve: () => void; reject: (err: unknown) => void }[] = [];

  constructor(
    private readonly store: SessionStore,
    private readonly logger: Logger,
    private readonly options: { recordRawAnswers: boolean } = { recordRawAnswers: false },
  ) {}

  /** `status`: what the flow is about to become; the row starts there, as the first transition is not written again. */
  async open(flow: RequestFlow, status: RequestStatus = flow.status ?? 'pending'): Promise<void> {
    try {
      const hashes = conversationHashes(this.store.crypto, flow);
      await this.batched(() => this.store.requests.insert({
        id: flow.id,
        createdAt: flow.arrivedAt,
        status,
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
      }));
    } catch (err) {
      this.logger.error({ err, requestId: flow.id }, 'cannot record the request; refusing to forward it');
      throw new AirlockError('store_unavailable', { message: 'Airlock could not record this request, so it was not forwarded.', cause: err });
    }
    if (flow.status === 'pending' || status === 'pending') this.track(this.store.requests.indexTerms(flow.id, searchTextOf(flow))).catch(() => undefined);
    flow.onStatus((f, from) => {
      // In-flight statuses live in memory (the API overlays them); the store gets decisions and the end.
      if (from === null || f.status === 'forwarding' || TERMINAL.has(f.status!)) return;
      this.track(this.store.requests.setStatus(f.id, f.status!, { timeoutAt: f.timeoutAt, decidedAt: ['approved', 'rejected', 'timed_out'].includes(f.status!) ? Date.now() : undefined }));
    });
  }

  decided(flow: RequestFlow, decision: Decision): Promise<void> {
    return this.track(this.store.requests.addDecision(flow.id, decision));
  }

  /** Finishes, like arrivals, are written in batches, one transaction per batch (group commit). */
  finish(flow: RequestFlow): Promise<void> {
    const status = flow.status!;
    const searchText = `${searchTextOf(flow)}\n${flow.result?.text ?? ''}`;
    return this.batched(() => this.writeFinish(flow, status, searchText));
  }

  /** Queues a write for the next batch: writes arriving together share one transaction (group commit). */
  private batched(run: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.batch.push({ run, resolve, reject });
      // While a batch is being written, new writes gather for the next one (they go together when it commits).
      if (this.batch.length === 1 && !this.flushing) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.batch.length === 0) return;
    this.flushing = true;
    try {
      await this.writeBatch(this.batch.splice(0));
    } finally {
      this.flushing = false;
    }
    if (this.batch.length > 0) void this.flush();
  }

  private async writeBatch(batch: { run: () => Promise<void>; resolve: () => void; reject: (err: unknown) => void }[]): Promise<void> {
    const done = this.track(
      this.store.db.transaction(async () => {
        const results = [];
        for (const item of batch) results.push(await item.run().then(() => null, (err: unknown) => err));
        return results;
      }),
    );
    try {
      const results = await done;
      results.forEach((err, i) => (err ? batch[i].reject(err) : batch[i].resolve()));
    } catch (err) {
      for (const item of batch) item.reject(err);
    }
  }

  private writeFinish(flow: RequestFlow, status: RequestStatus, searchText: string): Promise<void> {
    return (
      this.store.requests.finish(flow.id, {
        status,
        editedBody: flow.editedBody,
        response: flow.result ? this.responseRecord(flow.result) : null,
        error: flow.error ? { code: flow.error.code, message: flow.error.message } : null,
        timeline: flow.timeline,
        upstreamStatus: flow.result?.status ?? null,
        searchText,
      })
    );
  }

  /** The masked answer; the raw one too only when an admin chose to record raw answers (revealed on demand, audited). */
  private responseRecord(result: NonNullable<RequestFlow['result']>) {
    const record: { status: number; body: unknown; text: string; raw?: { text: string } } = { status: result.status, body: result.body, text: result.text };
    if (this.options.recordRawAnswers && result.rawText !== result.text) record.raw = { text: result.rawText };
    return record;
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

/** The words a request is found by: its newest prompt text (the answer's words are added at finish). */
function searchTextOf(flow: RequestFlow): string {
  return [flow.preview, flow.prompt.messages.at(-1)?.text ?? ''].join('\n');
}
