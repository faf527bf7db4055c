// @vitest-environment happy-dom
// Bidi spoofing: "abc \u202Eevil\u202C done" displays as "abc live done" when the override is applied.
// Everywhere the console shows a caller's or a model's text, the controls are markers instead.
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import CollapsibleText from '../../../renderer/src/components/CollapsibleText.vue';
import ConversationView from '../../../renderer/src/components/ConversationView.vue';
import EditPanel from '../../../renderer/src/components/EditPanel.vue';
import HistoryRow from '../../../renderer/src/components/HistoryRow.vue';
import ParamsTable from '../../../renderer/src/components/ParamsTable.vue';
import PromptDiff from '../../../renderer/src/components/PromptDiff.vue';
import ToolList from '../../../renderer/src/components/ToolList.vue';
import { readConversation } from '../../../renderer/src/lib/conversation.js';
import { diffConversations } from '../../../renderer/src/lib/prompt-diff.js';
import { summary } from '../fixtures.js';

const SPOOF = 'abc \u202Eevil\u202C done';
const SHOWN = 'abc ⟨RLO⟩evil⟨PDF⟩ done';
const CONTROL = /[\u200E\u200F\u061C\u202A-\u202E\u2066-\u2069]/;

/** No control reaches the page as a character, and each is a marker with an explanation. */
function expectNeutralised(root: Element, markers: number) {
  expect(root.textContent).not.toMatch(CONTROL);
  const shown = root.querySelectorAll('[data-testid="direction-control"]');
  expect(shown).toHaveLength(markers);
  for (const m of shown) expect(m.getAttribute('title')).toMatch(/^U\+[0-9A-F]{4} .+ not applied/);
}

describe('direction controls in hostile text', () => {
  it('the transcript: message text, role, name, tool call and tool result', () => {
    const conversation = readConversation('openai-chat', {
      model: 'm',
      messages: [
        { role: 'user', name: 'n\u2067x\u2069', content: SPOOF },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call\u202E1', type: 'function', function: { name: 'rm\u202E-rf', arguments: `{"path":"${SPOOF}"}` } }] },
        { role: 'tool', tool_call_id: 'call\u202E1', content: SPOOF },
      ],
    });
    const w = mount(ConversationView, { props: { messages: conversation.messages } });
    expect(w.text()).toContain(SHOWN);
    expect(w.text()).toContain('rm⟨RLO⟩-rf');
    expect(w.text()).toContain('n⟨RLI⟩x⟨PDI⟩');
    // 2 in the message, 2 in the name, 1 call id + 1 tool name + 2 in the arguments, 1 call id + 2 in the result.
    expectNeutralised(w.element.parentElement ?? w.element, 11);
  });

  it('an answer, long or short', () => {
    const w = mount(CollapsibleText, { props: { text: `${'x'.repeat(3000)}${SPOOF}`, limit: 10 } });
    expectNeutralised(w.element, 0);
    const full = mount(CollapsibleText, { props: { text: SPOOF } });
    expect(full.find('pre').text()).toBe(SHOWN);
    expectNeutralised(full.element, 2);
  });

  it('the prompt diff: an added control shows as an added marker', () => {
    const chat = (content: string) => readConversation('openai-chat', { model: 'm', messages: [{ role: 'user', content }] });
    const diff = diffConversations(chat('abc evil done'), chat(SPOOF));
    const w = mount(PromptDiff, { props: { diff, title: 'Diff' } });
    expect(w.text()).toContain(SHOWN);
    expectNeutralised(w.element, 2);
    expect(w.findAll('[data-diff="added"] [data-testid="direction-control"]').length).toBeGreaterThan(0);
  });

  it('the history row: preview and model', () => {
    const w = mount(HistoryRow, { props: { request: summary({ preview: SPOOF, model: 'gpt\u202E-4o' }), selected: false } });
    expect(w.find('[data-testid="history-preview"]').text()).toBe(SHOWN);
    expectNeutralised(w.element, 3);
  });

  it('tools and parameters', () => {
    const conversation = readConversation('openai-chat', {
      model: 'm',
      temperature: SPOOF,
      messages: [],
      tools: [{ type: 'function', function: { name: 'send\u202E', description: SPOOF, parameters: { type: 'object' } } }],
    });
    const tools = mount(ToolList, { props: { tools: conversation.tools } });
    expectNeutralised(tools.element.parentElement ?? tools.element, 3);
    const params = mount(ParamsTable, { props: { params: conversation.params } });
    expect(params.text()).toContain(SHOWN);
    expectNeutralised(params.element, 2);
  });

  it('the editor keeps the raw text in its box, warns about the controls, and emits edits of the raw text', async () => {
    const original = readConversation('openai-chat', { model: 'm', messages: [{ role: 'user', content: SPOOF }] });
    const w = mount(EditPanel, { props: { original, draft: original, edits: new Map(), diff: null, tokenizerReady: false } });
    const box = w.find<HTMLTextAreaElement>('[data-testid="edit-text"]');
    expect(box.element.value).toBe(SPOOF);
    expect(w.find('[data-testid="direction-warning"]').text()).toContain('invisible direction controls (RLO ×1, PDF ×1)');
    await box.setValue(`${SPOOF}!`);
    expect(w.emitted('edit')?.[0]).toEqual([['messages', 0, 'content'], `${SPOOF}!`, SPOOF]);
  });

  it('the editor shows no warning for ordinary right-to-left text', () => {
    const original = readConversation('openai-chat', { model: 'm', messages: [{ role: 'user', content: 'שלום, مرحبا' }] });
    const w = mount(EditPanel, { props: { original, draft: original, edits: new Map(), diff: null, tokenizerReady: false } });
    expect(w.find('[data-testid="direction-warning"]').exists()).toBe(false);
  });
});
