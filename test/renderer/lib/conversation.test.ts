import { describe, expect, it } from 'vitest';
import { applyEdits, messageText, pathKey, readConversation } from '../../../renderer/src/lib/conversation.js';

describe('readConversation', () => {
  it('reads OpenAI chat: roles, content parts, tool calls, tool results, tools and parameters', () => {
    const c = readConversation('openai-chat', {
      model: 'gpt-4o',
      temperature: 0.2,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'What is in this?' }, { type: 'image_url', image_url: { url: 'https://x.test/cat.png' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"cat"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'a cat' },
      ],
      tools: [{ type: 'function', function: { name: 'lookup', description: 'Finds things', parameters: { type: 'object' } } }],
    });
    expect(c.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool']);
    expect(c.messages[1].parts).toEqual([
      { kind: 'text', text: 'What is in this?', path: ['messages', 1, 'content', 0, 'text'] },
      { kind: 'attachment', label: '[image_url https://x.test/cat.png]' },
    ]);
    expect(c.messages[2].parts[0]).toMatchObject({ kind: 'tool_call', name: 'lookup', callId: 'call_1', input: '{"q":"cat"}' });
    expect(c.messages[3].parts[0]).toMatchObject({ kind: 'tool_result', callId: 'call_1', text: 'a cat', path: ['messages', 3, 'content'] });
    expect(c.tools).toEqual([{ name: 'lookup', description: 'Finds things', schema: '{\n  "type": "object"\n}' }]);
    expect(c.params).toEqual({ model: 'gpt-4o', temperature: 0.2 });
  });

  it('reads OpenAI Responses with a string input and with an item list', () => {
    const simple = readConversation('openai-responses', { model: 'gpt-4.1', instructions: 'Be kind.', input: 'hello' });
    expect(simple.messages.map((m) => [m.role, messageText(m)])).toEqual([
      ['instructions', 'Be kind.'],
      ['user', 'hello'],
    ]);
    const items = readConversation('openai-responses', {
      model: 'gpt-4.1',
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'weather?' }] },
        { type: 'function_call', name: 'weather', arguments: '{}', call_id: 'c1' },
        { type: 'function_call_output', call_id: 'c1', output: 'sunny' },
      ],
      tools: [{ type: 'function', name: 'weather', description: 'Weather', parameters: {} }, { type: 'web_search' }],
    });
    expect(items.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    expect(items.messages[0].parts[0]).toMatchObject({ kind: 'text', text: 'weather?', path: ['input', 0, 'content', 0, 'text'] });
    expect(items.messages[2].parts[0]).toMatchObject({ kind: 'tool_result', text: 'sunny', path: ['input', 2, 'output'] });
    expect(items.tools.map((t) => t.name)).toEqual(['weather', 'web_search']);
  });

  it('reads Anthropic: system string or blocks, string or block content, tool_use, tool_result, images', () => {
    const c = readConversation('anthropic-messages', {
      model: 'claude-sonnet-4-5',
      max_tokens: 512,
      system: [{ type: 'text', text: 'You review code.' }],
      messages: [
        { role: 'user', content: 'Look at this' },
        { role: 'assistant', content: [{ type: 'text', text: 'Running a tool' }, { type: 'tool_use', id: 'tu1', name: 'read', input: { file: 'a.ts' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'tu1', content: 'export {}', is_error: false }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } }] },
      ],
      tools: [{ name: 'read', description: 'Reads a file', input_schema: { type: 'object' } }],
    });
    expect(c.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(c.messages[0].parts[0]).toMatchObject({ kind: 'text', text: 'You review code.', path: ['system', 0, 'text'] });
    expect(c.messages[1].parts[0]).toMatchObject({ kind: 'text', text: 'Look at this', path: ['messages', 0, 'content'] });
    expect(c.messages[2].parts[1]).toMatchObject({ kind: 'tool_call', name: 'read', callId: 'tu1' });
    expect(c.messages[3].parts[0]).toMatchObject({ kind: 'tool_result', callId: 'tu1', text: 'export {}', path: ['messages', 2, 'content', 0, 'content'] });
    expect(c.messages[3].parts[1]).toEqual({ kind: 'attachment', label: '[image image/png]' });
    expect(c.params).toEqual({ model: 'claude-sonnet-4-5', max_tokens: 512 });
  });

  it('shows an unknown shape as one JSON message rather than nothing', () => {
    const c = readConversation('openai-chat', 'not an object');
    expect(c.messages).toHaveLength(1);
    expect(messageText(c.messages[0])).toBe('not an object');
  });

  it('keeps hostile text exactly as text', () => {
    const evil = '<script>alert(1)</script><img src=x onerror=alert(2)> [click](javascript:alert(3))';
    const c = readConversation('openai-chat', { messages: [{ role: 'user', content: evil }] });
    expect(messageText(c.messages[0])).toBe(evil);
  });
});

describe('applyEdits', () => {
  it('replaces edited strings in a copy and leaves the original untouched', () => {
    const body = { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'old' }] }] };
    const edits = new Map([[pathKey(['messages', 0, 'content', 0, 'text']), 'new']]);
    const edited = applyEdits(body, edits) as typeof body;
    expect(edited.messages[0].content[0].text).toBe('new');
    expect(body.messages[0].content[0].text).toBe('old');
    const reread = readConversation('openai-chat', edited);
    expect(messageText(reread.messages[0])).toBe('new');
  });

  it('ignores paths that do not exist', () => {
    const body = { messages: [] };
    expect(applyEdits(body, new Map([[pathKey(['messages', 3, 'content']), 'x']]))).toEqual({ messages: [] });
  });
});
