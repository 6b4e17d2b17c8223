// 53-stream-s3.mjs: the filesystem catalog on S3: the real daemon writes
// two tables under an s3:// warehouse on moto_server (SigV4 checked,
// commits by If-None-Match: *), through a kill -9 while producing; icebird
// then reads both tables back from S3 and every record is there once.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { startDaemon } from './lib/daemon.mjs';
import { startMockKafka } from './lib/mockkafka.mjs';
import { ingest, fsTable, sample, sleep, tag, twoJobs, e2eSetup, until } from './lib/ingest.mjs';
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
  'checkpoint.timeout': '3s',		// dead writers' uploads: 10 s old
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

// a dead writer's unfinished multipart upload under a table's data is
// aborted by the job's sweep (moto stamps every upload as started in
// 2010, so it counts as old at once); one elsewhere in the bucket stays
const mpu = (op, key) => spawnSync('python3', ['-c', `
import boto3, sys
c = boto3.client('s3', endpoint_url='${s3.endpoint}', region_name='us-east-1',
  aws_access_key_id='${s3.keyId}', aws_secret_access_key='${s3.secret}')
if sys.argv[1] == 'create':
    c.create_multipart_upload(Bucket='lake', Key=sys.argv[2])
else:
    print(len(c.list_multipart_uploads(Bucket='lake', Prefix=sys.argv[2]).get('Uploads', [])))
`, op, key], { encoding: 'utf8' });
const dataKey = 'warehouse/market_data/bronze_binance_trades/data/dead-writer.parquet';
t.eq([mpu('create', dataKey).status, mpu('create', 'elsewhere/keep.bin').status], [0, 0],
  'two unfinished multipart uploads created') || t.diag(mpu('create', dataKey).stderr);
const swept = await until(async () => mpu('list', 'warehouse/').stdout.trim() === '0', 30000);
t.ok(swept, 'the dead writer\'s upload under the table\'s data was aborted by the sweep');
t.eq(mpu('list', 'elsewhere/').stdout.trim(), '1', 'the upload outside the warehouse was left alone');
const orphans = /bronzed_orphans_removed_total\{[^}]*job_name="binance"[^}]*\} (\S+)/.exec(
  (await d.fetchJson('/metrics')).body)?.[1];
t.eq(orphans, '1', 'bronzed_orphans_removed_total counts it');
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
