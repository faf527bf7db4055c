// The script and style inlined into report.html: browse, filter and replay a bundle's sessions offline.
// Plain ES2020 in a string (it runs in the auditor's browser, not in Node). Text is only ever set with textContent.

export const REPORT_STYLE = String.raw`
:root { color-scheme: light dark; --fg: #1b1f24; --muted: #5b6470; --line: #d8dde3; --bg: #fff; --soft: #f4f6f8; --accent: #2457c5;
  --ok: #1d7a3a; --bad: #b42318; --warn: #9a6700; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e9ed; --muted: #9aa4b0; --line: #39414b; --bg: #15191e; --soft: #1e242b; --accent: #7aa2f7; } }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: var(--bg); }
header { padding: 16px 24px; border-bottom: 1px solid var(--line); background: var(--soft); }
h1 { font-size: 20px; margin: 0 0 6px; }
h2 { font-size: 16px; margin: 20px 0 8px; }
h3 { font-size: 14px; margin: 16px 0 6px; }
.facts { display: flex; flex-wrap: wrap; gap: 4px 24px; color: var(--muted); }
.facts b { color: var(--fg); font-weight: 600; }
.note { margin-top: 8px; color: var(--muted); }
code, pre { font: 12.5px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(360px, 2fr); gap: 0; min-height: 70vh; }
#list { padding: 12px 24px; border-right: 1px solid var(--line); overflow: auto; }
#detail { padding: 12px 24px; overflow: auto; }
#action-log { padding: 0 24px 24px; }
.filters { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin-bottom: 8px; }
input, select, button { font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 4px 8px; }
button { cursor: pointer; }
button:focus-visible, tr:focus-visible, input:focus-visible, select:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); position: sticky; top: 0; background: var(--bg); }
tbody tr { cursor: pointer; }
#rows td:nth-child(-n+4) { white-space: nowrap; }
#rows td:nth-child(6) { min-width: 10em; overflow-wrap: anywhere; }
tbody tr:hover, tbody tr.selected { background: var(--soft); }
.status { font-weight: 600; }
.s-completed, .s-approved { color: var(--ok); }
.s-rejected, .s-failed, .s-timed_out { color: var(--bad); }
.s-cancelled, .s-interrupted { color: var(--warn); }
.count { color: var(--muted); margin: 6px 0; }
pre { white-space: pre-wrap; word-break: break-word; background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 8px; margin: 4px 0; }
.msg-role { font-weight: 600; color: var(--muted); margin-top: 8px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; }
.replay { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
.replay input[type=range] { flex: 1; min-width: 160px; }
.markers { list-style: none; padding: 0; margin: 6px 0; }
.markers li button { border: none; background: none; padding: 2px 0; text-align: left; }
.markers li button:hover { text-decoration: underline; }
.markers .t { display: inline-block; min-width: 7.5em; margin-right: 10px; color: var(--muted); font-variant-numeric: tabular-nums; }
.markers .past { opacity: 0.55; }
.empty { color: var(--muted); padding: 24px 0; }
`;

export const REPORT_SCRIPT = String.raw`
'use strict';
(function () {
  var data = JSON.parse(document.getElementById('bundle-data').textContent);
  var sessions = data.sessions;
  var PAGE = 200;
  var shown = PAGE;
  var selected = null;
  var replay = null;

  function el(tag, props, children) {
    var node = document.createElement(tag);
    if (props) for (var k in props) {
      if (k === 'text') node.textContent = props[k];
      else if (k === 'className') node.className = props[k];
      else if (k.slice(0, 2) === 'on') node.addEventListener(k.slice(2), props[k]);
      else node.setAttribute(k, props[k]);
    }
    (children || []).forEach(function (c) { if (c) node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function when(iso) { return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : ''; }
  function lastDecision(s) { return s.decisions.length ? s.decisions[s.decisions.length - 1] : null; }
  function reviewers(s) { return s.decisions.map(function (d) { return d.reviewer; }).filter(Boolean); }
  function duration(ms) {
    if (ms < 1000) return Math.round(ms) + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(1) + ' s';
    if (ms < 3600000) return Math.floor(ms / 60000) + ' min ' + Math.round((ms % 60000) / 1000) + ' s';
    return (ms / 3600000).toFixed(1) + ' h';
  }

  function partText(content) {
    if (typeof content === 'string') return content;
    if (Array.isArray(content)) return content.map(function (p) {
      if (typeof p === 'string') return p;
      if (p && typeof p.text === 'string') return p.text;
      if (p && p.type) return '[' + p.type + ']';
      return '';
    }).join('\n');
    return content == null ? '' : JSON.stringify(content, null, 2);
  }
  function messages(body) {
    if (!body || typeof body !== 'object') return [];
    var out = [];
    if (body.system) out.push({ role: 'system', text: partText(body.system) });
    if (body.instructions) out.push({ role: 'instructions', text: partText(body.instructions) });
    if (Array.isArray(body.messages)) body.messages.forEach(function (m) { out.push({ role: m.role || 'message', text: partText(m.content) }); });
    if (typeof body.input === 'string') out.push({ role: 'user', text: body.input });
    else if (Array.isArray(body.input)) body.input.forEach(function (m) { out.push({ role: m.role || m.type || 'input', text: partText(m.content !== undefined ? m.content : m) }); });
    return out;
  }
  var searchText = sessions.map(function (s) {
    var parts = [s.id, s.caller, s.model, s.status, s.policy || ''];
    messages(s.request).forEach(function (m) { parts.push(m.text); });
    if (s.answer) parts.push(s.answer.text);
    s.decisions.forEach(function (d) { parts.push(d.reviewer || '', d.reason || '', d.note || ''); });
    return parts.join('\n').toLowerCase();
  });

  function header() {
    var m = data.meta;
    var f = m.filters;
    var filters = [f.since ? 'since ' + f.since : '', f.until ? 'until ' + f.until : '', f.caller ? 'caller ' + f.caller : '', f.status ? 'status ' + f.status.join(', ') : ''].filter(Boolean).join('; ') || 'none';
    var facts = [
      ['Gateway', m.gateway.id], ['Signing key', m.gateway.key], ['Exported by', m.exportedBy.name + ' (' + m.exportedBy.via + ')'], ['Exported at', when(m.exportedAt)],
      ['Filters', filters], ['Range', when(m.range.from) + ' to ' + when(m.range.to)], ['Sessions', String(m.counts.sessions)], ['Decisions', String(m.counts.decisions)],
      ['Actions', String(m.counts.actions)], ['Content', m.content === 'raw' ? 'raw (unmasked)' : 'masked']
    ];
    var box = document.getElementById('facts');
    facts.forEach(function (p) { box.appendChild(el('span', null, [p[0] + ': ', el('b', { text: p[1] })])); });
  }

  function options(select, values) {
    values.forEach(function (v) { select.appendChild(el('option', { value: v, text: v })); });
  }
  function unique(list) { return Array.from(new Set(list)).sort(); }

  var q = document.getElementById('q');
  var fStatus = document.getElementById('f-status');
  var fCaller = document.getElementById('f-caller');
  var fReviewer = document.getElementById('f-reviewer');
  options(fStatus, unique(sessions.map(function (s) { return s.status; })));
  options(fCaller, unique(sessions.map(function (s) { return s.caller; })));
  options(fReviewer, unique([].concat.apply([], sessions.map(reviewers))));

  function matches() {
    var text = q.value.trim().toLowerCase();
    var out = [];
    sessions.forEach(function (s, i) {
      if (fStatus.value && s.status !== fStatus.value) return;
      if (fCaller.value && s.caller !== fCaller.value) return;
      if (fReviewer.value && reviewers(s).indexOf(fReviewer.value) < 0) return;
      if (text && searchText[i].indexOf(text) < 0) return;
      out.push(s);
    });
    return out;
  }

  function renderList() {
    var list = matches();
    var body = document.getElementById('rows');
    clear(body);
    list.slice(0, shown).forEach(function (s) {
      var d = lastDecision(s);
      var row = el('tr', { tabindex: '0', 'data-id': s.id, className: selected && selected.id === s.id ? 'selected' : '',
        onclick: function () { select(s); }, onkeydown: function (e) { if (e.key === 'Enter') select(s); } }, [
        el('td', { text: when(s.createdAt) }), el('td', { text: s.caller }), el('td', { text: s.model }),
        el('td', { className: 'status s-' + s.status, text: s.status }), el('td', { text: d && d.reviewer ? d.reviewer : '' }), el('td', { text: d && d.reason ? d.reason : '' })
      ]);
      body.appendChild(row);
    });
    document.getElementById('count').textContent = 'Showing ' + Math.min(shown, list.length) + ' of ' + list.length + ' matching sessions (' + sessions.length + ' in the bundle)';
    document.getElementById('more').hidden = list.length <= shown;
  }
  [q, fStatus, fCaller, fReviewer].forEach(function (c) { c.addEventListener('input', function () { shown = PAGE; renderList(); }); });
  document.getElementById('more').addEventListener('click', function () { shown += PAGE; renderList(); });
  document.getElementById('clear').addEventListener('click', function () { q.value = ''; fStatus.value = ''; fCaller.value = ''; fReviewer.value = ''; shown = PAGE; renderList(); });

  function textBlock(title, text) { return [el('h3', { text: title }), el('pre', { text: text })]; }

  function select(s) {
    selected = s;
    if (replay) replay.stop();
    var pane = document.getElementById('detail');
    clear(pane);
    pane.appendChild(el('h2', { text: 'Session ' + s.id }));
    var facts = [['Created', when(s.createdAt)], ['Completed', when(s.completedAt)], ['Caller', s.caller], ['Model', s.model], ['Protocol', s.protocol + ' ' + s.path],
      ['Status', s.status], ['Policy', s.policy || 'default (review)'], ['Tokens', String(s.tokens)], ['Content', s.content]];
    if (s.previousId) facts.push(['Previous turn', s.previousId]);
    pane.appendChild(el('dl', null, [].concat.apply([], facts.map(function (f) { return [el('dt', { text: f[0] }), el('dd', { text: f[1] })]; }))));

    pane.appendChild(el('h3', { text: 'Decisions' }));
    if (!s.decisions.length) pane.appendChild(el('p', { className: 'empty', text: 'No decision was recorded.' }));
    s.decisions.forEach(function (d) {
      var who = d.reviewer ? 'by ' + d.reviewer : d.action === 'timeout' ? '(no reviewer decided in time)' : '(by policy)';
      var line = when(d.at) + '  ' + d.action + (d.edited ? ' (edited)' : '') + ' ' + who + (d.reason ? ': ' + d.reason : '') + (d.note ? ' (note: ' + d.note + ')' : '');
      pane.appendChild(el('pre', { text: line }));
    });

    if (s.content === 'shredded') pane.appendChild(el('p', { className: 'empty', text: 'This session was shredded: its key was destroyed, so its text cannot be read.' }));
    var msgs = messages(s.request);
    if (msgs.length) {
      pane.appendChild(el('h3', { text: 'Request' }));
      msgs.forEach(function (m) { pane.appendChild(el('div', { className: 'msg-role', text: m.role })); pane.appendChild(el('pre', { text: m.text })); });
    } else if (s.request != null) textBlock('Request', JSON.stringify(s.request, null, 2)).forEach(function (n) { pane.appendChild(n); });
    if (s.forwarded != null) textBlock('Forwarded after edit', JSON.stringify(s.forwarded, null, 2)).forEach(function (n) { pane.appendChild(n); });
    if (s.answer) textBlock('Answer (HTTP ' + s.answer.status + ')', s.answer.text || (s.answer.body ? JSON.stringify(s.answer.body, null, 2) : '')).forEach(function (n) { pane.appendChild(n); });
    if (s.error) textBlock('Error: ' + s.error.code, s.error.message).forEach(function (n) { pane.appendChild(n); });
    pane.appendChild(replayPanel(s));
    renderList();
  }

  // Replay: the timeline at its recorded timing, with speeds, a scrubber, skip-idle and labelled markers.
  function replayPanel(s) {
    var events = s.timeline.slice().sort(function (a, b) { return a.t - b.t; });
    var box = el('section', { id: 'replay' }, [el('h3', { text: 'Replay' })]);
    if (!events.length) { box.appendChild(el('p', { className: 'empty', text: 'No timeline was recorded.' })); return box; }
    var skipIdle = false;
    var IDLE = 1500;
    function virtual() {
      var out = []; var v = 0; var prev = events[0].t;
      events.forEach(function (e) { var gap = e.t - prev; v += skipIdle && gap > IDLE ? IDLE : gap; prev = e.t; out.push(v); });
      return out;
    }
    var vt = virtual();
    var pos = 0;
    var speed = 1;
    var playing = false;
    var last = 0;
    var frame = 0;
    var play = el('button', { type: 'button', text: 'Play' });
    var speedSel = el('select', { 'aria-label': 'Speed' });
    ['1', '2', '4', '8', '16', 'instant'].forEach(function (v) { speedSel.appendChild(el('option', { value: v, text: v === 'instant' ? 'instant' : v + '\u00d7' })); });
    var skip = el('input', { type: 'checkbox', id: 'skip-idle' });
    var scrub = el('input', { type: 'range', min: '0', max: String(vt[vt.length - 1] || 0), value: '0', step: '1', 'aria-label': 'Position' });
    var clock = el('span', { className: 'count' });
    var out = el('pre', { 'aria-live': 'off' });
    var markers = el('ul', { className: 'markers' });
    function total() { return vt[vt.length - 1] || 0; }
    // The recorded time at replay position v: between two events it runs on (at the pace of a shortened idle gap).
    function realAt(v) {
      var i = 0;
      while (i + 1 < vt.length && vt[i + 1] <= v) i++;
      if (i + 1 >= vt.length) return events[events.length - 1].t;
      var span = vt[i + 1] - vt[i];
      return events[i].t + (span > 0 ? ((v - vt[i]) * (events[i + 1].t - events[i].t)) / span : 0);
    }
    function render() {
      var text = '';
      var items = markers.children;
      events.forEach(function (e, i) {
        if (vt[i] <= pos) { if (e.type === 'chunk' && e.text) text += e.text; }
        if (items[i]) items[i].className = vt[i] <= pos ? 'past' : '';
      });
      if (!events.some(function (e) { return e.type === 'chunk'; }) && s.answer && pos >= total()) text = s.answer.text;
      out.textContent = text;
      scrub.value = String(pos);
      clock.textContent = duration(realAt(pos)) + ' / ' + duration(events[events.length - 1].t);
    }
    function tick(now) {
      if (!playing) return;
      pos = Math.min(total(), pos + (now - last) * speed);
      last = now;
      render();
      if (pos >= total()) { stop(); return; }
      frame = requestAnimationFrame(tick);
    }
    function start() {
      if (pos >= total()) pos = 0;
      if (speedSel.value === 'instant') { pos = total(); render(); return; }
      playing = true; play.textContent = 'Pause'; last = performance.now(); frame = requestAnimationFrame(tick);
    }
    function stop() { playing = false; play.textContent = 'Play'; cancelAnimationFrame(frame); }
    play.addEventListener('click', function () { if (playing) stop(); else start(); });
    speedSel.addEventListener('change', function () { speed = speedSel.value === 'instant' ? Infinity : Number(speedSel.value); if (playing && speed === Infinity) { stop(); pos = total(); render(); } });
    skip.addEventListener('change', function () { var real = realAt(pos); skipIdle = skip.checked; vt = virtual(); scrub.max = String(total()); pos = 0; for (var i = 0; i < events.length; i++) if (events[i].t <= real) pos = vt[i]; render(); });
    scrub.addEventListener('input', function () { pos = Number(scrub.value); render(); });
    events.forEach(function (e, i) {
      if (e.type === 'chunk') { markers.appendChild(el('li', { hidden: '' })); return; }
      var label = e.type.replace('_', ' ') + (e.by ? ' by ' + e.by : '') + (e.detail ? ': ' + e.detail : '');
      markers.appendChild(el('li', null, [el('button', { type: 'button', title: label, onclick: function () { pos = vt[i]; render(); } }, [el('span', { className: 't', text: '+' + duration(e.t) }), label])]));
    });
    box.appendChild(el('div', { className: 'replay' }, [play, el('label', null, ['Speed ', speedSel]), el('label', null, [skip, ' skip idle']), scrub, clock]));
    box.appendChild(out);
    box.appendChild(el('h3', { text: 'Timeline' }));
    box.appendChild(markers);
    render();
    replay = { stop: stop, toggle: function () { if (playing) stop(); else start(); } };
    return box;
  }
  document.addEventListener('keydown', function (e) {
    var tag = e.target && e.target.tagName;
    if (e.key === ' ' && replay && tag !== 'INPUT' && tag !== 'SELECT' && tag !== 'BUTTON' && tag !== 'TR') { e.preventDefault(); replay.toggle(); }
  });

  function renderActions() {
    var body = document.getElementById('actions');
    if (!data.actions.length) { body.appendChild(el('tr', null, [el('td', { colspan: '4', className: 'empty', text: 'No actions in this range.' })])); return; }
    data.actions.forEach(function (a) {
      body.appendChild(el('tr', null, [el('td', { text: when(a.at) }), el('td', { text: a.actor || '' }), el('td', { text: a.type }),
        el('td', null, [el('code', { text: (a.requestId ? a.requestId + ' ' : '') + (a.detail == null ? '' : JSON.stringify(a.detail)) })])]));
    });
  }

  header();
  renderList();
  renderActions();
  if (!sessions.length) document.getElementById('detail').appendChild(el('p', { className: 'empty', text: 'This bundle holds no sessions.' }));
})();
`;
