// The console's keyboard map: which key does what, where. Pure, so the map and its cheatsheet are tested.

export type KeyAction =
  | 'approve'
  | 'reject'
  | 'edit'
  | 'next'
  | 'previous'
  | 'help'
  | 'escape'
  | 'focus-other-decision'
  | 'toggle-play';

export type KeyContext = 'queue' | 'history' | 'replay' | 'other';

export interface KeyInput {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
  /** Where focus is: text the user is typing in, one of the approve/reject buttons, or anything else. */
  target: 'editable' | 'decision-button' | 'other';
  context: KeyContext;
  /** A dialog (reject reason, confirm, cheatsheet) is open: only Escape reaches the page. */
  dialogOpen: boolean;
}

export function keyAction(input: KeyInput): KeyAction | null {
  if (input.key === 'Escape') return 'escape';
  if (input.ctrlKey || input.metaKey || input.altKey) return null;
  if (input.dialogOpen || input.target === 'editable') return null;
  if (input.target === 'decision-button' && ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown'].includes(input.key)) {
    return 'focus-other-decision';
  }
  if (input.key === '?') return 'help';
  if (input.context === 'replay') return input.key === ' ' ? 'toggle-play' : null;
  if (input.context !== 'queue' && input.context !== 'history') return null;
  switch (input.key) {
    case 'j':
      return 'next';
    case 'k':
      return 'previous';
  }
  if (input.context !== 'queue') return null;
  switch (input.key) {
    case 'a':
      return 'approve';
    case 'r':
      return 'reject';
    case 'e':
      return 'edit';
    default:
      return null;
  }
}

export interface KeyHelp {
  keys: string[];
  description: string;
}

export const KEY_HELP: readonly KeyHelp[] = [
  { keys: ['j'], description: 'Next request' },
  { keys: ['k'], description: 'Previous request' },
  { keys: ['a'], description: 'Approve the open request' },
  { keys: ['r'], description: 'Reject (focuses the reason)' },
  { keys: ['e'], description: 'Edit the prompt, then approve' },
  { keys: ['←', '→'], description: 'Move between Approve and Reject' },
  { keys: ['Space'], description: 'Play or pause a replay' },
  { keys: ['Esc'], description: 'Close a dialog or leave editing' },
  { keys: ['?'], description: 'Show these keys' },
];
