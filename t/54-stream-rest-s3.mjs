// 54-stream-rest-s3.mjs: production's shape: a REST catalog whose tables
// live on S3 (moto_server, SigV4 checked), the S3 endpoint and keys vended
// by the catalog's config rather than set in bronzed.conf.  Data files,
// manifests and manifest lists land on S3; icebird loads each table
// through the catalog and reads it from S3: every record once.  The
// catalog wants OAuth2 client credentials and the admin API a token; no
// secret (S3 keys, client secret, admin token) shows in the verbose
// log or in any admin API answer.
import path from 'node:path';
import { startDaemon } from './lib/daemon.mjs';
import { startMockKafka } from './lib/mockkafka.mjs';
import { ingest, sample, sleep, tag, twoJobs, e2eSetup } from './lib/ingest.mjs';
import { startS3 } from './lib/s3.mjs';
import { startCatalog } from './helpers/restcatalog/launch.mjs';

const s3 = await startS3(['lake']);
if (s3.skip) { console.log(`1..0 # SKIP no S3 peer: ${s3.skip}`); process.exit(0); }
const { t, icebird, dir } = await e2eSetup('rests3', { s3 });

const CLIENT_SECRET = 'cs-5f1e9a7b3c2d4e6f', ADMIN_TOKEN = 'at-0d9c8b7a6f5e4d3c';
const cat = await startCatalog({ warehouse: path.join(dir, 'catalog'), args: ['--location-base', 's3://lake/wh',
  '--client-id', 'bronzed', '--client-secret', CLIENT_SECRET,
  '--require-asserts', '--faults', 'commit:409@0.2,commit:lost@0.1', '--seed', '3', '--client-config', JSON.stringify({
    's3.endpoint': s3.endpoint, 's3.access-key-id': s3.keyId, 's3.secret-access-key': s3.secret,
    's3.path-style-access': 'true' })] });
const mk = await startMockKafka({ brokers: 1, topics: [
  { name: 'binance.raw', partitions: 2 }, { name: 'kraken.raw', partitions: 2 }] });
const config = {
  'state.dir': path.join(dir, 'state'),
  'catalog.type': 'rest',
  'catalog.uri': cat.url,
  'catalog.warehouse': 's3://lake/wh',
  'catalog.credential': `bronzed:${CLIENT_SECRET}`,
  'admin.token': ADMIN_TOKEN,
  ...twoJobs(mk),
};
let catToken;
const catAuth = async () => {
  if (!catToken) {
    const r = await fetch(`${cat.url}/v1/oauth/tokens`, { method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'bronzed',
        client_secret: CLIENT_SECRET, scope: 'catalog' }) });
    catToken = (await r.json()).access_token;
  }
  return { authorization: `Bearer ${catToken}` };
};
const viaCatalog = (name) => async () => {
  const r = await fetch(`${cat.url}/v1/namespaces/market_data/tables/${name}`,
    { headers: await catAuth(), signal: AbortSignal.timeout(10000) });
  if (r.status !== 200) throw new Error(`loadTable ${name}: ${r.status}`);
  const { metadata } = await r.json();
  return { metadata, tableUrl: metadata.location };
};
const { produce, waitCommitted, checkExactlyOnce } = ingest({ t, mk, dir, icebird, tables: {
  'binance.raw': viaCatalog('bronze_binance_trades'), 'kraken.raw': viaCatalog('bronze_kraken_trades') } });

await produce('binance.raw', tag(sample('binance-trades.jsonl').slice(0, 1200), 0));
await produce('kraken.raw', tag(sample('kraken-trades.jsonl').slice(0, 800), 0));
let d = await startDaemon({ config });
t.ok(await waitCommitted(60000), 'REST on S3: both jobs commit every produced record') || t.diag(d.logs());
await produce('kraken.raw', tag(sample('kraken-trades.jsonl').slice(0, 400), 1));
await sleep(1000 + Math.floor(Math.random() * 1000));
d.proc.kill('SIGKILL');
await d.exited;
d = await startDaemon({ config, args: ['-vv'] });
t.ok(await waitCommitted(60000), 'after kill -9: everything committed') || t.diag(d.logs());
// every admin answer, with the token, then the trace-level log
const secrets = [s3.secret, s3.keyId, CLIENT_SECRET, ADMIN_TOKEN];
const routes = ['/config', '/metrics', '/overview', '/taskmanagers', '/jobs', '/jobs/overview'];
for (const j of ['binance', 'kraken'])
  routes.push(`/jobs/${j}`, `/jobs/${j}/exceptions`, `/jobs/${j}/checkpoints`, `/jobs/${j}/checkpoints/config`,
    `/jobs/${j}/metrics?get=numRecordsIn,uptime`, `/jobs/${j}/savepoints`);
let answers = '';
for (const r of routes) {
  const res = await fetch(`${d.url}${r}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  answers += `${r} ${res.status} ${await res.text()}\n`;
}
t.ok(!/ (4|5)\d\d /.test(answers), `${routes.length} admin answers, all 2xx`, answers.slice(0, 2000));
t.eq(secrets.filter((x) => answers.includes(x)), [], 'no secret in any admin answer');
t.ok(/\*{6}/.test(answers), '/config shows the secrets masked');
t.eq(await d.stop(), 0, 'SIGTERM: exit 0');
t.ok(/ DEBUG /.test(d.logs()), `the log was verbose (-vv, ${d.logs().split('\n').length} lines)`);
t.eq(secrets.filter((x) => d.logs().includes(x)), [], 'no secret (S3 keys, client secret, admin token) in the verbose log');
await checkExactlyOnce('REST on S3');
const { metadata } = await viaCatalog('bronze_binance_trades')();
const snap = metadata.snapshots.find((s) => s['snapshot-id'] === metadata['current-snapshot-id']);
t.ok(snap['manifest-list'].startsWith('s3://lake/wh/market_data/bronze_binance_trades/metadata/'),
  `manifest list on S3 (${snap['manifest-list'].slice(0, 60)}...)`);
const head = await fetch(snap['manifest-list'], { method: 'HEAD' });
t.eq(head.status, 200, 'the manifest list exists on S3');
await cat.stop();
await mk.stop();
await s3.stop();
await t.done();
