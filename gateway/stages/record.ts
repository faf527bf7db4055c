// Record: the session is journaled before anything is forwarded (fail closed), and finished on every exit path
// before the caller gets the answer's last bytes; SQLite gets both with the next batch (gateway/store/write-queue.ts).
import type { Logger } from 'pino';
import type { Decision, RequestStatus } from '../api/types.js';
import { TERMINAL } from '../flow/status.js';
import { AirlockError } from '../errors.js';
import type { RequestFlow } from '../flow/request-flow.js';
import { conversationHashes } from '../flow/conversation.js';
import type { SessionStore } from '../store/index.js';

export class Recorder {
  constructor(
    private readonly store: SessionStore,
    private readonly logger: Logger,
    private readonly options: { recordRawAnswers: boolean } = { recordRawAnswers: false },
  ) {}

  /**
   * `status`: what the flow is about to become; the row starts there, as the first transition is not written again.
   * Sealed and journaled before this returns (SQLite gets it with the next batch); a request that cannot be recorded
   * is not forwarded.
   */
  open(flow: RequestFlow, status: RequestStatus = flow.status ?? 'pending'): void {
    try {
      const hashes = conversationHashes(this.store.crypto, flow);
      this.store.requests.record({
        id: flow.id,
        createdAt: flow.arrivedAt,
        status,
        caller: flow.caller.name,
        protocol: flow.adapter.protocol,
        path: flow.adapter.path,
        model: flow.model,
        stream: flow.stream,
        policy: flow.policy?.rule ?? null,
        tokens: () => flow.tokens,
        timeoutAt: flow.timeoutAt,
        convHash: hashes.full,
        body: flow.body,
        rawBody: flow.adapter.method === 'POST' ? flow.rawBody : undefined,
        preview: flow.preview,
      });
    } catch (err) {
      this.logger.error({ err, requestId: flow.id }, 'cannot record the request; refusing to forward it');
      throw new AirlockError('store_unavailable', { message: 'Airlock could not record this request, so it was not forwarded.', cause: err });
    }
    if (flow.status === 'pending' || status === 'pending') void this.store.requests.indexTerms(flow.id, searchTextOf(flow));
    flow.onStatus((f, from) => {
      // In-flight statuses live in memory (the API overlays them); the store gets decisions and the end.
      if (from === null || f.status === 'forwarding' || TERMINAL.has(f.status!)) return;
      this.store.requests
        .setStatus(f.id, f.status!, { timeoutAt: f.timeoutAt, decidedAt: ['approved', 'rejected', 'timed_out'].includes(f.status!) ? Date.now() : undefined })
        .catch((err: unknown) => this.logger.error({ err, requestId: f.id }, 'a store write failed'));
    });
  }

  decided(flow: RequestFlow, decision: Decision): Promise<void> {
    return this.store.requests.addDecision(flow.id, decision).catch((err: unknown) => {
      this.logger.error({ err, requestId: flow.id }, 'a store write failed');
      throw err;
    });
  }

  /**
   * Sealed and journaled before this returns, so a caller that has the whole answer implies a finished session. False
   * when it could not be journaled (it still goes to SQLite): the caller must then not get the answer's last bytes.
   */
  finish(flow: RequestFlow): boolean {
    const finished = {
      status: flow.status!,
      editedBody: flow.editedBody,
      response: flow.result ? this.responseRecord(flow.result) : null,
      error: flow.error ? { code: flow.error.code, message: flow.error.message } : null,
      timeline: flow.timeline,
      upstreamStatus: flow.result?.status ?? null,
      searchText: `${searchTextOf(flow)}\n${flow.result?.text ?? ''}`,
    };
    try {
      this.store.requests.recordFinish(flow.id, finished);
      return true;
    } catch (err) {
      this.logger.error({ err, requestId: flow.id }, 'cannot journal the end of the session; the caller gets an error instead of the rest of the answer');
      // SQLite may still take it: as failed, since the caller does not get the answer.
      const error = { code: 'store_unavailable', message: 'Airlock could not record the answer, so it was not delivered.' };
      this.store.requests.finish(flow.id, { ...finished, status: 'failed', error }).catch((e: unknown) => this.logger.error({ err: e, requestId: flow.id }, 'a store write failed'));
      return false;
    }
  }

  /** The masked answer; the raw one too only when an admin chose to record raw answers (revealed on demand, audited). */
  private responseRecord(result: NonNullable<RequestFlow['result']>) {
    const record: { status: number; body: unknown; text: string; raw?: { text: string } } = { status: result.status, body: result.body, text: result.text };
    if (this.options.recordRawAnswers && result.rawText !== result.text) record.raw = { text: result.rawText };
    return record;
  }
}

/** The words a request is found by: its newest prompt text (the answer's words are added at finish). */
function searchTextOf(flow: RequestFlow): string {
  return [flow.preview, flow.prompt.messages.at(-1)?.text ?? ''].join('\n');
}
