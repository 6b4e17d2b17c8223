// app.js: bronzed's web UI. Polls the admin API (the Flink-shaped JSON of
// /jobs/overview, /jobs/:id, /jobs/:id/checkpoints, /jobs/:id/metrics,
// /jobs/:id/exceptions) every 2 s, keeps 10 minutes of records-in samples
// per job for the throughput charts, and drives checkpoints, savepoints,
// stop and cancel. Text from the API only ever goes in through textContent.
'use strict';

const POLL_MS = 2000;
const WINDOW_MS = 10 * 60 * 1000;
const TOKEN_KEY = 'bronzed.token';
const METRICS = 'numRecordsIn,numRecordsInPerSecond,uptime,freshness';

const $ = (id) => document.getElementById(id);
const jobs = new Map();		// jid -> { overview, details, ckpts, metrics, samples }
let selected = decodeURIComponent((location.hash.match(/^#job=(.+)$/) || [])[1] || '');
let lastOk = 0;
let busy = false;

// ---- the admin API ----

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

let asking = null;		// the one token prompt in progress
let tokenRefused = false;	// the token entered was refused: stop asking

// After a 401 with token `used`: true if a (new) token is there to retry.
function askToken(used) {
  const now = sessionStorage.getItem(TOKEN_KEY);
  if (now && now !== used) return Promise.resolve(true);
  if (used) { sessionStorage.removeItem(TOKEN_KEY); tokenRefused = true; }
  if (tokenRefused) return Promise.resolve(false);
  asking ??= new Promise((resolve) => setTimeout(() => {
    const t = window.prompt('This bronzed asks for its admin token (admin.token):');
    asking = null;
    if (t && t.trim()) sessionStorage.setItem(TOKEN_KEY, t.trim());
    else tokenRefused = true;
    resolve(!!(t && t.trim()));
  }, 0));
  return asking;
}

async function api(path, { method = 'GET', body } = {}) {
  for (let retried = false; ; retried = true) {
    const token = sessionStorage.getItem(TOKEN_KEY);
    const headers = { Accept: 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res;
    try {
      res = await fetch(path, { method, headers, cache: 'no-store',
        body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError(0, 'the daemon is unreachable');
    }
    if (res.status === 401 && !retried && await askToken(token)) continue;
    let json = null;
    try { json = await res.json(); } catch { /* not JSON */ }
    if (!res.ok)
      throw new ApiError(res.status, (json && json.errors && json.errors[0]) ||
        `HTTP ${res.status}`);
    return json;
  }
}

const jobPath = (jid, rest = '') => `jobs/${encodeURIComponent(jid)}${rest}`;

// ---- formatting ----

const num = (v) => (typeof v === 'number' && v >= 0 ? v.toLocaleString('en-US') : '–');

function rate(v) {
  if (typeof v !== 'number' || !(v >= 0)) return '–';
  return `${v.toLocaleString('en-US', { maximumFractionDigits: v < 10 ? 1 : 0 })}/s`;
}

function duration(ms) {
  if (typeof ms !== 'number' || ms < 0) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  let s = Math.floor(ms / 1000);
  const parts = [[86400, 'd'], [3600, 'h'], [60, 'm'], [1, 's']].map(([n, u]) => {
    const q = Math.floor(s / n);
    s -= q * n;
    return q ? `${q}${u}` : '';
  }).filter(Boolean);
  return parts.slice(0, 2).join(' ');
}

function bytes(n) {
  if (typeof n !== 'number' || n < 0) return '–';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  for (; n >= 1000 && i < units.length - 1; i++) n /= 1000;
  return `${n.toLocaleString('en-US', { maximumFractionDigits: i ? 1 : 0 })} ${units[i]}`;
}

const clock = (ms) => (ms > 0 ? new Date(ms).toLocaleTimeString() : '–');

// <tag class=...>children</tag>; strings become text nodes.
function el(tag, cls, ...children) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function stateBadge(e, state, prefix = 'state') {
  e.textContent = state || '?';
  e.className = 'state';
  if (/^[A-Z_]+$/.test(state || '')) e.classList.add(`${prefix}-${state.toLowerCase()}`);
  return e;
}

// The newest of the last completed and the last failed checkpoint.
function lastCheckpoint(ckpts) {
  const l = (ckpts && ckpts.latest) || {};
  const c = l.completed, f = l.failed;
  return c && f ? (f.id > c.id ? f : c) : c || f || null;
}

function checkpointText(cp) {
  if (!cp) return 'none yet';
  return `#${cp.id} ${cp.status} · ${duration(cp.end_to_end_duration)} · ${bytes(cp.checkpointed_size)}`;
}

const metric = (m, id) => {
  const v = (m || []).find((x) => x.id === id);
  return v ? Number(v.value) : NaN;
};

function totalLag(details) {
  const known = ((details && details.partitions) || []).filter((p) => p.lag >= 0);
  return known.length ? known.reduce((a, p) => a + p.lag, 0) : -1;
}

// ---- the throughput chart ----

// Records per second between consecutive samples, within the window.
function ratePoints(samples) {
  const pts = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1], b = samples[i];
    if (b.t > a.t) pts.push({ t: b.t, v: Math.max(0, (b.n - a.n) * 1000 / (b.t - a.t)) });
  }
  return pts;
}

function niceMax(v) {
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= v);
}

function drawChart(canvas, samples, axes) {
  const w = canvas.clientWidth, h = canvas.clientHeight;
  if (!w || !h) return;
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const c = canvas.getContext('2d');
  c.scale(dpr, dpr);
  const st = getComputedStyle(canvas);
  // the last 10 minutes, or since the first sample (1 minute at least)
  const pts = ratePoints(samples), now = Date.now();
  const span = Math.min(WINDOW_MS, Math.max(60000, now - (samples.length ? samples[0].t : now)));
  const t0 = now - span;
  const shown = pts.filter((p) => p.t >= t0);
  const max = niceMax(Math.max(1, ...shown.map((p) => p.v)));
  const pad = axes ? { l: 56, r: 10, t: 10, b: 22 } : { l: 1, r: 1, t: 3, b: 1 };
  const x = (t) => pad.l + (t - t0) / span * (w - pad.l - pad.r);
  const y = (v) => h - pad.b - v / max * (h - pad.t - pad.b);
  c.lineWidth = 1;
  c.strokeStyle = st.borderTopColor;
  c.fillStyle = st.borderTopColor;
  c.font = '11px system-ui, sans-serif';
  for (const f of axes ? [0, 0.5, 1] : [0]) {
    c.beginPath(); c.moveTo(pad.l, y(f * max)); c.lineTo(w - pad.r, y(f * max)); c.stroke();
    if (axes) {
      c.fillStyle = st.color;
      c.textAlign = 'right'; c.textBaseline = 'middle';
      c.fillText(rate(f * max), pad.l - 6, y(f * max));
    }
  }
  if (axes) {
    c.textBaseline = 'top';
    const ago = (ms) => (ms >= 60000 ? `−${Math.round(ms / 60000)} min` : `−${Math.round(ms / 1000)} s`);
    [[t0, 'left', ago(span)], [now - span / 2, 'center', ago(span / 2)], [now, 'right', 'now']]
      .forEach(([t, a, s]) => { c.textAlign = a; c.fillText(s, x(t), h - pad.b + 5); });
  }
  if (!shown.length) return;
  c.beginPath();
  shown.forEach((p, i) => (i ? c.lineTo(x(p.t), y(p.v)) : c.moveTo(x(p.t), y(p.v))));
  c.strokeStyle = st.color;
  c.lineWidth = 1.6;
  c.stroke();
  c.lineTo(x(shown[shown.length - 1].t), y(0));
  c.lineTo(x(shown[0].t), y(0));
  c.closePath();
  c.globalAlpha = 0.15;
  c.fillStyle = st.color;
  c.fill();
  c.globalAlpha = 1;
}

// ---- polling ----

async function pollJob(jid) {
  const j = jobs.get(jid);
  const [details, ckpts, metrics] = await Promise.allSettled([
    api(jobPath(jid)), api(jobPath(jid, '/checkpoints')),
    api(jobPath(jid, `/metrics?get=${METRICS}`))]);
  if (details.status === 'fulfilled') j.details = details.value;
  if (ckpts.status === 'fulfilled') j.ckpts = ckpts.value;
  if (metrics.status === 'fulfilled') {
    j.metrics = metrics.value;
    const n = metric(j.metrics, 'numRecordsIn');
    if (n >= 0) j.samples.push({ t: Date.now(), n });
    while (j.samples.length && j.samples[0].t < Date.now() - WINDOW_MS - POLL_MS)
      j.samples.shift();
  }
  if (jid === selectedJid()) {
    try { j.exceptions = await api(jobPath(jid, '/exceptions?maxExceptions=10')); } catch { /* kept */ }
  }
}

function selectedJid() {
  for (const [jid, j] of jobs)
    if (jid === selected || j.overview.name === selected) return jid;
  return jobs.size ? jobs.keys().next().value : null;
}

async function poll() {
  try {
    const ov = await api('jobs/overview');
    const seen = new Set();
    for (const o of ov.jobs || []) {
      seen.add(o.jid);
      if (!jobs.has(o.jid)) jobs.set(o.jid, { samples: [] });
      jobs.get(o.jid).overview = o;
    }
    for (const jid of [...jobs.keys()]) if (!seen.has(jid)) jobs.delete(jid);
    await Promise.all([...jobs.keys()].map(pollJob));
    lastOk = Date.now();
    banner(null);
  } catch (e) {
    banner(e);
  }
  render();
  setTimeout(poll, POLL_MS);
}

function banner(err) {
  const b = $('banner');
  $('main').classList.toggle('stale', !!err && err.status === 0);
  $('token-button').hidden = !(err && err.status === 401);
  if (!err) { b.hidden = true; return; }
  const since = lastOk ? ` Showing data from ${clock(lastOk)}.` : '';
  $('banner-text').textContent = err.status === 0
    ? `Cannot reach bronzed at ${location.host}; retrying every ${POLL_MS / 1000} s.${since}`
    : err.status === 401 ? 'The admin API needs a valid token (admin.token).'
      : `The admin API answered ${err.status}: ${err.message}`;
  b.hidden = false;
}

// ---- rendering ----

function render() {
  $('updated').textContent = lastOk ? `updated ${clock(lastOk)}` : '';
  const cards = [...jobs.entries()].map(([jid, j]) => jobCard(jid, j));
  if (cards.length) $('jobs').replaceChildren(...cards);
  else if (lastOk) $('jobs').replaceChildren(el('p', 'muted', 'No jobs configured.'));
  for (const cv of $('jobs').querySelectorAll('canvas'))
    drawChart(cv, jobs.get(cv.dataset.jid).samples, false);
  renderJob(selectedJid());
}

function jobCard(jid, j) {
  const o = j.overview, m = j.metrics;
  const a = el('a', jid === selectedJid() ? 'card selected' : 'card');
  a.href = `#job=${encodeURIComponent(o.name)}`;
  a.dataset.job = o.name;
  const fresh = metric(m, 'freshness');
  const rows = [
    ['Uptime', 'uptime', duration(metric(m, 'uptime') || (o.state === 'RUNNING' ? o.duration : -1))],
    ['Records in', 'records-in', num(metric(m, 'numRecordsIn'))],
    ['Rate', 'rate', rate(metric(m, 'numRecordsInPerSecond'))],
    ['Lag', 'lag', num(totalLag(j.details))],
    ['Freshness', 'freshness', fresh === 0 ? 'all committed' : duration(fresh * 1000)],
    ['Last checkpoint', 'checkpoint', checkpointText(lastCheckpoint(j.ckpts))],
  ];
  const dl = el('dl');
  for (const [label, field, value] of rows) {
    const dd = el('dd', null, value);
    dd.dataset.field = field;
    dl.append(el('dt', null, label), dd);
  }
  const cv = el('canvas', 'spark');
  cv.dataset.jid = jid;
  cv.setAttribute('aria-label', `${o.name} records per second, last 10 minutes`);
  a.append(el('h3', null, el('span', 'name', o.name), stateBadge(el('span'), o.state)), dl, cv);
  return a;
}

function row(cells) {
  return el('tr', null, ...cells.map((c) => el('td', null, c)));
}

function renderJob(jid) {
  const j = jid && jobs.get(jid);
  $('job').hidden = !j;
  if (!j) return;
  const o = j.overview, d = j.details || {};
  $('job-name').textContent = o.name;
  stateBadge($('job-state'), o.state);
  const v = (d.vertices || [])[0];
  $('job-what').textContent = `${jid}${v ? ` · ${v.name}` : ''}`;
  const running = o.state === 'RUNNING';
  for (const b of document.querySelectorAll('.actions button')) b.disabled = busy || !running;
  drawChart($('chart'), j.samples, true);
  const parts = (d.partitions || []).map((p) =>
    row([p.partition, num(p.offset), num(p.committed), num(p.high), num(p.lag)]));
  $('partitions').tBodies[0].replaceChildren(...(parts.length ? parts
    : [row(['no partitions assigned', '', '', '', ''])]));
  const c = j.ckpts || {};
  const k = c.counts || {};
  $('ckpt-counts').textContent = c.counts ? `${k.completed} completed, ${k.failed} failed, ` +
    `${k.in_progress} in progress` : '';
  $('history').tBodies[0].replaceChildren(...(c.history || []).map((cp) => {
    const tr = row([`#${cp.id}`, cp.checkpoint_type, '', clock(cp.trigger_timestamp),
      duration(cp.end_to_end_duration), bytes(cp.checkpointed_size), num(cp.records), num(cp.files)]);
    tr.cells[2].append(stateBadge(el('span'), cp.status, 'status'));
    return tr;
  }));
  renderExceptions(j.exceptions);
}

function renderExceptions(ex) {
  const list = (ex && ex.exceptionHistory && ex.exceptionHistory.entries) || [];
  $('exceptions').replaceChildren(...(list.length ? list.flatMap((e) => [
    el('div', null, el('strong', null, e.exceptionName), ` at ${new Date(e.timestamp).toLocaleString()}`),
    el('pre', null, e.stacktrace)]) : [el('p', 'muted', 'No exceptions.')]));
}

// ---- operations ----

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function opShow(kind, text, detail) {
  const r = $('op-result');
  r.hidden = false;
  r.className = `op ${kind}`;
  r.replaceChildren(el('span', null, text));
  if (detail) r.append(el('code', kind === 'ok' ? 'location' : 'cause', detail));
}

// Poll an asynchronous operation's status until COMPLETED or FAILED.
async function opWait(path) {
  for (const end = Date.now() + 10 * 60 * 1000; Date.now() < end; await sleep(500)) {
    const s = await api(path);
    const id = s && s.status && s.status.id;
    if (id === 'COMPLETED' || id === 'FAILED') return s.operation || {};
  }
  throw new ApiError(0, 'no outcome after 10 minutes');
}

async function operate(what, question, start) {
  const jid = selectedJid();
  const o = jid && jobs.get(jid).overview;
  if (!o || !window.confirm(question(o.name))) return;
  busy = true;
  render();
  try {
    opShow('', `${what} of ${o.name}: requested…`);
    const status = await start(jid);
    if (!status) {
      opShow('ok', `${what} of ${o.name}: requested.`);
      return;
    }
    opShow('', `${what} of ${o.name}: in progress…`);
    const op = await opWait(status);
    const cause = op['failure-cause'] || op.failureCause;
    if (cause) opShow('bad', `${what} of ${o.name} failed:`, cause['stack-trace'] || cause.class);
    else if (op.location) opShow('ok', `${what} of ${o.name} completed; savepoint at:`, op.location);
    else opShow('ok', `${what} of ${o.name} completed: checkpoint #${op.checkpointId}.`);
  } catch (e) {
    opShow('bad', `${what} of ${o.name} failed:`, e.message);
  } finally {
    busy = false;
    render();
  }
}

function target(key) {
  const dir = $('target').value.trim();
  return dir ? { [key]: dir } : {};
}
const where = () => $('target').value.trim() || 'the default directory (state.dir/savepoints)';

async function trigger(jid, path, body, status) {
  const r = await api(jobPath(jid, path), { method: 'POST', body });
  return jobPath(jid, `${status}/${encodeURIComponent(r['request-id'])}`);
}

function wire() {
  $('do-checkpoint').onclick = () => operate('Checkpoint',
    (n) => `Trigger a checkpoint of ${n} now?`,
    (jid) => trigger(jid, '/checkpoints', {}, '/checkpoints'));
  $('do-savepoint').onclick = () => operate('Savepoint',
    (n) => `Take a savepoint of ${n} into ${where()}?`,
    (jid) => trigger(jid, '/savepoints', { ...target('target-directory'), 'cancel-job': false },
      '/savepoints'));
  $('do-stop').onclick = () => operate('Stop with savepoint',
    (n) => `Stop ${n} with a savepoint into ${where()}? The job ends FINISHED.`,
    (jid) => trigger(jid, '/stop', target('targetDirectory'), '/savepoints'));
  $('do-cancel').onclick = () => operate('Cancel',
    (n) => `Cancel ${n}? It stops without a final checkpoint.`,
    (jid) => api(jobPath(jid, '?mode=cancel'), { method: 'PATCH' }).then(() => null));
  $('token-button').onclick = () => {
    tokenRefused = false;
    askToken(null);
  };
  window.addEventListener('hashchange', () => {
    selected = decodeURIComponent((location.hash.match(/^#job=(.+)$/) || [])[1] || '');
    render();
  });
  window.addEventListener('resize', render);
}

wire();
poll();
api('overview').then((o) => {
  if (o && o['bronzed-version']) $('version').textContent = `v${o['bronzed-version']}`;
}).catch(() => {});
