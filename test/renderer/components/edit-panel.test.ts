// @vitest-environment happy-dom
// The editor's token figures start from the gateway's count for the whole request (as the header shows it) and move by
// what the edited texts add or take away.
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import EditPanel from '../../../renderer/src/components/EditPanel.vue';
import { readConversation } from '../../../renderer/src/lib/conversation.js';
import { estimateTokens } from '../../../renderer/src/lib/tokens.js';

describe('EditPanel', () => {
  it('shows the header\'s count before the edit, and that count moved by the edit after', () => {
    const short = 'Summarise the deployment log';
    const long = `${short} and list every failed step with its time`;
    const original = readConversation('openai-chat', { model: 'm', messages: [{ role: 'user', content: short }] });
    const draft = readConversation('openai-chat', { model: 'm', messages: [{ role: 'user', content: long }] });
    const w = mount(EditPanel, { props: { original, draft, edits: new Map(), diff: null, tokenizerReady: false, requestTokens: 41 } });
    const grown = estimateTokens(long) - estimateTokens(short);
    expect(grown).toBeGreaterThan(0);
    expect(w.find('[data-testid="edit-tokens"]').text()).toBe(`≈ 41 → ${41 + grown} tokens`);
  });
});
