// 51-edge-records.mjs: records at the edges of what Kafka carries,
// produced one by one by the mock helper: an empty value, a tombstone
// (null value), a value just under the producer's message.max.bytes
// (about 1 MB), binary bytes, among ordinary ones.  Each lands once with its bytes intact (icebird), the
// tombstone as an empty raw_value (raw_value is required), and DuckDB
// reads the same lengths.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startDaemon } from './lib/daemon.mjs';
import { startMockKafka } from './lib/mockkafka.mjs';
import { e2eSetup, fsTable, ingest, twoJobs } from './lib/ingest.mjs';

const { t, icebird, duck, dir } = await e2eSetup('edges');
const mk = await startMockKafka({ brokers: 1, topics: [
  { name: 'binance.raw', partitions: 1 }, { name: 'kraken.raw', partitions: 1 }] });
const config = { 'state.dir': path.join(dir, 'state'), 'catalog.warehouse': path.join(dir, 'warehouse'),
  ...twoJobs(mk), 'job.kraken.sink.value-type': 'string' };
const table = fsTable(icebird, `file://${path.join(dir, 'warehouse/market_data/bronze_binance_trades')}`);
const ktable = fsTable(icebird, `file://${path.join(dir, 'warehouse/market_data/bronze_kraken_trades')}`);
const { committed } = ingest({ t, mk, dir, icebird, tables: { 'binance.raw': table, 'kraken.raw': ktable } });

// one record per command, with exactly these bytes
const big = 'b'.repeat(1000000 - 512);		// just under message.max.bytes
const bin = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x0a, 0x1f, 0x80]);
const file = (name, data) => { const f = path.join(dir, name); writeFileSync(f, data); return f; };
const values = [file('a', '{"a":1}'), 'empty', file('big', big), 'null', file('z', '{"z":9}'), file('bin', bin)];
const answers = [];
for (const v of values) answers.push(await mk.cmd(`value binance.raw 0 ${v}`));
for (const v of [file('z2', '{"z":9}'), 'empty']) answers.push(await mk.cmd(`value kraken.raw 0 ${v}`));
t.eq(answers, Array(8).fill('OK 1'), 'the edge records produced: empty, ~1 MB, tombstone, binary');

const d = await startDaemon({ config });
const end = Date.now() + 60000;
while (Date.now() < end && ((await committed('binance.raw')) < 6 || (await committed('kraken.raw')) < 2))
  await new Promise((r) => setTimeout(r, 250));
t.eq([await committed('binance.raw'), await committed('kraken.raw')], [6, 2], 'every edge record committed');
t.eq(await d.stop(), 0, 'clean stop');

const { metadata, tableUrl } = await table();
const rows = (await icebird.icebergRead({ tableUrl, metadata })).sort((a, b) => Number(a.kafka_offset) - Number(b.kafka_offset));
const str = (v) => (v == null ? v : typeof v === 'string' ? v : Buffer.from(v).toString('latin1'));
t.eq(rows.map((r) => Number(r.kafka_offset)), [0, 1, 2, 3, 4, 5], 'binance: six rows, each offset once');
t.eq(rows.map((r) => (str(r.raw_value) ?? '').length), [7, 0, big.length, 0, 7, bin.length],
  'binance: value lengths kept (empty, ~1 MB, tombstone as empty, binary)');
t.ok(str(rows[2].raw_value) === big, 'the ~1 MB value is byte-equal');
const { metadata: km, tableUrl: ku } = await ktable();
const krows = (await icebird.icebergRead({ tableUrl: ku, metadata: km }))
  .sort((a, b) => Number(a.kafka_offset) - Number(b.kafka_offset));
t.eq(krows.map((r) => r.raw_value), ['{"z":9}', ''], 'kraken (value-type string): the text, and the empty value as ""');
if (duck) {
  const files = metadata.snapshots.length && (await icebird.icebergManifests(metadata)).flatMap((m) => m.entries)
    .filter((e) => e.status !== 2).map((e) => `'${new URL(e.data_file.file_path).pathname}'`).join(',');
  const db = await (await duck.DuckDBInstance.create(':memory:')).connect();
  const r = await db.runAndReadAll(`select kafka_offset, octet_length(raw_value::blob) from read_parquet([${files}]) order by 1`);
  t.eq(r.getRows().map((x) => Number(x[1])), [7, 0, big.length, 0, 7, bin.length], 'DuckDB reads the same lengths');
}
await mk.stop();
await t.done();
