// 70-webui.mjs: the web UI in headless Chromium (Debian's chromium driven
// by playwright-core) against a running daemon with two jobs on the mock
// broker and an admin token.  GET / and /ui/* are open, embedded copies of
// admin/ui with a strict CSP; the page asks for the token once, shows both
// jobs RUNNING with records in, rate and last checkpoint, draws their
// throughput, lists a job's partitions, takes a savepoint whose _metadata
// exists, fits a phone's width, and shows a banner once the daemon is
// gone.  Screenshots go to t/artifacts/ in the build directory.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startDaemon } from './lib/daemon.mjs';
import { dep, nodeModules } from './lib/deps.mjs';
import { startMockKafka } from './lib/mockkafka.mjs';
import { e2eSetup, localTwoJobs, sample, sleep, tag, until } from './lib/ingest.mjs';

const chromiumPath = process.env.BRONZE_CHROMIUM || '/usr/bin/chromium';
const { t, icebird, dir } = await e2eSetup('webui');
if (!existsSync(chromiumPath)) t.skipAll('no chromium');
if (!existsSync(path.join(nodeModules, 'playwright-core')))
  t.skipAll('playwright-core not installed (npm ci in t/)');
const { chromium } = await dep('playwright-core');

const srcdir = process.env.BRONZE_SRCDIR || '.';
const artifacts = path.join(process.env.BRONZE_BUILDDIR || '.', 't/artifacts');
mkdirSync(artifacts, { recursive: true });
const TOKEN = 'webui-test-token';

const mk = await startMockKafka({ brokers: 1, topics: [
  { name: 'binance.raw', partitions: 2 }, { name: 'kraken.raw', partitions: 2 }] });
const { config, produce, waitCommitted } = localTwoJobs({ t, mk, dir, icebird, extra: { 'admin.token': TOKEN } });
await produce('binance.raw', tag(sample('binance-trades.jsonl').slice(0, 300), 0));
await produce('kraken.raw', tag(sample('kraken-trades.jsonl').slice(0, 200), 0));
const d = await startDaemon({ config });
const auth = { headers: { Authorization: `Bearer ${TOKEN}` } };

// ---- the files, over plain HTTP ----
let r = await d.fetchJson('/');
const h = r.headers;
t.eq([r.status, h['content-type'], h['cache-control'], h['x-content-type-options']],
  [200, 'text/html; charset=utf-8', 'no-cache', 'nosniff'], 'GET / without the token: the page, no-cache, nosniff');
t.ok(/(^|;)\s*default-src 'self'/.test(h['content-security-policy'] || ''),
  `GET /: Content-Security-Policy ${h['content-security-policy']}`);
t.eq(r.body, readFileSync(path.join(srcdir, 'admin/ui/index.html'), 'utf8'), 'GET /: admin/ui/index.html as built in');
for (const [f, type] of [['app.js', 'text/javascript'], ['style.css', 'text/css'], ['favicon.svg', 'image/svg+xml']]) {
  r = await d.fetchJson(`/ui/${f}`);
  t.ok(r.status === 200 && r.headers['content-type'].startsWith(type) &&
    r.body === readFileSync(path.join(srcdir, 'admin/ui', f), 'utf8'), `GET /ui/${f}: ${type}, the file's bytes`);
}
r = await d.fetchJson('/ui/nope.js');
t.eq([r.status, r.body], [404, { errors: ['Not found: /ui/nope.js'] }], 'unknown asset: 404 JSON error');
t.eq((await d.fetchJson('/jobs')).status, 401, 'the API itself still needs the token');

// ---- per-partition offsets and lag in GET /jobs/:id ----
t.ok(await waitCommitted(60000), 'both jobs commit what was produced');
const parts = await until(async () => {
  const p = (await d.fetchJson('/jobs/binance', auth)).body.partitions || [];
  const sum = (k) => p.reduce((a, x) => a + x[k], 0);
  return p.length === 2 && sum('offset') === 300 && sum('committed') === 300 &&
    p.every((x) => x.high >= x.offset && x.lag === x.high - x.offset) ? p : null;
});
t.ok(parts && parts.map((p) => p.partition).sort().join() === '0,1',
  'GET /jobs/binance: partitions 0 and 1 with offset, committed (300 in all), high and lag',
  JSON.stringify((await d.fetchJson('/jobs/binance', auth)).body.partitions));

// live traffic for the throughput figures and charts
const feed = (name, lines) => {
  const f = path.join(dir, `feed-${name}.jsonl`);
  writeFileSync(f, lines.join('\n') + '\n');
  return f;
};
t.eq(await mk.cmd(`trickle binance.raw ${feed('binance', sample('binance-trades.jsonl').slice(0, 200))} 40`),
  'OK trickle binance.raw 40/s', 'binance: 40 records/s');
t.eq(await mk.cmd(`trickle kraken.raw ${feed('kraken', sample('kraken-trades.jsonl').slice(0, 200))} 25`),
  'OK trickle kraken.raw 25/s', 'kraken: 25 records/s');

// ---- the page ----
const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
const dialogs = [], errors = [];
page.on('dialog', async (dlg) => {
  dialogs.push({ type: dlg.type(), message: dlg.message() });
  await (dlg.type() === 'prompt' ? dlg.accept(TOKEN) : dlg.accept());
});
page.on('console', (m) => { if (m.type() === 'error' && !/status of 401/.test(m.text())) errors.push(m.text()); });
page.on('pageerror', (e) => errors.push(String(e)));
await page.goto(`${d.url}/`);

const cards = () => page.evaluate(() => [...document.querySelectorAll('.card')].map((c) => ({
  name: c.querySelector('.name')?.textContent, state: c.querySelector('.state')?.textContent,
  ...Object.fromEntries([...c.querySelectorAll('dd')].map((dd) => [dd.dataset.field, dd.textContent])) })));
const number = (s) => Number(String(s).replace(/,/g, '').replace(/\/s$/, ''));
const live = await until(async () => {
  const c = await cards();
  return c.length === 2 && c.every((x) => x.state === 'RUNNING' && number(x['records-in']) > 0 &&
    number(x.rate) > 0 && /^#\d+ COMPLETED/.test(x.checkpoint)) ? c : null;
}, 60000);
t.ok(live, 'overview: both jobs RUNNING with records in, rate and a completed checkpoint',
  JSON.stringify(live || await cards()));
t.eq((live || []).map((x) => x.name).sort(), ['binance', 'kraken'], 'overview: both job names');
t.eq(dialogs.filter((x) => x.type === 'prompt').length, 1, 'the 401 asked for the token once');
t.eq(await page.evaluate(() => sessionStorage.getItem('bronzed.token')), TOKEN, 'token kept in sessionStorage');
for (const x of live || []) {
  t.ok(number(x['records-in']) >= (x.name === 'binance' ? 300 : 200) && number(x.rate) > 0,
    `${x.name}: records in ${x['records-in']}, rate ${x.rate}`);
  const id = Number(/^#(\d+)/.exec(x.checkpoint)[1]);
  const latest = (await d.fetchJson(`/jobs/${x.name}/checkpoints`, auth)).body.latest.completed.id;
  t.ok(id >= 1 && id <= latest, `${x.name}: last checkpoint ${x.checkpoint} (API: #${latest})`);
}

// throughput charts: wait for a few samples, then look for the drawn line
await sleep(7000);
const inked = await page.evaluate(() => [...document.querySelectorAll('canvas')].map((cv) => {
  const px = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
  let n = 0;
  for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++;
  return n / (cv.width * cv.height);
}));
t.ok(inked.length === 3 && inked.every((f) => f > 0.01), `three charts drawn (ink ${inked.map((f) => f.toFixed(3))})`);

// the job page: partitions, then a savepoint through the UI
await page.click('.card[data-job="binance"]');
await page.waitForFunction(() => document.getElementById('job-name').textContent === 'binance');
const rows = await page.$$eval('#partitions tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
t.ok(rows.length === 2 && rows.every((c) => /^\d[\d,]*$/.test(c[1]) && /^\d[\d,]*$/.test(c[4])),
  'job page: two partitions with offsets and lag', JSON.stringify(rows));
t.ok(await page.$$eval('#history tbody tr', (trs) => trs.length) >= 1, 'job page: checkpoint history');
const spDir = path.join(dir, 'ui-savepoints');
await page.fill('#target', spDir);
await page.click('#do-savepoint');
const loc = await page.waitForSelector('#op-result .location', { timeout: 60000 })
  .then((e) => e.textContent()).catch(() => null);
const confirm = dialogs.find((x) => x.type === 'confirm');
t.ok(confirm && confirm.message.includes(spDir), `the savepoint asked for confirmation: ${confirm?.message}`);
t.ok(loc && loc.startsWith(`file:${spDir}/savepoint-`), `the UI shows the savepoint location ${loc}`,
  await page.textContent('#op-result'));
t.ok(loc && existsSync(path.join(loc.slice('file:'.length), '_metadata')), 'its _metadata exists on disk');
await sleep(2500);
await page.screenshot({ path: path.join(artifacts, 'webui.png'), fullPage: true });
t.ok(existsSync(path.join(artifacts, 'webui.png')), `screenshot ${path.join(artifacts, 'webui.png')}`);

// a phone: one column, nothing wider than the screen
await page.setViewportSize({ width: 390, height: 844 });
await sleep(2500);
const fits = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
t.ok(fits, 'phone width: the page does not scroll sideways');
await page.screenshot({ path: path.join(artifacts, 'webui-phone.png'), fullPage: true });
t.eq(errors, [], 'no script errors or CSP violations in the console');

// the daemon gone: a banner says so
await mk.cmd('stop binance.raw');
await mk.cmd('stop kraken.raw');
t.eq(await d.stop(), 0, 'daemon stops cleanly');
const gone = await page.waitForSelector('#banner:not([hidden])', { timeout: 15000 })
  .then(() => page.textContent('#banner-text')).catch(() => null);
t.ok(gone && /Cannot reach bronzed/.test(gone), `banner: ${gone?.trim()}`);
await browser.close();
await mk.stop();
await t.done();
