// The prompt diff model: message-level across the transcript (jsdiff's diffArrays), word-level
// inside a message that changed (diffWords). Parameters and tool definitions diff as blocks too.
import { diffArrays, diffWords } from 'diff';
import { messageText, type Conversation } from './conversation.js';

export type SegmentOp = 'same' | 'added' | 'removed';
export interface DiffSegment {
  op: SegmentOp;
  text: string;
}

export type BlockOp = 'same' | 'added' | 'removed' | 'changed';
export interface BlockDiff {
  op: BlockOp;
  /** system, user, assistant, tool, parameters, tools... */
  role: string;
  segments: DiffSegment[];
}

export interface PromptDiff {
  blocks: BlockDiff[];
  added: number;
  removed: number;
  changed: number;
}

interface Block {
  role: string;
  text: string;
}

/** Word diffs give up after this long and show the message as replaced; huge prompts stay responsive. */
const WORD_DIFF_TIMEOUT_MS = 300;
/** Below this share of unchanged text, a word diff is confetti: show the old and new text whole. */
const MIN_SHARED = 0.35;

export function conversationBlocks(conversation: Conversation): Block[] {
  const blocks: Block[] = [];
  const params = Object.entries(conversation.params);
  if (params.length > 0) {
    blocks.push({ role: 'parameters', text: params.map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join('\n') });
  }
  if (conversation.tools.length > 0) {
    blocks.push({ role: 'tools', text: conversation.tools.map((t) => `${t.name}: ${t.description}\n${t.schema}`).join('\n\n') });
  }
  for (const m of conversation.messages) blocks.push({ role: m.name ? `${m.role} (${m.name})` : m.role, text: messageText(m) });
  return blocks;
}

export function diffConversations(before: Conversation, after: Conversation): PromptDiff {
  return diffBlocks(conversationBlocks(before), conversationBlocks(after));
}

export function diffBlocks(before: Block[], after: Block[]): PromptDiff {
  const changes = diffArrays(before, after, { comparator: (a, b) => a.role === b.role && a.text === b.text });
  const result: PromptDiff = { blocks: [], added: 0, removed: 0, changed: 0 };
  for (let i = 0; i < changes.length; i++) {
    const change = changes[i];
    if (!change.added && !change.removed) {
      for (const b of change.value) result.blocks.push({ op: 'same', role: b.role, segments: [{ op: 'same', text: b.text }] });
      continue;
    }
    // A removed run next to an added run is a replacement: pair blocks of the same role and diff their words.
    const next = changes[i + 1];
    const pairsWithNext = next && (next.added || next.removed) && next.added !== change.added;
    const removed = change.removed ? change.value : pairsWithNext ? next.value : [];
    const added = change.added ? change.value : pairsWithNext ? next.value : [];
    if (pairsWithNext) i++;
    pairRuns(removed, added, result);
  }
  return result;
}

function pairRuns(removed: Block[], added: Block[], result: PromptDiff): void {
  let a = 0;
  const pushAdded = (b: Block) => {
    result.blocks.push({ op: 'added', role: b.role, segments: [{ op: 'added', text: b.text }] });
    result.added++;
  };
  for (const old of removed) {
    const match = added.findIndex((b, k) => k >= a && b.role === old.role);
    if (match === -1) {
      result.blocks.push({ op: 'removed', role: old.role, segments: [{ op: 'removed', text: old.text }] });
      result.removed++;
      continue;
    }
    while (a < match) pushAdded(added[a++]);
    result.blocks.push({ op: 'changed', role: old.role, segments: diffText(old.text, added[match].text) });
    result.changed++;
    a = match + 1;
  }
  while (a < added.length) pushAdded(added[a++]);
}

/** Word-level segments between two texts; whole-text replacement when the word diff is too costly. */
export function diffText(before: string, after: string): DiffSegment[] {
  const changes = diffWords(before, after, { timeout: WORD_DIFF_TIMEOUT_MS });
  if (!changes) {
    return [
      { op: 'removed', text: before },
      { op: 'added', text: after },
    ];
  }
  const shared = changes.reduce((n, c) => (c.added || c.removed ? n : n + c.value.trim().length), 0);
  const longest = Math.max(before.trim().length, after.trim().length);
  if (longest > 0 && shared / longest < MIN_SHARED) {
    return [
      { op: 'removed', text: before },
      { op: 'added', text: after },
    ];
  }
  return changes.map((c) => ({ op: c.added ? 'added' : c.removed ? 'removed' : 'same', text: c.value }));
}
