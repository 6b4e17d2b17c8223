// 53-stream-s3.mjs: the filesystem catalog on S3: the real daemon writes
// two tables under an s3:// warehouse on moto_server (SigV4 checked,
// commits by If-None-Match: *), through a kill -9 while producing; icebird
// then reads both tables back from S3 and every record is there once.
import path from 'node:path';
import { startDaemon } from './lib/daemon.mjs';
import { startMockKafka } from './lib/mockkafka.mjs';
import { ingest, fsTable, sample, sleep, tag, twoJobs, e2eSetup } from './lib/ingest.mjs';
import { startS3 } from './lib/s3.mjs';

const s3 = await startS3(['lake']);
if (s3.skip) { console.log(`1..0 # SKIP no S3 peer: ${s3.skip}`); process.exit(0); }
const { t, icebird, dir } = await e2eSetup('s3wh', { s3 });

const mk = await startMockKafka({ brokers: 1, topics: [
  { name: 'binance.raw', partitions: 3 }, { name: 'kraken.raw', partitions: 2 }] });
const config = {
  'state.dir': path.join(dir, 'state'),
  'catalog.warehouse': 's3://lake/warehouse',
  's3.endpoint': s3.endpoint,
  's3.region': 'us-east-1',
  's3.path-style-access': 'true',
  's3.access-key-id': s3.keyId,
  's3.secret-access-key': s3.secret,
  ...twoJobs(mk),
  'job.kraken.sink.compression': 'snappy',
};
const tableUrl = (name) => `s3://lake/warehouse/market_data/${name}`;
const { produce, waitCommitted, checkExactlyOnce } = ingest({ t, mk, dir, icebird, tables: {
  'binance.raw': fsTable(icebird, tableUrl('bronze_binance_trades')),
  'kraken.raw': fsTable(icebird, tableUrl('bronze_kraken_trades')) } });

await produce('binance.raw', tag(sample('binance-trades.jsonl').slice(0, 1500), 0));
await produce('kraken.raw', tag(sample('kraken-trades.jsonl').slice(0, 1000), 0));
let d = await startDaemon({ config });
t.ok(await waitCommitted(60000), 's3 warehouse: both jobs commit every produced record');
const jobs = (await d.fetchJson('/jobs')).body.jobs;
t.eq(jobs.map((j) => j.status), ['RUNNING', 'RUNNING'], 'both jobs RUNNING') || t.diag(d.logs());
await produce('binance.raw', tag(sample('binance-trades.jsonl').slice(0, 700), 1));
await sleep(1200 + Math.floor(Math.random() * 800));
d.proc.kill('SIGKILL');
await d.exited;
d = await startDaemon({ config });
await produce('kraken.raw', tag(sample('kraken-trades.jsonl').slice(0, 400), 2));
t.ok(await waitCommitted(60000), 'after kill -9: everything committed');
t.eq(await d.stop(), 0, 'SIGTERM: exit 0');
await checkExactlyOnce('s3 warehouse');

// The layout other engines expect: version-hint.text holds digits only
// and names a metadata file that exists.
const hint = await (await fetch(`${tableUrl('bronze_binance_trades')}/metadata/version-hint.text`)).text();
t.ok(/^[0-9]+$/.test(hint.trim()), `version-hint.text is digits (${hint.trim()})`);
const meta = await fetch(`${tableUrl('bronze_binance_trades')}/metadata/v${hint.trim()}.metadata.json`);
t.eq(meta.status, 200, 'the hinted metadata file exists on S3');
const m = await meta.json();
t.eq(m.location, tableUrl('bronze_binance_trades'), 'table location is the s3:// warehouse path');
const codec = (await fsTable(icebird, tableUrl('bronze_kraken_trades'))()).metadata.properties['write.parquet.compression-codec'];
t.eq(codec, 'snappy', 'per-job compression recorded in the table properties');
await mk.stop();
await s3.stop();
await t.done();
