// 55-scaleout.mjs: three bronzed instances of one job share a topic and a
// table.  Kafka's group protocol spreads the partitions, the catalog's
// create-only commits serialize the appends, and each instance records
// only the partitions it owns.  While records are produced an instance
// is added, one is killed with -9 and restarted: the table holds every
// record exactly once, no gap, no duplicate.  A zombie (two commits racing
// on one partition) is refused by fencing.
import path from 'node:path';
import { startDaemon } from './lib/daemon.mjs';
import { startMockKafka } from './lib/mockkafka.mjs';
import { ingest, fsTable, sample, sleep, tag, e2eSetup } from './lib/ingest.mjs';

const { t, icebird, duck, dir } = await e2eSetup('scaleout');

const mk = await startMockKafka({ brokers: 1, topics: [{ name: 'binance.raw', partitions: 6 }] });
const config = {
  'catalog.warehouse': path.join(dir, 'warehouse'),
  'checkpoint.interval': '1s',
  'kafka.bootstrap.servers': mk.bootstrap,
  'kafka.session.timeout.ms': '6000',
  'kafka.heartbeat.interval.ms': '500',
  'job.binance.source.topic': 'binance.raw',
  'job.binance.sink.table': 'market_data.bronze_binance_trades',
};
const tableUrl = `file://${path.join(dir, 'warehouse/market_data/bronze_binance_trades')}`;
const { produce, waitCommitted, checkExactlyOnce } = ingest({ t, mk, dir, icebird, duck,
  tables: { 'binance.raw': fsTable(icebird, tableUrl) } });
const lines = sample('binance-trades.jsonl');
let b = 0;
const batch = (n) => produce('binance.raw', tag(lines.slice(0, n), b++));
const running = async (d) => (await d.fetchJson('/jobs')).body.jobs[0].status;

const a = await startDaemon({ config });
await batch(1500);
const c2 = await startDaemon({ config });
await batch(800);
await sleep(2000);
const c3 = await startDaemon({ config });
for (let i = 0; i < 4; i++) { await batch(300); await sleep(700); }
t.ok(await waitCommitted(60000), 'three instances: every record committed') || t.diag(a.logs());
t.eq([await running(a), await running(c2), await running(c3)], ['RUNNING', 'RUNNING', 'RUNNING'],
  'three instances RUNNING');

// Which instance committed what: more than one of them commits.
const meta = await icebird.icebergMetadata({ tableUrl });
const owners = new Set(meta.snapshots.filter((s) => s.summary['bronzed.job-id'])
  .map((s) => Object.keys(JSON.parse(s.summary['bronzed.kafka-offsets'])['binance.raw']).sort().join(',')));
t.ok(owners.size >= 2, `snapshots name different partition sets (${[...owners].join(' | ')})`);

// kill -9 one instance while producing; its partitions move; restart it.
await batch(600);
c2.proc.kill('SIGKILL');
await c2.exited;
for (let i = 0; i < 3; i++) { await batch(200); await sleep(800); }
t.ok(await waitCommitted(60000), 'after kill -9 of one instance: the others take its partitions');
const c2b = await startDaemon({ config });
for (let i = 0; i < 3; i++) { await batch(200); await sleep(800); }
t.ok(await waitCommitted(60000), 'the killed instance back: everything committed');
for (const d of [a, c2b, c3]) t.eq(await d.stop(), 0, 'SIGTERM: exit 0');
await checkExactlyOnce('three instances, one killed');
const fenced = [a, c2b, c3].map((d) => (d.logs().match(/fenced:/g) || []).length).reduce((x, y) => x + y, 0);
t.diag(`fenced commits refused during the run: ${fenced}`);

// A misconfigured twin: same job and table, another consumer group, so
// both instances read every partition.  Fencing lets only one commit each
// range: nothing is duplicated.
const twin = { ...config, 'job.binance.source.group-id': 'bronze-binance-twin' };
const x = await startDaemon({ config });
const y = await startDaemon({ config: twin });
for (let i = 0; i < 5; i++) { await batch(300); await sleep(900); }
t.ok(await waitCommitted(60000), 'twins: every record committed');
await sleep(1500);
const metric = async (d, name) => [...(await (await fetch(`${d.url}/metrics`)).text())
  .matchAll(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'gm'))].reduce((a, m) => a + Number(m[1]), 0);
const fencedTotal = (await metric(x, 'bronzed_commit_fenced_total')) + (await metric(y, 'bronzed_commit_fenced_total'));
t.ok(fencedTotal > 0, `bronzed_commit_fenced_total counts the refused commits (${fencedTotal})`);
for (const d of [x, y]) t.eq(await d.stop(), 0, 'twin: SIGTERM exit 0');
await checkExactlyOnce('two twins with different groups');
t.ok(/fenced:/.test(x.logs() + y.logs()), 'the twin\'s overlapping commits were refused (fenced)');
await mk.stop();
await t.done();
