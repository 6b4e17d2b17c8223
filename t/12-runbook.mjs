// 12-runbook.mjs: docs/RUNBOOK.md works as written.  Every "$ " line of
// its sh blocks (but those marked "(not run in CI)") runs, in order, in one
// shell against a daemon shaped like the quickstart (two jobs on the mock
// broker, a local warehouse), with localhost:8082 and :9091 pointed at the
// test daemon's ports and bronzectl at its URL.  Each must exit 0; the
// outputs that matter are checked.  The sql blocks run in DuckDB, their
// view "bronze" over the data files the binance table's current snapshot
// lists (the tests have no iceberg extension), and their answers are
// checked against what was produced.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startDaemon } from './lib/daemon.mjs';
import { startMockKafka } from './lib/mockkafka.mjs';
import { e2eSetup, liveDataFiles, localTwoJobs, sample, tag } from './lib/ingest.mjs';

const { t, icebird, duck, dir } = await e2eSetup('runbook');
const srcdir = process.env.BRONZE_SRCDIR || '.';
const builddir = process.env.BRONZE_BUILDDIR || '.';
const mk = await startMockKafka({ brokers: 1, topics: [
  { name: 'binance.raw', partitions: 2 }, { name: 'kraken.raw', partitions: 2 }] });
const { config, produce, waitCommitted } = localTwoJobs({ t, mk, dir, icebird });
await produce('binance.raw', tag(sample('binance-trades.jsonl').slice(0, 300), 0));
await produce('kraken.raw', tag(sample('kraken-trades.jsonl').slice(0, 200), 0));
const d = await startDaemon({ config });
const mport = /metrics on http:\/\/\S+:(\d+)\/metrics/.exec(d.logs())[1];
t.ok(await waitCommitted(60000), 'quickstart-like daemon committed its records');

const book = readFileSync(path.join(srcdir, 'docs/RUNBOOK.md'), 'utf8');
const blocks = [...book.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
const cmds = blocks.flatMap((b) => b.split('\n')).filter((l) => l.startsWith('$ ') && !l.includes('(not run in CI)'))
  .map((l) => l.slice(2));
t.ok(cmds.length >= 15, `${cmds.length} runbook commands to run`);
// bronzectl on PATH, the daemon's ports where the runbook expects them
const bin = path.join(dir, 'bin');
mkdirSync(bin, { recursive: true });
const ctlPath = process.env.BRONZECTL || path.join(builddir, 'admin/bronzectl');
writeFileSync(path.join(bin, 'bronzectl'), `#!/bin/sh\nexec ${ctlPath} -u ${d.url} "$@"\n`, { mode: 0o755 });
const spdir = path.join(dir, 'sp');
const script = cmds.map((c, i) => `echo "@@ ${i}"\n` +
  `${c.replaceAll('localhost:8082', `127.0.0.1:${d.port}`).replaceAll('localhost:9091', `127.0.0.1:${mport}`)
    .replaceAll('/tmp/bronzed-savepoints', spdir).replaceAll('var/warehouse', path.join(dir, 'warehouse'))} || { echo "@@ FAILED ${i}"; exit 1; }`).join('\n');
const r = spawnSync('sh', ['-c', script], { encoding: 'utf8', timeout: 120000,
  env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
const out = {};
let cur = -1;
for (const line of r.stdout.split('\n')) {
  const m = /^@@ (\d+)$/.exec(line);
  if (m) { cur = Number(m[1]); out[cur] = ''; } else if (cur >= 0) out[cur] += line + '\n';
}
const failed = /@@ FAILED (\d+)/.exec(r.stdout);
t.ok(r.status === 0 && !failed, failed ? `runbook command failed: ${cmds[failed[1]]}\n${r.stderr}` :
  `all ${cmds.length} commands exit 0`, r.stderr);
const find = (needle) => Object.entries(out).find(([i]) => cmds[i].includes(needle))?.[1] ?? '';
t.ok(/"status": "RUNNING"/.test(find(`jq '.jobs[] | {id, status}'`)), 'verify: jobs listed RUNNING');
t.ok(/"end_to_end_duration": \d+/.test(find('.latest.completed')), 'verify: latest completed checkpoint with end_to_end_duration');
t.ok(/exactly once/.test(find('bronzectl verify')), 'verify: bronzectl verify finds every offset once');
t.eq(find('/healthz').trim(), '200', 'health: /healthz 200');
t.ok(/^ready$/m.test(find('bronzectl health')), 'health: bronzectl health says ready');
t.ok(/numRecordsIn\{[^}]*job_name="binance"\} 300/.test(find('numRecordsIn\\{')), 'metrics: numRecordsIn 300 for binance');
t.ok(/"status": "COMPLETED"/.test(find('savepoints/$REQ')) && /savepoint-/.test(find('savepoints/$REQ')),
  'savepoint: COMPLETED with a location');
t.ok(/savepoint completed: file:/.test(find('bronzectl savepoint')), 'bronzectl savepoint prints the location');
t.ok(find('jobs/kraken | jq -r .state').trim() === 'FINISHED', 'stop with savepoint: kraken FINISHED');
t.ok(/restore completed/.test(find('bronzectl restore')), 'restore: completed');
t.eq(find('jobs/kraken/status').trim(), 'RUNNING', 'restore: kraken RUNNING again');
const summary = JSON.parse(find('bronzed.kafka-offsets') || '{}');
t.ok(summary['bronzed.job-id']?.length === 32 &&
  Object.values(JSON.parse(summary['bronzed.kafka-offsets'] ?? '{}')['binance.raw'] ?? {}).reduce((a, b) => a + b, 0) === 300,
  'query: the current snapshot names its job and offsets summing to the 300 records', find('bronzed.kafka-offsets'));
await runbookSql();
t.eq(await d.stop(), 0, 'clean stop');
await mk.stop();
await t.done();

// The runbook's SQL in DuckDB, "bronze" a view over the table's live files.
async function runbookSql() {
  if (!duck) return t.ok(true, 'runbook SQL # SKIP no DuckDB');
  const tableUrl = `file://${path.join(dir, 'warehouse/market_data/bronze_binance_trades')}`;
  const metadata = await icebird.icebergMetadata({ tableUrl });
  const files = (await liveDataFiles(icebird, metadata)).map((f) => `'${f}'`);
  const db = await (await duck.DuckDBInstance.create(':memory:')).connect();
  await db.run(`CREATE VIEW bronze AS SELECT * FROM read_parquet([${files.join(',')}])`);
  const stmts = [...book.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1])
    .flatMap((b) => b.split('\n').filter((l) => !l.includes('(not run in CI)')).join('\n').split(/;\s*\n/))
    .map((q) => q.trim()).filter(Boolean);
  t.ok(stmts.length >= 4, `${stmts.length} runbook queries to run`);
  const res = [];
  for (const q of stmts) {
    try {
      res.push((await db.runAndReadAll(q)).getRowObjectsJS());
    } catch (e) {
      res.push(null);
      t.ok(false, `runbook query fails: ${e.message}`, q);
    }
  }
  const [newest, once, delay, hdrs] = res;
  const show = (x) => JSON.stringify(x, (k, v) => (typeof v === 'bigint' ? Number(v) : v));
  t.ok(newest?.length === 10 && newest.every((r) => /USDT$/.test(r.symbol) && Number(r.price) > 0),
    'query: the ten newest trades, symbol and price decoded', show(newest?.[0]));
  t.ok(once?.length === 2 && once.every((r) => r.records === r.offsets && r.last - r.first + 1n === r.records) &&
    once.reduce((a, r) => a + r.records, 0n) === 300n, 'query: every offset once, 300 records over 2 partitions',
    show(once));
  t.ok(delay?.length >= 1 && delay.reduce((a, r) => a + r.records, 0n) === 300n, 'query: ingestion delay by minute');
  t.ok(hdrs?.length === 5 && hdrs.every((r) => r.source === 'batch-0.jsonl'), 'query: the "source" header decoded',
    show(hdrs?.[0]));
}
