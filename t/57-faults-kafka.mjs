// 57-faults-kafka.mjs: Kafka misbehaving under a running daemon: three
// mock brokers, partition leaders moved while records are produced, one
// broker down for 5 s (then back), then a kill -9.  The jobs ride it out
// (librdkafka retries, the group rebalances) and every record lands in its
// table exactly once.
import path from 'node:path';
import { startDaemon } from './lib/daemon.mjs';
import { startMockKafka } from './lib/mockkafka.mjs';
import { e2eSetup, fsTable, ingest, sample, sleep, tag, twoJobs } from './lib/ingest.mjs';

const { t, icebird, duck, dir } = await e2eSetup('kafkafaults');
const mk = await startMockKafka({ brokers: 3, topics: [
  { name: 'binance.raw', partitions: 4 }, { name: 'kraken.raw', partitions: 3 }] });
const config = { 'state.dir': path.join(dir, 'state'), 'catalog.warehouse': path.join(dir, 'warehouse'),
  ...twoJobs(mk) };
const tableUrl = (name) => `file://${path.join(dir, 'warehouse/market_data', name)}`;
const { produce, waitCommitted, checkExactlyOnce } = ingest({ t, mk, dir, icebird, duck, tables: {
  'binance.raw': fsTable(icebird, tableUrl('bronze_binance_trades')),
  'kraken.raw': fsTable(icebird, tableUrl('bronze_kraken_trades')) } });
const b = sample('binance-trades.jsonl'), k = sample('kraken-trades.jsonl');
let n = 0;
const batch = async () => {
  await produce('binance.raw', tag(b.slice(0, 300), n));
  await produce('kraken.raw', tag(k.slice(0, 200), n++));
};
const ok = async (cmd) => t.ok((await mk.cmd(cmd)).startsWith('OK'), `mock: ${cmd}`);

await batch();
let d = await startDaemon({ config });
t.ok(await waitCommitted(60000), 'three brokers: everything committed');

// leaders move while producing
for (let p = 0; p < 3; p++) {
  await ok(`leader binance.raw ${p} ${(p + 1) % 3 + 1}`);
  await batch();
  await sleep(700);
}
await ok('leader kraken.raw 0 3');
t.ok(await waitCommitted(60000), 'leaders moved mid-run: everything committed') || t.diag(d.logs());

// one broker down for 5 s while the daemon consumes what was just produced
// (the mock does not fail over, so producing to its partitions would fail)
await batch();
await ok('down 2');
await sleep(5000);
await ok('up 2');
await batch();
t.ok(await waitCommitted(90000), 'broker down for 5 s, then up: everything committed') || t.diag(d.logs());
const jobs = (await d.fetchJson('/jobs')).body.jobs.map((j) => j.status);
t.eq(jobs, ['RUNNING', 'RUNNING'], 'both jobs RUNNING after the broker faults');

// and a kill -9 on top
await batch();
await sleep(500 + Math.floor(Math.random() * 1000));
d.proc.kill('SIGKILL');
await d.exited;
d = await startDaemon({ config });
t.ok(await waitCommitted(90000), 'after kill -9: everything committed');
t.eq(await d.stop(), 0, 'clean stop');
await checkExactlyOnce('broker faults');
await mk.stop();
await t.done();
