import { describe, expect, it } from 'vitest';
import { createMasker, maskJsonStrings } from '../../../gateway/guard/masking/index.js';
import { fixed } from './samples.js';

const masker = createMasker();

describe('maskJsonStrings', () => {
  it('masks every string at any depth and leaves keys, numbers, booleans and null', () => {
    const body = {
      model: 'gpt-x',
      temperature: 0.2,
      stream: false,
      stop: null,
      messages: [
        { role: 'user', content: `my key is ${fixed.github}` },
        { role: 'user', content: [{ type: 'text', text: `mail ${fixed.email}` }] },
      ],
      [fixed.email]: 'keys are not masked',
    };
    expect(maskJsonStrings(body, masker)).toEqual({
      ...body,
      messages: [
        { role: 'user', content: 'my key is [SECRET:github]' },
        { role: 'user', content: [{ type: 'text', text: 'mail [EMAIL]' }] },
      ],
    });
  });

  it('returns unchanged branches as the same objects', () => {
    const untouched = { role: 'system', content: 'be brief' };
    const body = { messages: [untouched, { role: 'user', content: fixed.ssn }] };
    const masked = maskJsonStrings(body, masker);
    expect(masked.messages[0]).toBe(untouched);
    expect(masked.messages[1]).toEqual({ role: 'user', content: '[SSN]' });
    const clean = { a: ['x', { b: 'y' }] };
    expect(maskJsonStrings(clean, masker)).toBe(clean);
  });

  it('masks a bare string', () => {
    expect(maskJsonStrings(fixed.email, masker)).toBe('[EMAIL]');
  });
});
