// Unicode direction controls in prompt and answer text: invisible characters that reorder what follows
// them, so "abc \u202Eevil\u202C" can display as "abc live". The console shows each as a visible marker
// instead of applying it; the text itself (what is edited, approved and forwarded) stays as it is.

export interface DirectionControl {
  /** The marker's short name, e.g. RLO. */
  abbr: string;
  /** The Unicode name, e.g. RIGHT-TO-LEFT OVERRIDE. */
  name: string;
  /** U+202E */
  code: string;
}

const CONTROLS: Record<string, Omit<DirectionControl, 'code'>> = {
  '\u200E': { abbr: 'LRM', name: 'LEFT-TO-RIGHT MARK' },
  '\u200F': { abbr: 'RLM', name: 'RIGHT-TO-LEFT MARK' },
  '\u061C': { abbr: 'ALM', name: 'ARABIC LETTER MARK' },
  '\u202A': { abbr: 'LRE', name: 'LEFT-TO-RIGHT EMBEDDING' },
  '\u202B': { abbr: 'RLE', name: 'RIGHT-TO-LEFT EMBEDDING' },
  '\u202C': { abbr: 'PDF', name: 'POP DIRECTIONAL FORMATTING' },
  '\u202D': { abbr: 'LRO', name: 'LEFT-TO-RIGHT OVERRIDE' },
  '\u202E': { abbr: 'RLO', name: 'RIGHT-TO-LEFT OVERRIDE' },
  '\u2066': { abbr: 'LRI', name: 'LEFT-TO-RIGHT ISOLATE' },
  '\u2067': { abbr: 'RLI', name: 'RIGHT-TO-LEFT ISOLATE' },
  '\u2068': { abbr: 'FSI', name: 'FIRST STRONG ISOLATE' },
  '\u2069': { abbr: 'PDI', name: 'POP DIRECTIONAL ISOLATE' },
};

const CLASS = '[\u200E\u200F\u061C\u202A-\u202E\u2066-\u2069]';
/** Used only with matchAll and replace, which never leave lastIndex behind (test() would). */
const EVERY = new RegExp(CLASS, 'g');
const ANY = new RegExp(CLASS);

export type TextSegment = { kind: 'text'; text: string } | { kind: 'control'; control: DirectionControl };

export function describeControl(char: string): DirectionControl {
  const known = CONTROLS[char];
  const code = `U+${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  return known ? { ...known, code } : { abbr: code, name: 'direction control', code };
}

/** The hover text of a marker: what the character is, and that it was not applied. */
export function controlTitle(control: DirectionControl): string {
  return `${control.code} ${control.name}: an invisible character that changes the display order of the text. Shown here as a marker, not applied; the request itself is unchanged.`;
}

export function hasDirectionControls(text: string): boolean {
  return ANY.test(text);
}

/** How many of each control the text holds, e.g. { RLO: 1, PDF: 1 }. */
export function countDirectionControls(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const match of text.matchAll(EVERY)) {
    const { abbr } = describeControl(match[0]);
    counts.set(abbr, (counts.get(abbr) ?? 0) + 1);
  }
  return counts;
}

/** The text cut at each control: plain runs and the controls between them, in order. */
export function splitDirectionControls(text: string): TextSegment[] {
  const out: TextSegment[] = [];
  let from = 0;
  for (const match of text.matchAll(EVERY)) {
    const at = match.index;
    if (at > from) out.push({ kind: 'text', text: text.slice(from, at) });
    out.push({ kind: 'control', control: describeControl(match[0]) });
    from = at + 1;
  }
  if (from < text.length || out.length === 0) out.push({ kind: 'text', text: text.slice(from) });
  return out;
}

/** For places that take a plain string (notifications, labels): each control becomes ⟨RLO⟩. */
export function revealDirectionControls(text: string): string {
  return text.replace(EVERY, (char) => `⟨${describeControl(char).abbr}⟩`);
}
