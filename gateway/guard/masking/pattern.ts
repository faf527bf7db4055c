// Compiles a detector's regular expression into what streaming needs: the matcher, a regex for
// every prefix of its matches (to know what to hold back), and bounds on match and look-behind length.
//
// Supports the regex subset detectors use (u-mode): literals, escapes, classes, groups, alternation,
// greedy/lazy quantifiers, \b, $, look-ahead and look-behind. Back-references and ^ are rejected:
// a streamed buffer does not start where the text starts, so ^ would match in the wrong place.

type Node =
  | { type: 'atom'; source: string; width: 1 | 2 } // one code point; width in UTF-16 units at most
  | { type: 'assertion'; source: string } // \b \B $
  | { type: 'look'; behind: boolean; negate: boolean; body: Node }
  | { type: 'seq'; items: Node[] }
  | { type: 'alt'; options: Node[] }
  | { type: 'repeat'; body: Node; min: number; max: number; lazy: boolean };

/** One regular expression of a detector; `accept` may reject a match (checksums) or keep only its first part. */
export interface PatternSpec {
  kind: string;
  pattern: string;
  /** Length of the match to mask, from its start; 0 rejects it. Without it, the whole match is masked. */
  accept?: (match: string) => number;
}

export interface CompiledPattern {
  /** The matcher, flags `gu`. Unbounded repeats are capped, so every match has a known maximum length. */
  matcher: RegExp;
  /** Regex source matching every prefix of a match (look-arounds relaxed); it also matches the empty string. */
  prefixSource: string;
  /** Longest possible match, in UTF-16 units. */
  maxLength: number;
  /** Longest string the prefix regex can match: the most this pattern can make a stream hold back. */
  holdLength: number;
  /** Longest look-behind: how much already-emitted text a stream keeps as left context. */
  lookbehindLength: number;
  /** Whether a prefix may contain whitespace; if not, only the buffer's last word can be one. */
  prefixSpansWhitespace: boolean;
}

export class PatternError extends Error {}

export function compilePattern(source: string, options: { repeatCap: number; maxLookbehind: number }): CompiledPattern {
  try {
    new RegExp(source, 'u');
  } catch (error) {
    throw new PatternError(`not a valid regular expression: ${(error as Error).message}`);
  }
  const tree = capRepeats(new Parser(source).parse(), options.repeatCap);
  if (minLength(tree) === 0) throw new PatternError('the pattern can match an empty string');
  const lookbehindLength = lookbehindMax(tree);
  if (lookbehindLength > options.maxLookbehind) {
    throw new PatternError(`look-behind may span ${lookbehindLength} characters; at most ${options.maxLookbehind} are kept`);
  }
  const relaxed = relax(tree);
  return {
    matcher: new RegExp(render(tree), 'gu'),
    prefixSource: render(prefix(relaxed)),
    maxLength: maxLength(tree),
    holdLength: maxLength(relaxed),
    lookbehindLength,
    prefixSpansWhitespace: mayMatchWhitespace(relaxed),
  };
}

const EMPTY: Node = { type: 'seq', items: [] };

class Parser {
  private pos = 0;
  constructor(private readonly src: string) {}

  parse(): Node {
    const node = this.alternation();
    if (this.pos < this.src.length) throw new PatternError(`unexpected "${this.src[this.pos]}" at ${this.pos}`);
    return node;
  }

  private alternation(): Node {
    const options = [this.sequence()];
    while (this.src[this.pos] === '|') {
      this.pos++;
      options.push(this.sequence());
    }
    return options.length === 1 ? options[0] : { type: 'alt', options };
  }

  private sequence(): Node {
    const items: Node[] = [];
    while (this.pos < this.src.length && this.src[this.pos] !== '|' && this.src[this.pos] !== ')') items.push(this.quantified());
    return items.length === 1 ? items[0] : { type: 'seq', items };
  }

  private quantified(): Node {
    let node = this.atom();
    for (;;) {
      const bounds = this.quantifier();
      if (!bounds) return node;
      const lazy = this.src[this.pos] === '?';
      if (lazy) this.pos++;
      node = { type: 'repeat', body: node, min: bounds[0], max: bounds[1], lazy };
    }
  }

  private quantifier(): [number, number] | null {
    const c = this.src[this.pos];
    if (c === '*' || c === '+' || c === '?') {
      this.pos++;
      return c === '*' ? [0, Infinity] : c === '+' ? [1, Infinity] : [0, 1];
    }
    const braces = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos));
    if (!braces) return null;
    this.pos += braces[0].length;
    const min = Number(braces[1]);
    return [min, braces[2] === undefined ? min : braces[3] === '' ? Infinity : Number(braces[3])];
  }

  private atom(): Node {
    const c = this.src[this.pos];
    if (c === '(') return this.group();
    if (c === '[') return this.charClass();
    if (c === '\\') return this.escape();
    this.pos++;
    if (c === '.') return { type: 'atom', source: '.', width: 2 };
    if (c === '$') return { type: 'assertion', source: '$' };
    if (c === '^') throw new PatternError('^ is not supported (a stream has no fixed start)');
    const code = this.src.codePointAt(this.pos - 1)!;
    const literal = String.fromCodePoint(code);
    this.pos += literal.length - 1;
    return { type: 'atom', source: literal, width: literal.length as 1 | 2 };
  }

  private group(): Node {
    const head = /^\((\?(:|=|!|<=|<!|<[A-Za-z_$][\w$]*>))?/.exec(this.src.slice(this.pos))!;
    this.pos += head[0].length;
    const body = this.alternation();
    if (this.src[this.pos] !== ')') throw new PatternError('unclosed group');
    this.pos++;
    const kind = head[2];
    if (kind === '=' || kind === '!' || kind === '<=' || kind === '<!') {
      return { type: 'look', behind: kind.startsWith('<'), negate: kind.endsWith('!'), body };
    }
    return body; // capturing and named groups become plain groups: detectors never read captures
  }

  private charClass(): Node {
    const start = this.pos;
    let i = start + 1;
    while (this.src[i] !== ']') i += this.src[i] === '\\' ? 2 : 1;
    this.pos = i + 1;
    const source = this.src.slice(start, this.pos);
    const wide = source.startsWith('[^') || /\\[DWSpP]|\\u\{/.test(source) || /[\uD800-\uDBFF]/.test(source);
    return { type: 'atom', source, width: wide ? 2 : 1 };
  }

  private escape(): Node {
    const c = this.src[this.pos + 1];
    if (c === 'b' || c === 'B') {
      this.pos += 2;
      return { type: 'assertion', source: `\\${c}` };
    }
    if (/[1-9]/.test(c) || c === 'k') throw new PatternError('back-references are not supported');
    const token = /^\\(?:[pP]\{[^}]*\}|u\{[0-9A-Fa-f]+\}|u[0-9A-Fa-f]{4}|x[0-9A-Fa-f]{2}|c[A-Za-z]|.)/u.exec(this.src.slice(this.pos))![0];
    this.pos += token.length;
    const wide = /^\\[DWSpP]/.test(token) || (token.startsWith('\\u{') && parseInt(token.slice(3, -1), 16) > 0xffff);
    return { type: 'atom', source: token, width: wide ? 2 : 1 };
  }
}

function render(node: Node): string {
  switch (node.type) {
    case 'atom':
    case 'assertion':
      return node.source;
    case 'look':
      return `(?${node.behind ? '<' : ''}${node.negate ? '!' : '='}${render(node.body)})`;
    case 'seq':
      return node.items.map((item) => (item.type === 'alt' ? `(?:${render(item)})` : render(item))).join('');
    case 'alt':
      return node.options.map(render).join('|');
    case 'repeat': {
      const body = node.body.type === 'atom' ? render(node.body) : `(?:${render(node.body)})`;
      const { min, max } = node;
      const bounds = max === Infinity ? `{${min},}` : min === max ? `{${min}}` : `{${min},${max}}`;
      return body + bounds + (node.lazy ? '?' : '');
    }
  }
}

function capRepeats(node: Node, cap: number): Node {
  switch (node.type) {
    case 'atom':
    case 'assertion':
      return node;
    case 'look':
      return { ...node, body: capRepeats(node.body, cap) };
    case 'seq':
      return { type: 'seq', items: node.items.map((item) => capRepeats(item, cap)) };
    case 'alt':
      return { type: 'alt', options: node.options.map((option) => capRepeats(option, cap)) };
    case 'repeat':
      return { ...node, body: capRepeats(node.body, cap), max: node.max === Infinity ? Math.max(node.min, cap) : node.max };
  }
}

/**
 * The pattern without context checks, as a superset of what its matcher may read: assertions and
 * look-behinds (which read only text already seen) drop out; a look-ahead reads on past the match,
 * so it becomes optional text, and a prefix reaching into it is held too.
 */
function relax(node: Node): Node {
  switch (node.type) {
    case 'atom':
      return node;
    case 'assertion':
      return EMPTY;
    case 'look':
      return node.behind ? EMPTY : { type: 'repeat', body: relax(node.body), min: 0, max: 1, lazy: false };
    case 'seq':
      return { type: 'seq', items: node.items.map(relax).filter((item) => !(item.type === 'seq' && item.items.length === 0)) };
    case 'alt':
      return { type: 'alt', options: node.options.map(relax) };
    case 'repeat':
      return { ...node, body: relax(node.body) };
  }
}

/** Every prefix (empty and complete included) of what a relaxed node matches. */
function prefix(node: Node): Node {
  switch (node.type) {
    case 'atom':
      return { type: 'repeat', body: node, min: 0, max: 1, lazy: false };
    case 'seq': {
      const [first, ...rest] = node.items;
      if (!first) return EMPTY;
      if (rest.length === 0) return prefix(first);
      const continued: Node = { type: 'seq', items: [first, prefix({ type: 'seq', items: rest })] };
      if (first.type === 'atom') return { type: 'repeat', body: continued, min: 0, max: 1, lazy: false };
      return { type: 'alt', options: [prefix(first), continued] };
    }
    case 'alt':
      return { type: 'alt', options: node.options.map(prefix) };
    case 'repeat':
      if (node.max === 0) return EMPTY;
      if (node.body.type === 'atom') return { type: 'repeat', body: node.body, min: 0, max: node.max, lazy: false };
      return { type: 'seq', items: [{ type: 'repeat', body: node.body, min: 0, max: node.max - 1, lazy: false }, prefix(node.body)] };
    case 'assertion':
    case 'look':
      return EMPTY; // relaxed away before prefix() is called
  }
}

function maxLength(node: Node): number {
  switch (node.type) {
    case 'atom':
      return node.width;
    case 'assertion':
    case 'look':
      return 0;
    case 'seq':
      return node.items.reduce((sum, item) => sum + maxLength(item), 0);
    case 'alt':
      return Math.max(...node.options.map(maxLength));
    case 'repeat':
      return node.max === 0 ? 0 : maxLength(node.body) * node.max;
  }
}

function minLength(node: Node): number {
  switch (node.type) {
    case 'atom':
      return 1;
    case 'assertion':
    case 'look':
      return 0;
    case 'seq':
      return node.items.reduce((sum, item) => sum + minLength(item), 0);
    case 'alt':
      return Math.min(...node.options.map(minLength));
    case 'repeat':
      return minLength(node.body) * node.min;
  }
}

function lookbehindMax(node: Node): number {
  switch (node.type) {
    case 'atom':
    case 'assertion':
      return 0;
    case 'look':
      return Math.max(node.behind ? maxLength(node.body) : 0, lookbehindMax(node.body));
    case 'seq':
      return Math.max(0, ...node.items.map(lookbehindMax));
    case 'alt':
      return Math.max(0, ...node.options.map(lookbehindMax));
    case 'repeat':
      return lookbehindMax(node.body);
  }
}

// Every character \s matches.
const WHITESPACE = [...'\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff'];

function mayMatchWhitespace(node: Node): boolean {
  switch (node.type) {
    case 'atom': {
      const atom = new RegExp(`^${node.source}$`, 'u');
      return WHITESPACE.some((char) => atom.test(char));
    }
    case 'assertion':
      return false;
    case 'look':
    case 'repeat':
      return mayMatchWhitespace(node.body);
    case 'seq':
      return node.items.some(mayMatchWhitespace);
    case 'alt':
      return node.options.some(mayMatchWhitespace);
  }
}
