// 10-admin.mjs: the admin API and bronzectl against the real daemon: Flink
// response shapes, job ids stable across a restart, error shapes (404, 405,
// 413, 401), the bearer token, probes, no secret in any reply or log, the
// runbook's curl | jq line, and SIGTERM.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { existsSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { tap } from './lib/tap.mjs';

const t = tap();
const builddir = process.env.BRONZE_BUILDDIR || process.cwd();
const BRONZED = process.env.BRONZED || path.join(builddir, 'src/bronzed');
const BRONZECTL = process.env.BRONZECTL || path.join(builddir, 'admin/bronzectl');
if (!existsSync(BRONZED) || !existsSync(BRONZECTL))
  t.skipAll(`needs ${BRONZED} and ${BRONZECTL}`);

const tmp = mkdtempSync(path.join(os.tmpdir(), 'bronze-admin-'));
const rnd = Math.random().toString(36).slice(2, 10);
const TOKEN = `tok-e2e-${rnd}-admin`;
const S3_SECRET = `sk-e2e-${rnd}-s3secret`;
const bodies = [];	// every reply body, checked for secrets at the end
const HEX32 = /^[0-9a-f]{32}$/;

function writeConfig(name, withToken) {
  const file = path.join(tmp, name);
  writeFileSync(file, [
    '# 10-admin.mjs test config',
    'admin.bind: 127.0.0.1',
    'admin.port: 0',
    withToken ? `admin.token: ${TOKEN}` : '',
    `state.dir: ${path.join(tmp, 'state')}`,
    'catalog.type: filesystem',
    // a warehouse that cannot be created: the jobs stay RESTARTING, so the
    // admin API is checked against one known, not-ready state
    'catalog.warehouse: /proc/bronzed-admin-test/warehouse',
    's3.access-key-id: AKIAE2ETEST',
    `s3.secret-access-key: ${S3_SECRET}`,
    'kafka.bootstrap.servers: 127.0.0.1:1',
    'job.binance.source.topic: binance.raw',
    'job.binance.sink.table: market_data.bronze_binance_trades',
    'job.kraken.source.topic: kraken.raw',
    'job.kraken.sink.table: market_data.bronze_kraken_trades',
    '',
  ].join('\n'));
  return file;
}

// Start the daemon; resolve once it logs its admin port (10 s at most).
function startDaemon(cfg) {
  const proc = spawn(BRONZED, ['-v', '-c', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const exited = new Promise((resolve) => proc.on('exit', (code, sig) => resolve({ code, sig })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no admin line in 10 s:\n${stderr}`)), 10000);
    proc.stderr.on('data', (d) => {
      stderr += d;
      const m = /admin API on http:\/\/(\S+):(\d+)\//.exec(stderr);
      if (m && (stderr.match(/restarting from the table/g) || []).length >= 2) {
        clearTimeout(timer);
        resolve({ proc, exited, port: Number(m[2]), stderr: () => stderr });
      }
    });
    exited.then((e) => reject(new Error(`daemon exited ${e.code}:\n${stderr}`)));
  });
}

// Wait for exit after SIGTERM; ms taken, or null past the limit.
async function stopDaemon(d, limit = 5000) {
  const t0 = Date.now();
  d.proc.kill('SIGTERM');
  const r = await Promise.race([d.exited, new Promise((res) => setTimeout(() => res(null), limit))]);
  if (r === null) { d.proc.kill('SIGKILL'); return { ms: null }; }
  return { ms: Date.now() - t0, code: r.code };
}

// One HTTP request; resolves { status, headers, text, json }.
function request(port, method, urlPath, { headers = {}, body, expectContinue } = {}) {
  return new Promise((resolve, reject) => {
    const h = { ...headers };
    if (body !== undefined) h['Content-Length'] = Buffer.byteLength(body);
    if (expectContinue) h.Expect = '100-continue';
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers: h, timeout: 10000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        bodies.push(text);
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    if (expectContinue) req.on('continue', () => req.end(body));
    else req.end(body);
  });
}

// Run bronzectl; resolves { code, stdout, stderr } (10 s at most).
function ctl(args, env = {}) {
  return new Promise((resolve) => {
    execFile(BRONZECTL, args, { timeout: 10000, env: { ...process.env, BRONZED_URL: '', BRONZED_TOKEN: '', ...env } },
      (err, stdout, stderr) => {
        bodies.push(stdout, stderr);
        resolve({ code: err ? (err.code ?? -1) : 0, stdout, stderr });
      });
  });
}

function sh(cmd) {
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', cmd], { timeout: 10000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (err.code ?? -1) : 0, stdout, stderr }));
  });
}

// A port nothing listens on.
function closedPort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const errorsShape = (r) => r.json && Array.isArray(r.json.errors) && r.json.errors.length >= 1 &&
  r.json.errors.every((e) => typeof e === 'string');

const auth = { Authorization: `Bearer ${TOKEN}` };
let firstIds;

async function checkOverview(port) {
  const r = await request(port, 'GET', '/overview', { headers: auth });
  t.eq(r.status, 200, '/overview 200');
  t.eq(r.headers['content-type'], 'application/json; charset=UTF-8', '/overview content type');
  t.eq(r.headers['access-control-allow-origin'], '*', '/overview CORS header');
  const o = r.json || {};
  t.eq([o.taskmanagers, o['slots-total'], o['slots-available'], o['jobs-running'],
    o['jobs-finished'], o['jobs-cancelled'], o['jobs-failed']], [1, 2, 0, 2, 0, 0, 0],
  '/overview counts: 1 TM, 2 slots, 2 non-terminal jobs');
  t.eq(o['flink-version'], '1.19.1', '/overview flink-version');
  t.ok(typeof o['flink-commit'] === 'string' && o['flink-commit'].length > 0, '/overview flink-commit is a string');
  t.ok(/^\d+\.\d+\.\d+/.test(o['bronzed-version']), '/overview bronzed-version', o['bronzed-version']);
  const v1 = await request(port, 'GET', '/v1/overview', { headers: auth });
  t.eq(v1.json && v1.json['slots-total'], 2, '/v1/overview same as /overview');
  const q = await request(port, 'GET', '/v1/jobs/overview?get=a%2Cb&mode=x', { headers: auth });
  t.ok(q.status === 200 && q.json.jobs.length === 2, 'a query string does not disturb routing', q.text);
}

async function checkJobs(port) {
  const r = await request(port, 'GET', '/jobs', { headers: auth });
  t.eq(r.status, 200, '/jobs 200');
  const jobs = (r.json && r.json.jobs) || [];
  t.eq(jobs.length, 2, '/jobs lists two jobs');
  t.ok(jobs.every((j) => HEX32.test(j.id)), '/jobs ids are 32 lower-case hex', JSON.stringify(jobs));
  t.ok(jobs.every((j) => j.status === 'RESTARTING'), '/jobs status RESTARTING', JSON.stringify(jobs));
  const ov = await request(port, 'GET', '/jobs/overview', { headers: auth });
  const details = (ov.json && ov.json.jobs) || [];
  const byName = Object.fromEntries(details.map((j) => [j.name, j]));
  t.eq(Object.keys(byName).sort(), ['binance', 'kraken'], '/jobs/overview names');
  t.eq(details.map((j) => j.jid).sort(), jobs.map((j) => j.id).sort(), '/jobs/overview jids = /jobs ids');
  const b = byName.binance || {};
  t.ok(b.state === 'RESTARTING' && b['end-time'] === -1 && typeof b['start-time'] === 'number' &&
    b['start-time'] > 1.6e12 && b.duration >= 0 && typeof b['last-modification'] === 'number',
  '/jobs/overview JobDetails fields', JSON.stringify(b));
  t.eq(b.tasks && Object.keys(b.tasks), ['total', 'created', 'scheduled', 'deploying', 'running', 'finished',
    'canceling', 'canceled', 'failed', 'reconciling', 'initializing'], '/jobs/overview tasks keys in Flink order');
  t.eq(b.tasks && [b.tasks.total, b.tasks.created], [1, 1], '/jobs/overview one created task');
  return Object.fromEntries(details.map((j) => [j.name, j.jid]));
}

async function checkJobDetails(port, ids) {
  const byName = await request(port, 'GET', '/jobs/binance', { headers: auth });
  const byId = await request(port, 'GET', `/v1/jobs/${ids.binance}`, { headers: auth });
  t.eq([byName.status, byId.status], [200, 200], '/jobs/<name> and /jobs/<id> 200');
  const strip = (j) => { const c = { ...j }; delete c.now; delete c.duration; delete c.vertices; return c; };
  t.eq(strip(byName.json || {}), strip(byId.json || {}), '/jobs/<name> and /jobs/<id> agree');
  const j = byId.json || {};
  t.eq([j.jid, j.name, j.state, j.isStoppable, j['end-time']], [ids.binance, 'binance', 'RESTARTING', false, -1],
    '/jobs/:id identity fields');
  t.eq(Object.keys(j.timestamps || {}), ['INITIALIZING', 'CREATED', 'RUNNING', 'FAILING', 'FAILED', 'CANCELLING',
    'CANCELED', 'FINISHED', 'RESTARTING', 'SUSPENDED', 'RECONCILING'], '/jobs/:id timestamps per JobStatus');
  t.ok(j.timestamps && j.timestamps.CREATED > 0 && j.timestamps.RUNNING === 0, '/jobs/:id CREATED time set, RUNNING 0');
  const v = (j.vertices || [])[0] || {};
  t.ok(j.vertices && j.vertices.length === 1 && HEX32.test(v.id) && v.parallelism === 1 &&
    v.status === 'CREATED' && /binance\.raw/.test(v.name) && v.metrics && v.metrics['write-records'] === 0,
  '/jobs/:id one source->sink vertex', JSON.stringify(v));
  t.eq(j['status-counts'] && j['status-counts'].CREATED, 1, '/jobs/:id status-counts');
  t.ok(j.plan && j.plan.jid === ids.binance && j.plan.nodes.length === 1 && j.plan.nodes[0].id === v.id,
    '/jobs/:id plan names the vertex');
  const st = await request(port, 'GET', `/jobs/${ids.kraken}/status`, { headers: auth });
  t.eq([st.status, st.json], [200, { status: 'RESTARTING' }], '/jobs/:id/status');
}

async function checkConfigAndTm(port) {
  const r = await request(port, 'GET', '/config', { headers: auth });
  const c = r.json || {};
  t.eq(r.status, 200, '/config 200');
  t.eq([c['refresh-interval'], c['flink-version'], typeof c['timezone-name'], typeof c['timezone-offset']],
    [3000, '1.19.1', 'string', 'number'], '/config DashboardConfiguration fields');
  t.eq(c.features, { 'web-submit': false, 'web-cancel': true, 'web-rescale': false, 'web-history': false },
    '/config features');
  const s = c.bronzed || {};
  t.eq([s['s3.secret-access-key'], s['admin.token']], ['******', '******'], '/config redacts secrets');
  t.eq(s['admin.port'], '0', '/config shows settings (admin.port)');
  t.ok(typeof s['job.kraken.source.topic'] === 'string', '/config shows job settings', JSON.stringify(s));
  const tm = await request(port, 'GET', '/taskmanagers', { headers: auth });
  const tms = (tm.json && tm.json.taskmanagers) || [];
  t.ok(tm.status === 200 && tms.length === 1 && tms[0].slotsNumber === 2 && tms[0].hardware.cpuCores >= 1,
    '/taskmanagers: one TM with a slot per job', tm.text);
}

async function checkErrors(port) {
  let r = await request(port, 'GET', '/no/such/route', { headers: auth });
  t.eq([r.status, r.json], [404, { errors: ['Not found: /no/such/route'] }], '404 unknown route, Flink shape');
  r = await request(port, 'GET', '/v1/jobs/nosuchjob', { headers: auth });
  t.eq([r.status, r.json], [404, { errors: ['Job nosuchjob not found'] }], '404 unknown job');
  r = await request(port, 'GET', '/jobs/0123456789abcdef0123456789abcdef/status', { headers: auth });
  t.eq([r.status, r.json], [404, { errors: ['Job 0123456789abcdef0123456789abcdef not found'] }],
    '404 unknown job id under /jobs/:id/status');
  r = await request(port, 'DELETE', '/jobs', { headers: auth });
  t.ok(r.status === 405 && r.headers.allow === 'GET' && errorsShape(r), '405 with Allow and errors',
    `${r.status} ${r.headers.allow} ${r.text}`);
  const big = 'x'.repeat(1 << 20);
  r = await request(port, 'POST', '/jobs/binance/savepoints', { headers: auth, body: big });
  t.ok(r.status === 413 && errorsShape(r), '413 for a 1 MB POST body', `${r.status} ${r.text}`);
  r = await request(port, 'POST', '/jobs/binance/savepoints', { headers: auth, body: big, expectContinue: true });
  t.ok(r.status === 413 && errorsShape(r), '413 before the body with Expect: 100-continue', `${r.status} ${r.text}`);
  r = await request(port, 'GET', '/jobs', { headers: auth });
  t.eq(r.status, 200, 'server still answers after 413s');
}

async function checkAuth(port) {
  let r = await request(port, 'GET', '/jobs');
  t.eq([r.status, r.json, r.headers['www-authenticate']], [401, { errors: ['Unauthorized'] }, 'Bearer'],
    '401 without a token, WWW-Authenticate: Bearer');
  r = await request(port, 'GET', '/jobs', { headers: { Authorization: `Bearer ${TOKEN}x` } });
  t.eq(r.status, 401, '401 with a wrong token');
  r = await request(port, 'GET', '/nope', { headers: { Authorization: 'Bearer nope' } });
  t.eq(r.status, 401, '401 before routing (unknown route, wrong token)');
  r = await request(port, 'GET', '/jobs', { headers: auth });
  t.eq(r.status, 200, '200 with the right token');
  r = await request(port, 'GET', '/healthz');
  t.eq([r.status, r.json], [200, { status: 'ok' }], '/healthz 200 without a token');
  r = await request(port, 'GET', '/');
  t.ok(r.status === 200 && /^text\/html/.test(r.headers['content-type']), 'GET / (the web UI) 200 without a token');
  r = await request(port, 'GET', '/ui/app.js');
  t.eq(r.status, 200, 'GET /ui/app.js 200 without a token');
  r = await request(port, 'POST', '/');
  t.eq(r.status, 401, 'POST / needs the token');
  r = await request(port, 'GET', '/readyz');
  t.eq(r.status, 401, '/readyz needs the token');
  r = await request(port, 'GET', '/readyz', { headers: auth });
  t.ok(r.status === 503 && r.json && r.json.status === 'not ready' &&
    r.json.reasons.includes('job binance is RESTARTING') && r.json.reasons.includes('job kraken is RESTARTING') &&
    JSON.stringify(r.json.errors) === JSON.stringify(r.json.reasons),
  '/readyz 503 with reasons (also as errors)', r.text);
}

async function checkCtl(port, ids) {
  const url = `http://127.0.0.1:${port}`;
  let r = await ctl(['-u', url, '--token', TOKEN, 'jobs']);
  const lines = r.stdout.trim().split('\n');
  t.ok(r.code === 0 && /^ID\s+NAME\s+STATE\s+START\s+DURATION$/.test(lines[0]) && lines.length === 3,
    'bronzectl jobs: header and two rows', r.stdout + r.stderr);
  t.ok(lines.some((l) => l.startsWith(ids.binance) && /\bbinance\b.*\bRESTARTING\b/.test(l)) &&
    lines.some((l) => l.startsWith(ids.kraken) && /\bkraken\b/.test(l)), 'bronzectl jobs rows', r.stdout);
  r = await ctl(['-u', url, 'status'], { BRONZED_TOKEN: TOKEN });
  t.ok(r.code === 0 && /Flink REST API 1\.19\.1/.test(r.stdout) && /jobs by state: RESTARTING 2/.test(r.stdout) &&
    r.stdout.includes(ids.kraken), 'bronzectl status (token from BRONZED_TOKEN)', r.stdout + r.stderr);
  r = await ctl(['--token', TOKEN, 'health'], { BRONZED_URL: url });
  t.ok(r.code === 1 && /not ready/.test(r.stdout) && /job kraken is RESTARTING/.test(r.stdout),
    'bronzectl health: exit 1, reasons (URL from BRONZED_URL)', `${r.code} ${r.stdout}${r.stderr}`);
  r = await ctl(['-u', url, '--token', TOKEN, '--json', 'jobs']);
  let parsed;
  try { parsed = JSON.parse(r.stdout); } catch { parsed = null; }
  t.ok(r.code === 0 && parsed && parsed.jobs.length === 2, 'bronzectl --json jobs parses as JSON', r.stdout);
  r = await ctl(['-u', url, 'jobs']);
  t.ok(r.code === 1 && /HTTP 401: Unauthorized/.test(r.stderr), 'bronzectl without token: HTTP 401, exit 1',
    `${r.code} ${r.stderr}`);
  const dead = await closedPort();
  r = await ctl(['-u', `http://127.0.0.1:${dead}`, '-t', '3', 'health']);
  t.ok(r.code === 2 && /cannot reach bronzed/.test(r.stderr), 'bronzectl health on a closed port: exit 2',
    `${r.code} ${r.stderr}`);
}

try {
  const d1 = await startDaemon(writeConfig('with-token.conf', true));
  t.ok(d1.port > 0, `daemon up, admin port ${d1.port} from its log line`);
  await checkAuth(d1.port);
  await checkOverview(d1.port);
  firstIds = await checkJobs(d1.port);
  await checkJobDetails(d1.port, firstIds);
  await checkConfigAndTm(d1.port);
  await checkErrors(d1.port);
  await checkCtl(d1.port, firstIds);
  const s1 = await stopDaemon(d1);
  t.ok(s1.ms !== null && s1.code === 0, `SIGTERM: exit 0 in ${s1.ms} ms (limit 5000)`, d1.stderr());
  t.ok(/admin: GET \/jobs 200/.test(d1.stderr()), 'requests logged at debug level');
  t.ok(!d1.stderr().includes(TOKEN) && !d1.stderr().includes(S3_SECRET), 'no secret in the daemon log');

  // Restart without a token: same ids; the runbook line works unchanged.
  const d2 = await startDaemon(writeConfig('no-token.conf', false));
  const r = await request(d2.port, 'GET', '/jobs');
  const ids2 = Object.fromEntries(((r.json && r.json.jobs) || []).map((j) => [j.id, j.status]));
  t.eq(Object.keys(ids2).sort(), Object.values(firstIds).sort(), 'job ids stable across a restart');
  const url = `http://127.0.0.1:${d2.port}`;
  if (existsSync('/usr/bin/jq')) {
    const out = await sh(`curl -s ${url}/jobs | jq '.jobs[] | {id, status}'`);
    const objs = JSON.parse('[' + out.stdout.trim().replace(/}\s*{/g, '},{') + ']');
    t.eq(objs, [{ id: firstIds.binance, status: 'RESTARTING' }, { id: firstIds.kraken, status: 'RESTARTING' }],
      "runbook: curl -s URL/jobs | jq '.jobs[] | {id, status}'");
  }
  const h = await ctl(['-u', url, 'health']);
  t.eq(h.code, 1, 'bronzectl health without auth configured: exit 1 (not ready)');
  const s2 = await stopDaemon(d2);
  t.ok(s2.ms !== null && s2.code === 0, `second SIGTERM: exit 0 in ${s2.ms} ms`);

  const leaks = bodies.filter((b) => b.includes(TOKEN) || b.includes(S3_SECRET));
  t.ok(bodies.length > 30 && leaks.length === 0, `no secret in any of ${bodies.length} replies and CLI outputs`,
    leaks.join('\n---\n'));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
await t.done();
