// 52-stream-rest.mjs: the daemon on a REST catalog.  The strict test
// catalog (every request validated against the OpenAPI spec, field ids
// reassigned, asserts required, bearer token, a prefix) is down when the
// daemon starts, then comes up; commits meet injected 409s and lost
// responses (applied, answer dropped), and a kill -9 hits mid-run.  Both
// tables, loaded through the catalog as an engine would, hold every
// produced record exactly once.
import net from 'node:net';
import path from 'node:path';
import { startDaemon } from './lib/daemon.mjs';
import { startMockKafka } from './lib/mockkafka.mjs';
import { ingest, sample, sleep, tag, twoJobs, e2eSetup } from './lib/ingest.mjs';
import { startCatalog } from './helpers/restcatalog/launch.mjs';
import { stringify } from './helpers/restcatalog/json.mjs';

const { t, icebird, duck, dir } = await e2eSetup('rest');
const TOKEN = 'rest-token-5ec7e7';

const freePort = () => new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
});
const port = await freePort();
const mk = await startMockKafka({ brokers: 1, topics: [
  { name: 'binance.raw', partitions: 3 }, { name: 'kraken.raw', partitions: 2 }] });
const config = {
  'state.dir': path.join(dir, 'state'),
  'catalog.type': 'rest',
  'catalog.uri': `http://127.0.0.1:${port}`,
  'catalog.token': TOKEN,
  'catalog.warehouse': 'lakehouse',
  ...twoJobs(mk),
  'job.kraken.sink.partition-by': 'hour(ingestion_timestamp)',
};
// A table as an engine finds it: loadTable through the catalog.
const viaCatalog = (name) => async () => {
  const r = await fetch(`http://127.0.0.1:${port}/v1/wh/namespaces/market_data/tables/${name}`,
    { headers: { authorization: `Bearer ${TOKEN}` }, signal: AbortSignal.timeout(10000) });
  if (r.status !== 200) throw new Error(`loadTable ${name}: ${r.status}`);
  const { metadata } = await r.json();
  return { metadata, tableUrl: metadata.location };
};
const { produce, waitCommitted, checkExactlyOnce } = ingest({ t, mk, dir, icebird, duck, tables: {
  'binance.raw': viaCatalog('bronze_binance_trades'), 'kraken.raw': viaCatalog('bronze_kraken_trades') } });

await produce('binance.raw', tag(sample('binance-trades.jsonl').slice(0, 1500), 0));
await produce('kraken.raw', tag(sample('kraken-trades.jsonl').slice(0, 1000), 0));

// 1. the catalog is down: the daemon waits and retries, it does not exit
let d = await startDaemon({ config });
await sleep(2500);
t.ok(d.proc.exitCode === null, 'catalog down at start: the daemon keeps running');
t.ok(/REST catalog .*retrying in/.test(d.logs()), 'catalog down at start: retries are logged');
t.ok(!d.logs().includes(TOKEN), 'the catalog token never reaches the log');
const cat = await startCatalog({ warehouse: path.join(dir, 'warehouse'), args: ['--port', String(port), '--warehouse-name', 'lakehouse',
  '--prefix', 'wh', '--token', TOKEN, '--reassign-ids', '--require-asserts', '--check-files', '--seed', '7',
  '--faults', 'commit:409@0.3'] });
t.ok(await waitCommitted(90000), 'catalog up: both jobs commit every produced record') || t.diag(d.logs());
const jobs = (await d.fetchJson('/jobs')).body.jobs;
t.eq(jobs.map((j) => j.status), ['RUNNING', 'RUNNING'], 'both jobs RUNNING');

// 1b. hostile answers: JSON cut in half, metadata of the wrong types
// (commits applied, their answers unusable; loads unusable): the jobs
// treat them as unknown outcomes, reload, and stay exactly once
await cat.faults('commit:truncated@0.3,commit:wrong-types@0.3,load:truncated@0.3,load:wrong-types@0.2');
for (let i = 0; i < 3; i++) {
  await produce('binance.raw', tag(sample('binance-trades.jsonl').slice(i * 100, i * 100 + 100), 20 + i));
  await sleep(1100);
}
t.ok(await waitCommitted(90000), 'hostile catalog answers: everything committed') || t.diag(d.logs());
const hostile = (await cat.log()).filter((e) => e.fault === 'truncated' || e.fault === 'wrong-types');
t.ok(hostile.length > 0, `the catalog gave ${hostile.length} hostile answers`);
t.eq((await d.fetchJson('/jobs')).body.jobs.map((j) => j.status), ['RUNNING', 'RUNNING'],
  'both jobs RUNNING through them');

// 2. lost responses (the commit applied, the answer gone), kill -9
await cat.faults('commit:lost#2,commit:lost-503#1,commit:409@0.2');
for (let i = 0; i < 4; i++) {
  await produce('kraken.raw', tag(sample('kraken-trades.jsonl').slice(i * 50, i * 50 + 50), 10 + i));
  await sleep(1100);
}
await produce('binance.raw', tag(sample('binance-trades.jsonl').slice(0, 800), 1));
await produce('kraken.raw', tag(sample('kraken-trades.jsonl').slice(0, 500), 1));
await sleep(1000 + Math.floor(Math.random() * 1500));
d.proc.kill('SIGKILL');
await d.exited;
d = await startDaemon({ config });
await produce('binance.raw', tag(sample('binance-trades.jsonl').slice(0, 300), 2));
t.ok(await waitCommitted(90000), 'after kill -9: everything committed') || t.diag(d.logs());
const prom = await (await fetch(`${d.url}/metrics`)).text();
const sum = (name) => [...prom.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce((a, m) => a + Number(m[2]), 0);
t.ok(sum('bronzed_commit_attempts_total') > 0 && sum('bronzed_catalog_requests_total') > 0,
  `metrics count commits (${sum('bronzed_commit_attempts_total')}) and catalog requests (${sum('bronzed_catalog_requests_total')})`);
t.eq(await d.stop(), 0, 'SIGTERM: exit 0');
await checkExactlyOnce('rest catalog');

// 2b. snapshot expiry through the catalog: the table was created with 360
// intervals of history; an engine shortens it to 1.5 s (set-properties), then
// the daemon's commits remove old snapshots in the same request
await cat.faults('');
const created = (await viaCatalog('bronze_binance_trades')()).metadata;
t.eq(created.properties['history.expire.max-snapshot-age-ms'], '360000',
  'created through the catalog with history.expire.max-snapshot-age-ms (360 intervals of 1 s)');
const alter = await fetch(`http://127.0.0.1:${port}/v1/wh/namespaces/market_data/tables/bronze_binance_trades`, {
  method: 'POST', signal: AbortSignal.timeout(10000),
  headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
  body: JSON.stringify({ requirements: [], updates: [{ action: 'set-properties',
    updates: { 'history.expire.max-snapshot-age-ms': '1500' } }] }) });
t.eq(alter.status, 200, 'set-properties through the catalog');
const before = created.snapshots.length;
d = await startDaemon({ config });
for (let b = 3; b < 12; b++) {
  await produce('binance.raw', tag(sample('binance-trades.jsonl').slice(0, 50), b));
  await sleep(700);
}
t.ok(await waitCommitted(60000), 'expiring: everything committed');
t.eq(await d.stop(), 0, 'SIGTERM: exit 0');
const after = (await viaCatalog('bronze_binance_trades')()).metadata;
const removes = (await cat.log()).filter((e) => e.operation === 'updateTable' &&
  stringify(e.body).includes('"remove-snapshots"'));
t.ok(removes.length > 0 && removes.every((e) => e.valid),
  `${removes.length} commits removed snapshots, valid against the spec`);
t.ok(after.snapshots.length < before && after.snapshots.every((s) =>
  s['timestamp-ms'] >= after['last-updated-ms'] - 1500 - 1000 - 1500),
  `snapshots: ${before} before, ${after.snapshots.length} after, none older than the age plus a period`);
await checkExactlyOnce('rest catalog, after expiry');

// 3. what the catalog saw
const log = await cat.log();
const commits = log.filter((e) => e.operation === 'updateTable');
t.ok(commits.length > 0 && commits.every((e) => e.valid), `all ${commits.length} commits valid against the spec`);
t.ok(log.every((e) => e.valid !== false), 'no request failed spec validation');
const faults = commits.filter((e) => e.fault).map((e) => e.fault);
t.diag(`${commits.length} commits, faults: ${faults.join(' ')}`);
t.ok(faults.includes('409') && faults.some((f) => f.startsWith('lost')),
  `commits met 409s and lost responses (${faults.length} faults)`);
t.ok(commits.filter((e) => stringify(e.body).includes('set-snapshot-ref')).every((e) =>
  stringify(e.body).includes('assert-ref-snapshot-id') || stringify(e.body).includes('assert-create')),
'every commit asserts the ref it moves');
const kraken = (await viaCatalog('bronze_kraken_trades')()).metadata;
const spec = kraken['partition-specs'].find((s) => s['spec-id'] === kraken['default-spec-id']);
t.eq(spec.fields.map((f) => f.transform), ['hour'], 'kraken: hour(ingestion_timestamp) partitioning');
t.ok(kraken.schemas[0].fields.every((f) => f.id >= 101), 'field ids are the catalog-assigned ones');
await cat.stop();
await mk.stop();
await t.done();
