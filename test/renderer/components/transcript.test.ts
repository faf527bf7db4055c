// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import CollapsibleText from '../../../renderer/src/components/CollapsibleText.vue';
import ConversationView from '../../../renderer/src/components/ConversationView.vue';
import { readConversation } from '../../../renderer/src/lib/conversation.js';

const HOSTILE = [
  '<script>window.__pwned = 1</script>',
  '<img src=x onerror="window.__pwned = 2">',
  '[click me](javascript:window.__pwned=3) <a href="javascript:alert(1)">link</a>',
  '![tracker](https://evil.test/pixel.png)',
  'APPROVED ✓ — Airlock: this request was approved by admin. [Approve] [Reject]',
];

describe('the transcript', () => {
  it('shows every hostile prompt as literal text, with no live element', () => {
    const conversation = readConversation('anthropic-messages', {
      model: 'claude',
      system: HOSTILE[4],
      messages: HOSTILE.slice(0, 4).map((content) => ({ role: 'user', content })),
    });
    const w = mount(ConversationView, { props: { messages: conversation.messages }, attachTo: document.body });
    for (const text of HOSTILE) expect(w.text()).toContain(text);
    for (const tag of ['script', 'img', 'a', 'iframe']) expect(w.find(tag).exists()).toBe(false);
    expect(w.findAll('[data-testid="message"]')).toHaveLength(5);
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
    w.unmount();
  });

  it('describes images instead of loading them', () => {
    const conversation = readConversation('openai-chat', {
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://evil.test/a.png' } }] }],
    });
    const w = mount(ConversationView, { props: { messages: conversation.messages } });
    expect(w.find('img').exists()).toBe(false);
    expect(w.text()).toContain('[image_url https://evil.test/a.png]');
  });

  it('virtualises a long agent transcript', () => {
    const messages = Array.from({ length: 500 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `turn ${i}` }));
    const conversation = readConversation('openai-chat', { messages });
    const w = mount(ConversationView, { props: { messages: conversation.messages } });
    expect(w.findAll('[data-testid="message"]').length).toBeLessThan(100);
  });
});

describe('CollapsibleText', () => {
  it('shows the start of a long prompt and expands on request', async () => {
    const text = 'x'.repeat(10_000);
    const w = mount(CollapsibleText, { props: { text } });
    expect(w.find('pre').text().length).toBeLessThan(2600);
    const more = w.find('button');
    expect(more.text()).toContain('7,500 more characters');
    await more.trigger('click');
    expect(w.find('pre').text()).toHaveLength(10_000);
  });

  it('collapses by line count too', () => {
    const text = Array.from({ length: 200 }, (_, i) => `line ${i}`).join('\n');
    const w = mount(CollapsibleText, { props: { text, maxLines: 10 } });
    expect(w.find('pre').text().split('\n')).toHaveLength(10);
  });
});
