// 56-faults-s3.mjs: S3 misbehaving under a running daemon.  The daemon
// reaches moto through the fault proxy: 5xx answers, connections dropped
// before and after the request was applied (a create-only metadata commit
// whose answer is lost), slow answers; then S3 entirely down for a while,
// then a kill -9.  Jobs restart or retry and come back; reading the tables
// straight from moto, every record is there exactly once.
import path from 'node:path';
import { startDaemon } from './lib/daemon.mjs';
import { startMockKafka } from './lib/mockkafka.mjs';
import { e2eSetup, fsTable, ingest, sample, sleep, tag, twoJobs } from './lib/ingest.mjs';
import { startFaultProxy, startS3 } from './lib/s3.mjs';

const s3 = await startS3(['lake']);
if (s3.skip) { console.log(`1..0 # SKIP no S3 peer: ${s3.skip}`); process.exit(0); }
const { t, icebird, dir } = await e2eSetup('s3faults', { s3 });
const proxy = await startFaultProxy(s3.endpoint, { rate: 0.15, seed: 11,
  faults: '503,500,drop-before,drop-after,delay' });
const mk = await startMockKafka({ brokers: 1, topics: [
  { name: 'binance.raw', partitions: 3 }, { name: 'kraken.raw', partitions: 2 }] });
const config = {
  'state.dir': path.join(dir, 'state'),
  'catalog.warehouse': 's3://lake/warehouse',
  's3.endpoint': proxy.url,
  's3.region': 'us-east-1',
  's3.access-key-id': s3.keyId,
  's3.secret-access-key': s3.secret,
  ...twoJobs(mk),
};
const tableUrl = (name) => `s3://lake/warehouse/market_data/${name}`;
const { produce, waitCommitted, checkExactlyOnce } = ingest({ t, mk, dir, icebird, tables: {
  'binance.raw': fsTable(icebird, tableUrl('bronze_binance_trades')),
  'kraken.raw': fsTable(icebird, tableUrl('bronze_kraken_trades')) } });
const b = sample('binance-trades.jsonl'), k = sample('kraken-trades.jsonl');

let d = await startDaemon({ config, args: process.env.BRONZE_DEBUG ? ['-v'] : [] });
for (let i = 0; i < 6; i++) {
  await produce('binance.raw', tag(b.slice(i * 200, i * 200 + 200), i));
  await produce('kraken.raw', tag(k.slice(i * 150, i * 150 + 150), i));
  await sleep(1000);
}
t.ok(await waitCommitted(90000), '15% S3 faults: every record committed') || t.diag(d.logs());
const st = await proxy.stats();
t.diag(`fault proxy: ${JSON.stringify(st)}`);
t.ok(Object.keys(st).filter((f) => f !== 'forwarded' && f !== 'ok').length >= 3, 'several kinds of faults were injected');

// S3 down: commits fail, jobs retry or restart, nothing is lost.
await proxy.rate(1);
await produce('binance.raw', tag(b.slice(0, 300), 50));
await sleep(5000);
const jobs = (await d.fetchJson('/jobs')).body.jobs.map((j) => j.status);
t.ok(d.proc.exitCode === null, `S3 down for 5 s: the daemon keeps running (jobs ${jobs.join(', ')})`);
await proxy.rate(0.1);
t.ok(await waitCommitted(120000), 'S3 back: the records produced meanwhile are committed') || t.diag(d.logs());

// kill -9 under faults
await produce('kraken.raw', tag(k.slice(0, 300), 60));
await sleep(800 + Math.floor(Math.random() * 800));
d.proc.kill('SIGKILL');
await d.exited;
d = await startDaemon({ config });
t.ok(await waitCommitted(120000), 'after kill -9 under faults: everything committed') || t.diag(d.logs());
await proxy.rate(0);
t.eq(await d.stop(), 0, 'SIGTERM: exit 0');
t.ok(!d.logs().includes(s3.secret), 'the S3 secret never reaches the log');
await checkExactlyOnce('S3 faults');
await proxy.stop();
await mk.stop();
await s3.stop();
await t.done();
