// Token estimates for text the reviewer is editing. The gateway estimates the original; the console
// re-estimates edits. A chars/4 heuristic answers at once; the real tokenizer (a large table) loads on demand.

type Counter = (text: string) => number;

let counter: Counter | null = null;
let loading: Promise<void> | null = null;

/** Roughly four characters a token for English and code; good enough until the tokenizer loads. */
export function heuristicTokens(text: string): number {
  if (text.length === 0) return 0;
  return Math.max(1, Math.ceil(text.length / 4));
}

export function estimateTokens(text: string): number {
  return counter ? counter(text) : heuristicTokens(text);
}

export function tokenizerLoaded(): boolean {
  return counter !== null;
}

/** Loads o200k_base (the GPT-4o family's encoding) once; estimates made afterwards are exact for it. */
export function loadTokenizer(): Promise<void> {
  loading ??= import('gpt-tokenizer/encoding/o200k_base')
    .then((mod) => {
      counter = (text) => mod.countTokens(text);
    })
    .catch(() => {
      loading = null; // keep the heuristic; a later call may retry
    });
  return loading;
}

export function formatTokens(n: number): string {
  if (n < 1000) return String(n);
  if (n < 10_000) return `${(n / 1000).toFixed(1)}k`;
  return `${Math.round(n / 1000)}k`;
}
