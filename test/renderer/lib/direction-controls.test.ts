import { describe, expect, it } from 'vitest';
import { countDirectionControls, hasDirectionControls, revealDirectionControls, splitDirectionControls } from '../../../renderer/src/lib/direction-controls.js';

// Every control the console must neutralise: the embeddings, overrides and isolates, and the three marks.
const ALL = '\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069\u200E\u200F\u061C';

describe('direction controls', () => {
  it('cuts text at each control, keeping every other character', () => {
    expect(splitDirectionControls('abc \u202Eevil\u202C done')).toEqual([
      { kind: 'text', text: 'abc ' },
      { kind: 'control', control: { abbr: 'RLO', name: 'RIGHT-TO-LEFT OVERRIDE', code: 'U+202E' } },
      { kind: 'text', text: 'evil' },
      { kind: 'control', control: { abbr: 'PDF', name: 'POP DIRECTIONAL FORMATTING', code: 'U+202C' } },
      { kind: 'text', text: ' done' },
    ]);
    expect(splitDirectionControls('plain')).toEqual([{ kind: 'text', text: 'plain' }]);
    expect(splitDirectionControls('')).toEqual([{ kind: 'text', text: '' }]);
  });

  it('knows all twelve, and leaves right-to-left letters and other invisible characters alone', () => {
    const segments = splitDirectionControls(ALL);
    expect(segments.map((s) => (s.kind === 'control' ? s.control.abbr : s.text))).toEqual(['LRE', 'RLE', 'PDF', 'LRO', 'RLO', 'LRI', 'RLI', 'FSI', 'PDI', 'LRM', 'RLM', 'ALM']);
    expect(hasDirectionControls('שלום עולם مرحبا \u200B')).toBe(false);
    for (const char of ALL) expect(hasDirectionControls(`a${char}b`)).toBe(true);
  });

  it('a text put back together from its segments is the original', () => {
    const text = 'x\u2067y\u2069\n\u200Fz';
    const back = splitDirectionControls(text)
      .map((s) => (s.kind === 'text' ? s.text : String.fromCharCode(parseInt(s.control.code.slice(2), 16))))
      .join('');
    expect(back).toBe(text);
  });

  it('counts them for the editor warning, and writes markers into plain strings', () => {
    expect([...countDirectionControls('a\u202Eb\u202Ec\u202C')]).toEqual([
      ['RLO', 2],
      ['PDF', 1],
    ]);
    expect(revealDirectionControls('abc \u202Eevil\u202C done')).toBe('abc ⟨RLO⟩evil⟨PDF⟩ done');
    // Called twice in a row, the shared pattern still starts from the beginning.
    expect(hasDirectionControls('\u202E')).toBe(true);
    expect(hasDirectionControls('\u202E')).toBe(true);
  });
});
