import { createHash } from 'node:crypto';

/**
 * The HTML status page: a static shell whose inline script polls `/status` and renders it with DOM APIs
 * (`textContent` only, never `innerHTML`), so task names, references and registry error messages are always text.
 */
const SCRIPT = `
(function () {
  var REFRESH_MS = 2000;
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function ago(ms, now) {
    if (ms === undefined || ms === null) return '—';
    var d = Math.round((now - ms) / 1000), future = d < 0;
    d = Math.abs(d);
    var s = d < 60 ? d + 's' : d < 3600 ? Math.floor(d / 60) + 'm' + (d % 60 ? ' ' + (d % 60) + 's' : '') : Math.floor(d / 3600) + 'h ' + Math.floor((d % 3600) / 60) + 'm';
    return future ? 'in ' + s : s + ' ago';
  }
  function when(ms, now) {
    if (ms === undefined || ms === null) return '—';
    return new Date(ms).toLocaleString() + ' (' + ago(ms, now) + ')';
  }
  function bytes(n) {
    if (!n) return '0 B';
    var u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'], i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(1) : n) + ' ' + u[i];
  }
  function dur(ms) {
    if (ms < 1000) return ms + ' ms';
    var s = ms / 1000;
    return s < 60 ? s.toFixed(1) + ' s' : Math.floor(s / 60) + 'm ' + Math.round(s % 60) + 's';
  }
  function row(tbl, cells, head) {
    var tr = el('tr');
    cells.forEach(function (c) { tr.appendChild(el(head ? 'th' : 'td', null, c)); });
    tbl.appendChild(tr);
  }
  function kv(dl, k, v, cls) {
    dl.appendChild(el('dt', null, k));
    dl.appendChild(el('dd', cls || null, v));
  }
  function pullsText(spent, planned, atLeast) {
    var s = spent + (spent === 1 ? ' pull' : ' pulls') + ' spent';
    if (planned !== undefined) s += ' of ' + (atLeast ? 'at least ' : '') + planned + ' planned';
    return s;
  }
  function budgetText(b, now) {
    if (!b) return '—';
    var s = b.remaining !== undefined ? b.remaining + (b.limit !== undefined ? ' / ' + b.limit : '') + ' pulls left' : 'unknown';
    if (b.windowSeconds) s += ' per ' + Math.round(b.windowSeconds / 3600) + 'h';
    if (b.reserve) s += ', reserve ' + b.reserve;
    if (b.waitingUntilMs && b.waitingUntilMs > now) {
      s += ', paused';
      if (b.nextCheckAtMs) s += ', next check ' + new Date(b.nextCheckAtMs).toLocaleTimeString();
      s += ', until ' + new Date(b.waitingUntilMs).toLocaleTimeString() + ' at the latest';
    }
    return s;
  }
  function render(st) {
    var now = st.generatedAt;
    var root = document.getElementById('tasks');
    root.replaceChildren();
    var hdr = document.getElementById('summary');
    hdr.replaceChildren();
    hdr.appendChild(el('span', st.schedulerRunning ? 'pill ok' : 'pill bad', st.schedulerRunning ? 'scheduler running' : 'scheduler not running'));
    hdr.appendChild(el('span', 'pill', st.tasks.length + ' task' + (st.tasks.length === 1 ? '' : 's')));
    hdr.appendChild(el('span', 'pill', st.copiesInFlight + ' copies in flight'));
    if (st.configFile) hdr.appendChild(el('span', 'pill muted', 'config ' + st.configFile));
    if (!st.tasks.length) root.appendChild(el('p', 'muted', 'No tasks yet.'));
    st.tasks.forEach(function (t) {
      var sec = el('section', 'task');
      sec.setAttribute('data-task', t.name);
      var h = el('h2');
      h.appendChild(el('span', 'name', t.name));
      var r = t.lastRun;
      var state = t.state === 'running' ? ['running', 'pill run'] : !r ? ['never run', 'pill muted'] : r.result === 'ok' ? ['ok', 'pill ok'] : ['failed', 'pill bad'];
      h.appendChild(el('span', state[1] + ' state', state[0]));
      sec.appendChild(h);
      var dl = el('dl');
      kv(dl, 'Last run', r ? when(r.finishedAt, now) + ', took ' + dur(r.durationMs) : '—');
      if (r) kv(dl, 'Result', r.copied + ' copied, ' + r.upToDate + ' up to date, ' + r.failed + ' failed, ' + r.skipped + ' skipped; ' + bytes(r.bytes) + ', ' + pullsText(r.pulls, r.pullsPlanned, r.pullsPlannedAtLeast), 'counts');
      if (r && r.error) kv(dl, 'Error', r.error, 'err');
      kv(dl, 'Last success', when(t.lastSuccessAt, now));
      kv(dl, 'Next run', when(t.nextRunAt, now));
      if (t.lastSkip) kv(dl, 'Last skipped', when(t.lastSkip.at, now) + ': ' + t.lastSkip.reason);
      if (t.budget) kv(dl, 'Pull budget', budgetText(t.budget, now));
      if (t.currentRun) {
        var c = t.currentRun;
        kv(dl, 'Running since', when(c.startedAt, now) + (c.planned ? ', ' + c.done + ' of ' + c.planned.images + ' images done' : ', ' + c.done + ' images done'));
        kv(dl, 'Pulls', pullsText(c.pullsSpent, c.planned && c.planned.pullsNeeded, c.planned && c.planned.pullsEstimated), 'pulls');
      }
      sec.appendChild(dl);
      if (t.inFlight.length) {
        var fl = el('table', 'inflight');
        row(fl, ['Copying', 'to', 'progress'], true);
        t.inFlight.forEach(function (f) {
          row(fl, [f.source, f.target, bytes(f.bytes) + (f.totalBytes ? ' of ' + bytes(f.totalBytes) : '')]);
        });
        sec.appendChild(fl);
      }
      if (r && r.mappings.length) {
        var mt = el('table', 'mappings');
        row(mt, ['Mapping', 'copied', 'up to date', 'failed', 'skipped', 'bytes'], true);
        r.mappings.forEach(function (m) {
          row(mt, ['#' + (m.mapping + 1), m.copied, m.upToDate, m.failed, m.skipped, bytes(m.bytes)]);
        });
        sec.appendChild(mt);
      }
      if (r && r.errors.length) {
        var ul = el('ul', 'errors');
        r.errors.forEach(function (e) {
          var li = el('li');
          li.appendChild(el('code', null, e.source + ' → ' + e.target));
          li.appendChild(document.createTextNode(': ' + e.message));
          ul.appendChild(li);
        });
        sec.appendChild(ul);
      }
      root.appendChild(sec);
    });
    var bt = document.getElementById('budgets');
    bt.replaceChildren();
    if (st.budgets.length) {
      var tb = el('table');
      row(tb, ['Registry', 'identity', 'budget', 'waits', 'updated'], true);
      st.budgets.forEach(function (b) { row(tb, [b.registry, b.identity, budgetText(b, now), b.waits, ago(b.updatedAt, now)]); });
      bt.appendChild(el('h2', null, 'Rate-limit budgets'));
      bt.appendChild(tb);
    }
    document.getElementById('updated').textContent = 'updated ' + new Date(now).toLocaleTimeString();
    document.getElementById('updated').className = 'muted';
  }
  function poll() {
    fetch('status', { cache: 'no-store' })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(render)
      .catch(function (e) {
        var u = document.getElementById('updated');
        u.textContent = 'cannot reach ferry: ' + e.message;
        u.className = 'err';
      })
      .then(function () { setTimeout(poll, REFRESH_MS); });
  }
  poll();
})();
`;

const STYLE = `
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f6f7f9;color:#1d2430}
header{background:#1d2430;color:#fff;padding:14px 24px;display:flex;align-items:baseline;gap:16px}
header h1{font-size:20px;margin:0}
header .muted{color:#c3cad5}
main{padding:16px 24px;max-width:1100px}
#summary{display:flex;gap:8px;flex-wrap:wrap;margin-bottom:12px}
.pill{display:inline-block;padding:2px 10px;border-radius:999px;background:#e4e7ec;font-size:13px}
.pill.ok{background:#d3f3dc;color:#0f5b26}.pill.bad{background:#fbd9d7;color:#8a1c14}.pill.run{background:#d8e6fd;color:#123f86}
.muted{color:#6b7280}
section.task{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:12px 16px;margin-bottom:14px}
section.task h2{font-size:17px;margin:0 0 8px;display:flex;gap:10px;align-items:center}
dl{display:grid;grid-template-columns:140px 1fr;gap:2px 12px;margin:0 0 8px}
dt{color:#6b7280}dd{margin:0;overflow-wrap:anywhere}
table{border-collapse:collapse;margin:6px 0;font-size:14px}
th,td{border-bottom:1px solid #e6e9ee;padding:3px 10px 3px 0;text-align:left;overflow-wrap:anywhere}
th{color:#6b7280;font-weight:600}
.err{color:#a3160c}
ul.errors{margin:6px 0;padding-left:18px;color:#a3160c}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:13px;color:#1d2430}
`;

export const STATUS_PAGE_SCRIPT_HASH = `sha256-${createHash('sha256').update(SCRIPT).digest('base64')}`;

export const STATUS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ferry status</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>ferry</h1><span id="updated" class="muted">loading…</span></header>
<main>
<div id="summary"></div>
<div id="tasks"><noscript>This page needs JavaScript; the same data is at <a href="status">/status</a>.</noscript></div>
<div id="budgets"></div>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;

/** Only the inline script (by hash) and same-origin fetches; nothing a task name could smuggle in would run. */
export const STATUS_PAGE_CSP = `default-src 'none'; script-src '${STATUS_PAGE_SCRIPT_HASH}'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
