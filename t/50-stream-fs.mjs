// 50-stream-fs.mjs: the streaming core end to end: the real daemon, two
// jobs, librdkafka's mock cluster, a filesystem warehouse.  Every record
// produced must be in its table exactly once (icebird reads the tables),
// through a clean stop, kill -9 restarts while producing, and a deleted
// state directory; and a record produced while the daemon runs is
// committed within a few checkpoint intervals.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tap } from './lib/tap.mjs';
import { dep, haveDeps } from './lib/deps.mjs';
import { installFileFetch } from './lib/filefetch.mjs';
import { startDaemon } from './lib/daemon.mjs';
import { haveMockKafka, startMockKafka } from './lib/mockkafka.mjs';

const t = tap();
if (!haveDeps()) t.skipAll('test readers not installed (npm ci in t/)');
if (!haveMockKafka()) t.skipAll('bronze-mockkafka not built');
installFileFetch();
const icebird = await dep('icebird');
const srcdir = process.env.BRONZE_SRCDIR || '.';
const KILLS = Number(process.env.BRONZE_KILLS || 4);
const dir = mkdtempSync(path.join(os.tmpdir(), 'bronze-stream-'));
process.on('exit', () => { if (!process.env.BRONZE_KEEP_TMP) rmSync(dir, { recursive: true, force: true }); });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const mk = await startMockKafka({ brokers: 1, topics: [
  { name: 'binance.raw', partitions: 4 }, { name: 'kraken.raw', partitions: 2 }] });
const produced = { 'binance.raw': [], 'kraken.raw': [] };
const tables = { 'binance.raw': 'bronze_binance_trades', 'kraken.raw': 'bronze_kraken_trades' };
let batch = 0;

// Produce a file of unique lines (so the multiset check is exact).
async function produce(topic, lines) {
  const f = path.join(dir, `batch-${batch++}.jsonl`);
  writeFileSync(f, lines.join('\n') + '\n');
  const r = await mk.cmd(`produce ${topic} ${f}`);
  if (r !== `OK ${lines.length}`) throw new Error(`produce: ${r}`);
  produced[topic].push(...lines);
}
const sample = (name) => readFileSync(path.join(srcdir, 'contrib/data', name), 'utf8').trim().split('\n');
const tag = (lines, b) => lines.map((l, i) => l.replace(/^\{/, `{"_b":${b},"_i":${i},`));

const config = {
  'state.dir': path.join(dir, 'state'),
  'catalog.warehouse': path.join(dir, 'warehouse'),
  'checkpoint.interval': '1s',
  'kafka.bootstrap.servers': mk.bootstrap,
  'kafka.session.timeout.ms': '6000',
  'kafka.heartbeat.interval.ms': '1000',
  'job.binance.source.topic': 'binance.raw',
  'job.binance.sink.table': 'market_data.bronze_binance_trades',
  'job.kraken.source.topic': 'kraken.raw',
  'job.kraken.sink.table': 'market_data.bronze_kraken_trades',
};
const tableUrl = (topic) => `file://${path.join(dir, 'warehouse/market_data', tables[topic])}`;

// Committed offsets of a table's newest snapshot: sum over partitions.
async function committed(topic) {
  try {
    const m = await icebird.icebergMetadata({ tableUrl: tableUrl(topic) });
    const s = m.snapshots.find((x) => x['snapshot-id'] === m['current-snapshot-id']) || m.snapshots.at(-1);
    if (!s) return 0;
    const o = JSON.parse(s.summary['bronzed.kafka-offsets'])[topic] || {};
    return Object.values(o).reduce((a, b) => a + Number(b), 0);
  } catch { return 0; }
}
async function waitCommitted(ms) {
  const end = Date.now() + ms;
  for (;;) {
    const done = await Promise.all(Object.keys(produced).map(async (tp) => (await committed(tp)) >= produced[tp].length));
    if (done.every(Boolean)) return true;
    if (Date.now() > end) return false;
    await sleep(250);
  }
}
// Every produced record once, nothing else: per topic.
async function checkExactlyOnce(what) {
  for (const topic of Object.keys(produced)) {
    const rows = await icebird.icebergRead({ tableUrl: tableUrl(topic) });
    const keys = new Set(rows.map((r) => `${r.kafka_partition}/${r.kafka_offset}`));
    const got = rows.map((r) => r.raw_value).sort();
    const want = [...produced[topic]].sort();
    t.eq([rows.length, keys.size], [want.length, want.length], `${what}: ${topic}: ${want.length} rows, each offset once`);
    t.ok(got.length === want.length && got.every((v, i) => v === want[i]),
      `${what}: ${topic}: raw values equal the produced records`);
  }
}

await produce('binance.raw', tag(sample('binance-trades.jsonl'), 0));
await produce('kraken.raw', tag(sample('kraken-trades.jsonl'), 0));

// 1. a clean run: everything lands, SIGTERM exits 0
let d = await startDaemon({ config });
t.ok(await waitCommitted(60000), 'both jobs commit every produced record');
const jobs = (await d.fetchJson('/jobs')).body.jobs;
t.eq(jobs.map((j) => j.status), ['RUNNING', 'RUNNING'], 'both jobs RUNNING');
// 2. freshness: one record produced while running
const t0 = Date.now();
await produce('kraken.raw', [`{"_fresh":${t0}}`]);
t.ok(await waitCommitted(15000), 'a record produced while running is committed');
const fresh = Date.now() - t0;
t.diag(`produce-to-committed: ${fresh} ms (checkpoint.interval 1s)`);
t.ok(fresh < 4000, `committed within a few checkpoint intervals (${fresh} ms)`);
t.eq(await d.stop(), 0, 'SIGTERM: exit 0 after the final checkpoint');
await checkExactlyOnce('clean run');

// 3. kill -9 at random moments while producing
for (let k = 0; k < KILLS; k++) {
  d = await startDaemon({ config });
  await produce('binance.raw', tag(sample('binance-trades.jsonl').slice(0, 500), k + 1));
  await produce('kraken.raw', tag(sample('kraken-trades.jsonl').slice(0, 300), k + 1));
  await sleep(500 + Math.floor(Math.random() * 2500));
  d.proc.kill('SIGKILL');
  await d.exited;
}
d = await startDaemon({ config });
t.ok(await waitCommitted(90000), `after ${KILLS} kill -9 restarts: everything committed`);
t.eq(await d.stop(), 0, 'clean stop after the kills');
await checkExactlyOnce(`after ${KILLS} kill -9`);

// 4. the state directory deleted: the table alone drives recovery
rmSync(path.join(dir, 'state'), { recursive: true, force: true });
d = await startDaemon({ config });
await produce('binance.raw', tag(sample('binance-trades.jsonl').slice(0, 200), 99));
t.ok(await waitCommitted(60000), 'state dir deleted: new records committed');
t.eq(await d.stop(), 0, 'clean stop');
await checkExactlyOnce('state dir deleted');
await mk.stop();
await t.done();
