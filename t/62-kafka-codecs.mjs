// 62-kafka-codecs.mjs: topics whose producers compress their batches, as
// production topics usually are.  Four mock clusters, one per Kafka codec
// (gzip, snappy, lz4, zstd; the helper checks the bytes on the wire are a
// fraction of the values'), one daemon with a job on each (a per-job
// kafka.bootstrap.servers): every record lands once with its bytes intact
// (icebird, and DuckDB over the data files), headers included.
import path from 'node:path';
import { startDaemon } from './lib/daemon.mjs';
import { startMockKafka } from './lib/mockkafka.mjs';
import { e2eSetup, fsTable, ingest, sample, tag } from './lib/ingest.mjs';

const { t, icebird, duck, dir } = await e2eSetup('codecs');
const codecs = ['gzip', 'snappy', 'lz4', 'zstd'];
const config = { 'state.dir': path.join(dir, 'state'), 'catalog.warehouse': path.join(dir, 'warehouse'),
  'checkpoint.interval': '1s' };
const jobs = [];
const lines = sample('binance-trades.jsonl').slice(0, 1500);
for (const codec of codecs) {
  const mk = await startMockKafka({ brokers: 1, topics: [{ name: 'trades', partitions: 3 }], codec });
  const tableUrl = `file://${path.join(dir, 'warehouse/market_data', `bronze_${codec}`)}`;
  const table = fsTable(icebird, tableUrl);
  Object.assign(config, {
    [`job.${codec}.kafka.bootstrap.servers`]: mk.bootstrap,
    [`job.${codec}.source.topic`]: 'trades',
    [`job.${codec}.sink.table`]: `market_data.bronze_${codec}`,
  });
  const ing = ingest({ t, mk, dir, icebird, duck, tables: { trades: table } });
  jobs.push({ codec, mk, table, ing });
}
// the first half before the daemon starts, the second while it runs
for (const [i, j] of jobs.entries()) await j.ing.produce('trades', tag(lines.slice(0, 750), i * 2));
for (const j of jobs) {
  const [ok, values, wire] = (await j.mk.cmd('sent')).split(' ');
  t.ok(ok === 'OK' && Number(wire) < Number(values) / 2,
    `${j.codec}: batches compressed on the wire (${wire} bytes for ${values} of values)`);
}
const d = await startDaemon({ config });
for (const [i, j] of jobs.entries()) await j.ing.produce('trades', tag(lines.slice(750), i * 2 + 1));
for (const j of jobs)
  t.ok(await j.ing.waitCommitted(60000), `${j.codec}: every produced offset committed`);
t.eq(await d.stop(), 0, 'clean stop');

for (const j of jobs) {
  await j.ing.checkExactlyOnce(j.codec);
  const { metadata, tableUrl } = await j.table();
  const rows = await icebird.icebergRead({ tableUrl, metadata });
  // each job's ingest numbers its batch files from 0: the half a row came in
  const want = (r) => `batch-${JSON.parse(r.raw_value)._b % 2}.jsonl`;
  t.ok(rows.length > 0 && rows.every((r) => r.headers?.source === want(r)),
    `${j.codec}: each row keeps its "source" header`);
}
for (const j of jobs) await j.mk.stop();
await t.done();
