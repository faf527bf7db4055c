// report.html: one self-contained page (data, script and style inline; a CSP that allows nothing else, so it makes no
// network request) that an auditor opens from disk to browse, filter and replay the bundle's sessions.
import { createHash } from 'node:crypto';
import type { BundleAction, Manifest } from './bundle-format.js';
import { REPORT_SCRIPT, REPORT_STYLE } from './report-script.js';

export type ReportMeta = Omit<Manifest, 'files'>;

const cspHash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** JSON that is safe inside a <script> data block: no `<`, so no `</script>` or `<!--`. */
export function scriptSafeJson(json: string): string {
  return json.replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Everything up to the sessions array; the exporter streams the sessions, then `reportTail()`. */
export function reportHead(meta: ReportMeta, actions: BundleAction[]): string {
  const csp = `default-src 'none'; script-src ${cspHash(REPORT_SCRIPT)}; style-src ${cspHash(REPORT_STYLE)}; img-src data:; base-uri 'none'; form-action 'none'`;
  const title = `Airlock audit report: ${meta.counts.sessions} sessions, exported ${meta.exportedAt}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${REPORT_STYLE}</style>
</head>
<body>
<header>
<h1>Airlock audit report</h1>
<div class="facts" id="facts"></div>
<p class="note">This page shows what the bundle holds; it does not prove it. To check that nothing was changed, run <code>airlock verify BUNDLE --key PUBLIC_KEY</code> with the gateway's public key.</p>
</header>
<main>
<section id="list" aria-label="Sessions">
<div class="filters">
<input id="q" type="search" placeholder="Search prompts, answers, reasons" aria-label="Search">
<select id="f-status" aria-label="Status"><option value="">All statuses</option></select>
<select id="f-caller" aria-label="Caller"><option value="">All callers</option></select>
<select id="f-reviewer" aria-label="Reviewer"><option value="">All reviewers</option></select>
<button id="clear" type="button">Clear</button>
</div>
<div class="count" id="count"></div>
<table><thead><tr><th>Time (UTC)</th><th>Caller</th><th>Model</th><th>Status</th><th>Reviewer</th><th>Reason</th></tr></thead><tbody id="rows"></tbody></table>
<button id="more" type="button" hidden>Show more</button>
</section>
<section id="detail" aria-label="Session" aria-live="polite"><p class="empty">Select a session to see its request, decisions and answer, and to replay it.</p></section>
</main>
<section id="action-log" aria-label="Actions">
<h2>Reviewer and admin actions</h2>
<table><thead><tr><th>Time (UTC)</th><th>Actor</th><th>Action</th><th>Detail</th></tr></thead><tbody id="actions"></tbody></table>
</section>
<script type="application/json" id="bundle-data">{"meta":${scriptSafeJson(JSON.stringify(meta))},"actions":${scriptSafeJson(JSON.stringify(actions))},"sessions":[`;
}

/** One sessions.jsonl line as an element of the inline array. */
export function reportSession(line: string, first: boolean): string {
  return `${first ? '' : ',\n'}${scriptSafeJson(line)}`;
}

export function reportTail(): string {
  return `]}</script>
<script>${REPORT_SCRIPT}</script>
</body>
</html>
`;
}
