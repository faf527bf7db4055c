import { describe, expect, it } from 'vitest';
import { readConversation } from '../../../renderer/src/lib/conversation.js';
import { diffBlocks, diffConversations, diffText } from '../../../renderer/src/lib/prompt-diff.js';

const chat = (messages: { role: string; content: string }[], extra: Record<string, unknown> = {}) => readConversation('openai-chat', { model: 'gpt-4o', messages, ...extra });

describe('diffConversations', () => {
  it('shows only the new messages of the next turn as added', () => {
    const before = chat([
      { role: 'system', content: 'Be terse.' },
      { role: 'user', content: 'Hi' },
    ]);
    const after = chat([
      { role: 'system', content: 'Be terse.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello.' },
      { role: 'user', content: 'Delete the prod database' },
    ]);
    const d = diffConversations(before, after);
    expect(d).toMatchObject({ added: 2, removed: 0, changed: 0 });
    expect(d.blocks.map((b) => [b.op, b.role])).toEqual([
      ['same', 'parameters'],
      ['same', 'system'],
      ['same', 'user'],
      ['added', 'assistant'],
      ['added', 'user'],
    ]);
  });

  it('diffs a changed message word by word', () => {
    const d = diffConversations(chat([{ role: 'user', content: 'Deploy the web service today' }]), chat([{ role: 'user', content: 'Deploy the api service tomorrow' }]));
    expect(d.changed).toBe(1);
    const block = d.blocks.find((b) => b.op === 'changed')!;
    expect(block.segments.filter((s) => s.op === 'removed').map((s) => s.text.trim())).toEqual(['web', 'today']);
    expect(block.segments.filter((s) => s.op === 'added').map((s) => s.text.trim())).toEqual(['api', 'tomorrow']);
    expect(block.segments.map((s) => (s.op === 'removed' ? '' : s.text)).join('')).toBe('Deploy the api service tomorrow');
  });

  it('marks a dropped message as removed and a changed parameter as changed', () => {
    const d = diffConversations(
      chat([{ role: 'system', content: 'Rules' }, { role: 'user', content: 'Q' }], { temperature: 0 }),
      chat([{ role: 'user', content: 'Q' }], { temperature: 1 }),
    );
    expect(d.blocks.map((b) => [b.op, b.role])).toEqual([
      ['changed', 'parameters'],
      ['removed', 'system'],
      ['same', 'user'],
    ]);
  });

  it('pairs a replaced run by role and reports the rest as added', () => {
    const d = diffBlocks(
      [{ role: 'user', text: 'one' }],
      [
        { role: 'assistant', text: 'inserted' },
        { role: 'user', text: 'one two' },
      ],
    );
    expect(d.blocks.map((b) => [b.op, b.role])).toEqual([
      ['added', 'assistant'],
      ['changed', 'user'],
    ]);
  });

  it('shows no differences for identical conversations', () => {
    const c = chat([{ role: 'user', content: 'same' }]);
    expect(diffConversations(c, c)).toMatchObject({ added: 0, removed: 0, changed: 0 });
  });
});

describe('diffText', () => {
  it('keeps all the text of both sides', () => {
    const segs = diffText('a b c', 'a x c');
    expect(segs.filter((s) => s.op !== 'added').map((s) => s.text).join('')).toBe('a b c');
    expect(segs.filter((s) => s.op !== 'removed').map((s) => s.text).join('')).toBe('a x c');
  });

  it('shows a rewrite as the old text removed and the new one added, not as confetti', () => {
    expect(diffText('Plan: snapshot the database first', 'Good. Now archive the legacy table tomorrow')).toEqual([
      { op: 'removed', text: 'Plan: snapshot the database first' },
      { op: 'added', text: 'Good. Now archive the legacy table tomorrow' },
    ]);
  });

  it('stays fast on large, entirely different texts', () => {
    const words = (seed: number) => Array.from({ length: 20_000 }, (_, i) => `w${(i * seed) % 9973}`).join(' ');
    const started = Date.now();
    const segs = diffText(words(7), words(13));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(segs.length).toBeGreaterThan(0);
  });
});
