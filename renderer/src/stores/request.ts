// The request the reviewer has open: its transcript, the diff against the previous turn, the
// claim that tells others "alice is reviewing" (or "is editing"), the edit draft, and the decision.
import { acceptHMRUpdate, defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { RememberScope, RequestDetail, RequestSummary } from '../../../gateway/api/types.js';
import { api, ApiError } from '../api/client.js';
import { applyEdits, pathKey, readConversation, type BodyPath, type Conversation } from '../lib/conversation.js';
import { diffConversations } from '../lib/prompt-diff.js';
import { loadTokenizer, tokenizerLoaded } from '../lib/tokens.js';
import { useAuthStore } from './auth.js';
import { summaryOnly, useQueueStore } from './queue.js';

/** Claims last 60 s on the gateway; renewing at half that keeps one alive while the item is open. */
export const RECLAIM_MS = 30_000;

export interface PendingConfirm {
  action: 'approve' | 'reject';
  reason: string;
  message: string;
}

export const useRequestStore = defineStore('request', () => {
  const detail = shallowRef<RequestDetail | null>(null);
  const previous = shallowRef<RequestDetail | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);
  const editing = ref(false);
  const edits = shallowRef(new Map<string, string>());
  const deciding = ref(false);
  const decisionError = ref<string | null>(null);
  const confirm = ref<PendingConfirm | null>(null);
  /** Said when the open request was decided elsewhere (another reviewer, a timeout, the caller leaving). */
  const notice = ref<string | null>(null);
  const tokenizerReady = ref(tokenizerLoaded());
  /** How far an approval reaches: this request only unless the reviewer widens it. */
  const remember = ref<RememberScope>('request');
  /** The unmasked answer, once an admin revealed it (with a recorded reason). */
  const revealed = ref<string | null>(null);
  /** Leaving the editor with unsaved edits waits for the reviewer's yes: what happens then. */
  const discardAsk = shallowRef<(() => void) | null>(null);

  let claimTimer: ReturnType<typeof setInterval> | null = null;
  let holdsClaim = false;
  let openSeq = 0;

  const conversation = computed<Conversation | null>(() => (detail.value ? readConversation(detail.value.protocol, detail.value.body) : null));
  const forwarded = computed<Conversation | null>(() =>
    detail.value?.editedBody != null ? readConversation(detail.value.protocol, detail.value.editedBody) : null,
  );
  // A shredded turn has no text to compare with.
  const previousConversation = computed(() => (previous.value && !previous.value.shredded ? readConversation(previous.value.protocol, previous.value.body) : null));
  const turnDiff = computed(() => (previousConversation.value && conversation.value ? diffConversations(previousConversation.value, conversation.value) : null));
  /** What "approve" will forward while editing: the original with the reviewer's text swapped in. */
  const draftBody = computed(() => (detail.value ? applyEdits(detail.value.body, edits.value) : null));
  const draftConversation = computed(() => (detail.value && draftBody.value ? readConversation(detail.value.protocol, draftBody.value) : null));
  const editDiff = computed(() => (conversation.value && draftConversation.value ? diffConversations(conversation.value, draftConversation.value) : null));
  const forwardedDiff = computed(() => (conversation.value && forwarded.value ? diffConversations(conversation.value, forwarded.value) : null));

  const isPending = computed(() => detail.value?.status === 'pending');
  /** Held after the model answered: the answer, not the prompt, is what waits. */
  const reviewingAnswer = computed(() => detail.value?.phase === 'response');
  const canDecide = computed(() => isPending.value && useAuthStore().canDecide && !deciding.value);
  const edited = computed(() => edits.value.size > 0);

  async function open(id: string): Promise<void> {
    if (detail.value?.id === id && !error.value) return;
    close({ release: true });
    const seq = ++openSeq;
    loading.value = true;
    try {
      const fetched = await api.getRequest(id);
      if (seq !== openSeq) return;
      detail.value = fetched;
      if (fetched.status === 'pending' && useAuthStore().canDecide) void startClaim(id);
      if (fetched.previousId) {
        api.getRequest(fetched.previousId).then(
          (prev) => {
            if (seq === openSeq) previous.value = prev;
          },
          () => undefined, // the previous turn may have been pruned; the transcript still shows
        );
      }
    } catch (e) {
      if (seq === openSeq) error.value = e instanceof ApiError && e.status === 404 ? 'This request does not exist.' : errorText(e);
    } finally {
      if (seq === openSeq) loading.value = false;
    }
  }

  function close(options: { release: boolean } = { release: true }): void {
    openSeq++;
    const id = detail.value?.id;
    stopClaim();
    if (options.release && holdsClaim && id && isPending.value) void api.release(id).catch(() => undefined);
    holdsClaim = false;
    detail.value = null;
    previous.value = null;
    error.value = null;
    loading.value = false;
    notice.value = null;
    reset();
  }

  function reset(): void {
    remember.value = 'request';
    revealed.value = null;
    editing.value = false;
    edits.value = new Map();
    discardAsk.value = null;
    deciding.value = false;
    decisionError.value = null;
    confirm.value = null;
  }

  /** Claims or renews; the claim says whether we are editing, so others see "bob is editing". */
  async function claimOnce(id: string): Promise<void> {
    try {
      const summary = await api.claim(id, { editing: editing.value && detail.value?.id === id });
      if (detail.value?.id !== id) {
        // Closed while this was in flight: its release may have arrived first.
        void api.release(id).catch(() => undefined);
        return;
      }
      holdsClaim = true;
      useQueueStore().claimed(summary);
      if (detail.value?.id === id && detail.value.status === 'pending') detail.value = { ...detail.value, claim: summary.claim, timeoutAt: summary.timeoutAt };
    } catch {
      // Not claimable (decided, or held by someone else): the view shows who holds it.
    }
  }

  async function startClaim(id: string): Promise<void> {
    await claimOnce(id);
    if (detail.value?.id === id && isPending.value) claimTimer = setInterval(() => void claimOnce(id), RECLAIM_MS);
  }

  function stopClaim(): void {
    if (claimTimer) clearInterval(claimTimer);
    claimTimer = null;
  }

  /** A live event for any request: the open one changes at once, buttons included. */
  function applySummary(summary: RequestSummary): void {
    const current = detail.value;
    if (!current || current.id !== summary.id || current.updatedAt > summary.updatedAt) return;
    const wasPending = current.status === 'pending';
    detail.value = { ...current, ...summary };
    if (wasPending && summary.status !== 'pending') {
      stopClaim();
      holdsClaim = false;
      editing.value = false;
      discardAsk.value = null;
      confirm.value = null;
      if (!deciding.value) notice.value = `Decided elsewhere: ${summary.status.replace('_', ' ')}`;
      void refresh(summary.id);
    }
  }

  /** Reloads the open request (e.g. to learn who decided it). */
  async function refresh(id: string): Promise<void> {
    try {
      const fetched = await api.getRequest(id);
      if (detail.value?.id !== id || detail.value.updatedAt > fetched.updatedAt) return;
      detail.value = fetched;
      const last = fetched.decisions[fetched.decisions.length - 1];
      if (notice.value && last) notice.value = describeDecision(last.action, last.reviewer, last.reason);
    } catch {
      // Keep the summary we already applied.
    }
  }

  function startEdit(): void {
    // Once the model has answered, the prompt has already gone upstream: nothing to edit.
    if (!canDecide.value || reviewingAnswer.value || editing.value || !detail.value) return;
    editing.value = true;
    // Others see "bob is editing" now, not at the next renewal.
    void claimOnce(detail.value.id);
    void loadTokenizer().then(() => {
      tokenizerReady.value = tokenizerLoaded();
    });
  }

  function setEdit(path: BodyPath, text: string, original: string): void {
    const next = new Map(edits.value);
    if (text === original) next.delete(pathKey(path));
    else next.set(pathKey(path), text);
    edits.value = next;
  }

  /** Leaves the editor and drops the edits at once (the "Discard edits" button, or after the reviewer agreed). */
  function cancelEdit(): void {
    const wasEditing = editing.value;
    editing.value = false;
    edits.value = new Map();
    discardAsk.value = null;
    // The item stays open and claimed; others stop seeing "is editing".
    if (wasEditing && detail.value && isPending.value) void claimOnce(detail.value.id);
  }

  /** Runs `then` at once, or, while the editor holds unsaved edits, once the reviewer agreed to discard them. */
  function whenEditsDiscarded(then: () => void): void {
    if (editing.value && edited.value) discardAsk.value = then;
    else then();
  }

  /** Esc: leaves the editor, asking first when there are unsaved edits. */
  function leaveEdit(): void {
    if (editing.value) whenEditsDiscarded(cancelEdit);
  }

  /** The reviewer agreed: the edits go, then what waited runs (leaving the editor, or opening another item, which releases this one). */
  function confirmDiscard(): void {
    const then = discardAsk.value;
    discardAsk.value = null;
    edits.value = new Map();
    then?.();
  }

  function keepEditing(): void {
    discardAsk.value = null;
  }

  async function approve(options: { force?: boolean } = {}): Promise<boolean> {
    const current = detail.value;
    if (!current || !canDecide.value) return false;
    const body = edited.value ? draftBody.value : undefined;
    const scope = remember.value;
    return decide('approve', '', () =>
      api.approve(current.id, {
        ...(body !== undefined ? { body } : {}),
        ...(scope !== 'request' ? { remember: scope } : {}),
        ...(options.force ? { force: true } : {}),
      }),
    );
  }

  async function reject(reason: string, options: { force?: boolean } = {}): Promise<boolean> {
    const current = detail.value;
    if (!current || !canDecide.value) return false;
    return decide('reject', reason, () => api.reject(current.id, { reason, ...(options.force ? { force: true } : {}) }));
  }

  async function decide(action: 'approve' | 'reject', reason: string, send: () => Promise<RequestDetail>): Promise<boolean> {
    const id = detail.value!.id;
    const queue = useQueueStore();
    const next = queue.neighbourOf(id);
    deciding.value = true;
    decisionError.value = null;
    confirm.value = null;
    try {
      const result = await send();
      stopClaim();
      holdsClaim = false;
      if (detail.value?.id === id) detail.value = result;
      editing.value = false;
      queue.claimed(result);
      // Triage moves on: the next item opens, as in a mail client.
      if (queue.selectedId === id) queue.select(next);
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.status === 409 && e.code === 'claimed') {
        confirm.value = { action, reason, message: e.message || 'Another reviewer is working on this request.' };
      } else if (e instanceof ApiError && e.status === 409) {
        decisionError.value = e.message || 'Already decided.';
        void refresh(id);
      } else if (e instanceof ApiError && e.status === 403) {
        decisionError.value = 'Your role may not decide requests.';
      } else {
        decisionError.value = errorText(e);
      }
      return false;
    } finally {
      deciding.value = false;
    }
  }

  /** Asks for more time before the hold times out (only where the policy allows it). */
  async function extend(minutes = 10): Promise<void> {
    const current = detail.value;
    if (!current || !canDecide.value) return;
    decisionError.value = null;
    try {
      const result = await api.extend(current.id, minutes);
      if (detail.value?.id === current.id) detail.value = { ...detail.value, ...summaryOnly(result) };
      useQueueStore().claimed(result);
    } catch (e) {
      decisionError.value = errorText(e);
    }
  }

  async function reveal(reason: string): Promise<boolean> {
    const current = detail.value;
    if (!current) return false;
    decisionError.value = null;
    try {
      const { text } = await api.reveal(current.id, reason);
      if (detail.value?.id === current.id) revealed.value = text;
      return true;
    } catch (e) {
      decisionError.value = errorText(e);
      return false;
    }
  }

  function setRemember(scope: RememberScope): void {
    remember.value = scope;
  }

  /** The reviewer confirmed deciding on another reviewer's claim. */
  async function confirmForce(): Promise<boolean> {
    const pending = confirm.value;
    if (!pending) return false;
    confirm.value = null;
    return pending.action === 'approve' ? approve({ force: true }) : reject(pending.reason, { force: true });
  }

  function dismissConfirm(): void {
    confirm.value = null;
  }

  return {
    detail, previous, loading, error, editing, edits, deciding, decisionError, confirm, notice, tokenizerReady, remember, revealed, discardAsk,
    conversation, forwarded, previousConversation, turnDiff, draftBody, draftConversation, editDiff, forwardedDiff,
    isPending, reviewingAnswer, canDecide, edited,
    open, close, refresh, applySummary, startEdit, setEdit, cancelEdit, whenEditsDiscarded, leaveEdit, confirmDiscard, keepEditing,
    approve, reject, extend, reveal, setRemember, confirmForce, dismissConfirm,
  };
});

export function describeDecision(action: string, reviewer: string | null, reason: string | null): string {
  const verb: Record<string, string> = {
    approve: 'Approved',
    reject: 'Rejected',
    timeout: 'Timed out',
    policy_approve: 'Approved by policy',
    policy_reject: 'Rejected by policy',
    cancel: 'Cancelled: the caller left',
  };
  let text = verb[action] ?? action;
  if (reviewer) text += ` by ${reviewer}`;
  if (reason) text += `: ${reason}`;
  return text;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useRequestStore, import.meta.hot));
