// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import PromptDiff from '../../../renderer/src/components/PromptDiff.vue';
import { readConversation } from '../../../renderer/src/lib/conversation.js';
import { diffConversations } from '../../../renderer/src/lib/prompt-diff.js';

const chat = (...contents: [string, string][]) => readConversation('openai-chat', { model: 'm', messages: contents.map(([role, content]) => ({ role, content })) });

describe('PromptDiff', () => {
  it('marks added and removed words with data-diff, inside a changed message', () => {
    const diff = diffConversations(chat(['user', 'Deploy the web service']), chat(['user', 'Deploy the api service']));
    const w = mount(PromptDiff, { props: { diff, title: 'Diff' } });
    expect(w.find('[data-testid="prompt-diff"]').exists()).toBe(true);
    expect(w.findAll('[data-diff="added"]').map((e) => e.text())).toEqual(['api']);
    expect(w.findAll('[data-diff="removed"]').map((e) => e.text())).toEqual(['web']);
    expect(w.find('[data-block="changed"]').exists()).toBe(true);
  });

  it('shows a whole new message as added and folds unchanged ones', async () => {
    const diff = diffConversations(chat(['system', 'S'], ['user', 'one']), chat(['system', 'S'], ['user', 'one'], ['assistant', 'two'], ['user', 'three']));
    const w = mount(PromptDiff, { props: { diff, title: 'Diff' } });
    expect(w.findAll('[data-diff="added"]').map((e) => e.text())).toEqual(['two', 'three']);
    const fold = w.find('button[aria-expanded="false"]');
    expect(fold.text()).toContain('3 unchanged blocks');
    expect(w.text()).not.toContain('one');
    await fold.trigger('click');
    expect(w.text()).toContain('one');
  });

  it('renders hostile text as text', () => {
    const evil = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
    const diff = diffConversations(chat(['user', 'hi']), chat(['user', 'hi'], ['user', evil]));
    const w = mount(PromptDiff, { props: { diff, title: 'Diff' }, attachTo: document.body });
    expect(w.find('img').exists()).toBe(false);
    expect(w.find('script').exists()).toBe(false);
    expect(w.find('[data-diff="added"]').text()).toBe(evil);
    w.unmount();
  });
});
