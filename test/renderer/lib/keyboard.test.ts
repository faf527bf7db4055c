import { describe, expect, it } from 'vitest';
import { KEY_HELP, keyAction, type KeyInput } from '../../../renderer/src/lib/keyboard.js';

const key = (k: string, over: Partial<KeyInput> = {}) => keyAction({ key: k, target: 'other', context: 'queue', dialogOpen: false, ...over });

describe('keyAction', () => {
  it('maps the triage keys in the queue', () => {
    expect(['a', 'r', 'e', 'j', 'k', '?'].map((k) => key(k))).toEqual(['approve', 'reject', 'edit', 'next', 'previous', 'help']);
  });

  it('does nothing while the reviewer types, except Escape', () => {
    expect(key('a', { target: 'editable' })).toBeNull();
    expect(key('j', { target: 'editable' })).toBeNull();
    expect(key('Escape', { target: 'editable' })).toBe('escape');
  });

  it('leaves dialogs and modified keys alone', () => {
    expect(key('a', { dialogOpen: true })).toBeNull();
    expect(key('r', { ctrlKey: true })).toBeNull();
    expect(key('a', { metaKey: true })).toBeNull();
  });

  it('moves between the two decision buttons with the arrow keys', () => {
    for (const k of ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown']) expect(key(k, { target: 'decision-button' })).toBe('focus-other-decision');
    expect(key('ArrowLeft')).toBeNull();
  });

  it('decides only in the queue; history moves with j/k; replay pauses with space', () => {
    expect(key('a', { context: 'history' })).toBeNull();
    expect(key('j', { context: 'history' })).toBe('next');
    expect(key(' ', { context: 'replay' })).toBe('toggle-play');
    expect(key(' ', { context: 'queue' })).toBeNull();
    expect(key('a', { context: 'other' })).toBeNull();
  });

  it('lists every key in the cheatsheet', () => {
    const listed = KEY_HELP.flatMap((h) => h.keys);
    for (const k of ['j', 'k', 'a', 'r', 'e', '?', 'Space', 'Esc']) expect(listed).toContain(k);
  });
});
