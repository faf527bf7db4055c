// What `airlock verify` says: one verdict first, then one line per finding naming what is wrong, then what was checked.

export interface Finding {
  /** The file, session, row or event the finding is about (e.g. `sessions.jsonl line 3`, `requests/req_…`). */
  subject: string;
  problem: string;
}

export interface Verdict {
  /** What was verified: the bundle's file name or the data dir. */
  target: string;
  findings: Finding[];
  /** Lines saying what was checked (counts, chain length, the key used). */
  checked: string[];
}

export function isValid(verdict: Verdict): boolean {
  return verdict.findings.length === 0;
}

export function formatVerdict(verdict: Verdict): string {
  const n = verdict.findings.length;
  const lines = [n === 0 ? `VALID: ${verdict.target}` : `INVALID: ${verdict.target} (${n} finding${n === 1 ? '' : 's'})`];
  for (const f of verdict.findings) lines.push(`${f.subject}: ${f.problem}`);
  for (const c of verdict.checked) lines.push(`checked: ${c}`);
  return `${lines.join('\n')}\n`;
}

/** Collects findings in the order they are found; the caller puts the signature's first. */
export class Findings {
  readonly list: Finding[] = [];

  add(subject: string, problem: string): void {
    this.list.push({ subject, problem });
  }
}
