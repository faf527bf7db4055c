// Registers keyboard actions (lib/keyboard.ts) for a view while it is mounted.
import { onBeforeUnmount, onMounted } from 'vue';
import { keyAction, type KeyAction, type KeyContext, type KeyInput } from '../lib/keyboard.js';

/** A handler that returns false did not take the key: it is not prevented, so other views' handlers see it too. */
export type KeyHandlers = Partial<Record<KeyAction, (event: KeyboardEvent) => void | false>>;

function targetKind(target: EventTarget | null): KeyInput['target'] {
  if (!(target instanceof HTMLElement)) return 'other';
  if (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)) {
    // Range inputs (the replay scrubber) and checkboxes do not take typed text.
    if (target instanceof HTMLInputElement && ['range', 'checkbox', 'radio', 'button'].includes(target.type)) return 'other';
    return 'editable';
  }
  if (target.hasAttribute('data-decision')) return 'decision-button';
  return 'other';
}

export function useKeyActions(context: () => KeyContext, handlers: KeyHandlers): void {
  const onKeydown = (event: KeyboardEvent) => {
    if (event.defaultPrevented || event.isComposing) return;
    const action = keyAction({
      key: event.key,
      ctrlKey: event.ctrlKey,
      metaKey: event.metaKey,
      altKey: event.altKey,
      target: targetKind(event.target),
      context: context(),
      dialogOpen: document.querySelector('[role="dialog"][aria-modal="true"]') !== null,
    });
    const handler = action ? handlers[action] : undefined;
    if (!handler) return;
    if (handler(event) !== false) event.preventDefault();
  };
  onMounted(() => window.addEventListener('keydown', onKeydown));
  onBeforeUnmount(() => window.removeEventListener('keydown', onKeydown));
}
