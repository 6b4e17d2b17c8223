// 50-stream-fs.mjs: the streaming core end to end at the scale:
// the real daemon, two jobs, librdkafka's mock cluster, a filesystem
// warehouse.  BRONZE_RECORDS records per job (default 100000) are
// produced in BRONZE_KILLS chunks (default 20), each while a daemon runs
// that is then killed with -9 at a random moment.  Every record must be in
// its table exactly once (icebird and DuckDB read the tables) after the
// kills, a clean stop and a deleted state directory; and a record produced
// while the daemon runs is committed within checkpoint.interval + 1 s.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { startDaemon } from './lib/daemon.mjs';
import { startMockKafka } from './lib/mockkafka.mjs';
import { ingest, fsTable, sample, sleep, tag, twoJobs, e2eSetup } from './lib/ingest.mjs';

const { t, icebird, duck, dir } = await e2eSetup('stream');
const KILLS = Number(process.env.BRONZE_KILLS || 20);
const RECORDS = Number(process.env.BRONZE_RECORDS || 100000);
t.diag(`${RECORDS} records per job, ${KILLS} kill -9`);

// ~250-byte records: 8 partitions keep each under the mock's 5 MB log.
const mk = await startMockKafka({ brokers: 1, topics: [
  { name: 'binance.raw', partitions: 8 }, { name: 'kraken.raw', partitions: 8 }] });
const config = {
  'state.dir': path.join(dir, 'state'),
  'catalog.warehouse': path.join(dir, 'warehouse'),
  ...twoJobs(mk),
};
const tableUrl = (name) => `file://${path.join(dir, 'warehouse/market_data', name)}`;
const { produce, waitCommitted, checkExactlyOnce } = ingest({ t, mk, dir, icebird, duck, tables: {
  'binance.raw': fsTable(icebird, tableUrl('bronze_binance_trades')),
  'kraken.raw': fsTable(icebird, tableUrl('bronze_kraken_trades')) } });

const lines = { 'binance.raw': sample('binance-trades.jsonl'), 'kraken.raw': sample('kraken-trades.jsonl') };
let batch = 0;
// n more unique records for topic, cycling through the sample messages.
async function more(topic, n) {
  const src = lines[topic], out = [];
  for (let i = 0; i < n; i++) out.push(src[(batch * 7919 + i) % src.length]);
  await produce(topic, tag(out, batch++));
}
const chunk = Math.ceil(RECORDS / (KILLS + 1));
const left = { 'binance.raw': RECORDS, 'kraken.raw': RECORDS };
async function produceChunk() {
  for (const tp of Object.keys(left)) {
    const n = Math.min(chunk, left[tp]);
    if (n > 0) await more(tp, n);
    left[tp] -= n;
  }
}

// 1. a clean run: everything lands, SIGTERM exits 0
await produceChunk();
let d = await startDaemon({ config });
t.ok(await waitCommitted(60000), 'both jobs commit every produced record');
const jobs = (await d.fetchJson('/jobs')).body.jobs;
t.eq(jobs.map((j) => j.status), ['RUNNING', 'RUNNING'], 'both jobs RUNNING');
// 2. freshness: a record produced while running, three probes
const fresh = [];
for (let i = 0; i < 3; i++) {
  const t0 = Date.now();
  await produce('kraken.raw', [`{"_fresh":${t0},"_n":${i}}`]);
  if (!await waitCommitted(15000)) break;
  fresh.push(Date.now() - t0);
  await sleep(300);
}
fresh.sort((x, y) => x - y);
t.diag(`produce-to-committed: ${fresh.join(', ')} ms (checkpoint.interval 1s)`);
t.ok(fresh.length === 3 && fresh[1] < 2000, `a record produced while running is committed within interval + 1 s (median ${fresh[1]} ms)`);
t.eq(await d.stop(), 0, 'SIGTERM: exit 0 after the final checkpoint');
await checkExactlyOnce('clean run');

// 3. kill -9 at random moments while producing
for (let k = 0; k < KILLS; k++) {
  d = await startDaemon({ config });
  await produceChunk();
  await sleep(300 + Math.floor(Math.random() * 2200));
  d.proc.kill('SIGKILL');
  await d.exited;
}
d = await startDaemon({ config });
t.ok(await waitCommitted(120000), `after ${KILLS} kill -9 restarts: everything committed`);
t.eq(await d.stop(), 0, 'clean stop after the kills');
await checkExactlyOnce(`${RECORDS} per job after ${KILLS} kill -9`);

// 4. the state directory deleted: the table alone drives recovery
rmSync(path.join(dir, 'state'), { recursive: true, force: true });
d = await startDaemon({ config });
await more('binance.raw', 200);
t.ok(await waitCommitted(60000), 'state dir deleted: new records committed');
t.eq(await d.stop(), 0, 'clean stop');
await checkExactlyOnce('state dir deleted');
await mk.stop();
await t.done();
