// 50-stream-fs.mjs: the streaming core end to end: the real daemon, two
// jobs, librdkafka's mock cluster, a filesystem warehouse.  Every record
// produced must be in its table exactly once (icebird reads the tables),
// through a clean stop, kill -9 restarts while producing, and a deleted
// state directory; and a record produced while the daemon runs is
// committed within a few checkpoint intervals.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { startDaemon } from './lib/daemon.mjs';
import { startMockKafka } from './lib/mockkafka.mjs';
import { ingest, fsTable, sample, sleep, tag, twoJobs, e2eSetup } from './lib/ingest.mjs';

const { t, icebird, duck, dir } = await e2eSetup('stream');
const KILLS = Number(process.env.BRONZE_KILLS || 4);

const mk = await startMockKafka({ brokers: 1, topics: [
  { name: 'binance.raw', partitions: 4 }, { name: 'kraken.raw', partitions: 2 }] });
const config = {
  'state.dir': path.join(dir, 'state'),
  'catalog.warehouse': path.join(dir, 'warehouse'),
  ...twoJobs(mk),
};
const tableUrl = (name) => `file://${path.join(dir, 'warehouse/market_data', name)}`;
const { produce, waitCommitted, checkExactlyOnce } = ingest({ t, mk, dir, icebird, duck, tables: {
  'binance.raw': fsTable(icebird, tableUrl('bronze_binance_trades')),
  'kraken.raw': fsTable(icebird, tableUrl('bronze_kraken_trades')) } });

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
