// 60-metrics.mjs: /metrics of a daemon running two jobs: the admin port
// (bearer token required) and metrics.port (open to scrapers) serve the
// same exposition; promtool finds nothing wrong but the camelCase of
// Flink's own names; the counters equal what was produced and committed;
// per-partition lag and freshness settle at 0; Flink's REST job metrics
// answer with strings and aggregates; every metric the Prometheus rules
// and the Grafana dashboard query is exported.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startDaemon } from './lib/daemon.mjs';
import { startMockKafka } from './lib/mockkafka.mjs';
import { e2eSetup, localTwoJobs, sample, sleep, tag } from './lib/ingest.mjs';

const { t, icebird, dir } = await e2eSetup('metrics');
const srcdir = process.env.BRONZE_SRCDIR || '.';
const TOKEN = 'metrics-test-token-77';
const mk = await startMockKafka({ brokers: 1, topics: [
  { name: 'binance.raw', partitions: 3 }, { name: 'kraken.raw', partitions: 2 }] });
const { config, produce, waitCommitted } = localTwoJobs({ t, mk, dir, icebird, extra: { 'admin.token': TOKEN } });
await produce('binance.raw', tag(sample('binance-trades.jsonl').slice(0, 900), 0));
await produce('kraken.raw', tag(sample('kraken-trades.jsonl').slice(0, 600), 0));

const d = await startDaemon({ config });
const mport = Number(/metrics on http:\/\/\S+:(\d+)\/metrics/.exec(d.logs())?.[1]);
t.ok(mport > 0 && mport !== d.port, `metrics.port listener on ${mport}`);
const auth = { authorization: `Bearer ${TOKEN}` };
t.ok(await waitCommitted(60000), 'both jobs committed');
await sleep(2500);		// a full second of rate samples, lag refreshed

const scrape = async (url, headers = {}) => {
  const r = await fetch(url, { headers, signal: AbortSignal.timeout(10000) });
  return { status: r.status, type: r.headers.get('content-type'), text: await r.text() };
};
const open = await scrape(`http://127.0.0.1:${mport}/metrics`);
t.eq(open.status, 200, 'metrics.port: /metrics without a token');
t.ok(/^text\/plain; version=0\.0\.4/.test(open.type), `content type ${open.type}`);
t.eq((await scrape(`${d.url}/metrics`)).status, 401, 'admin port: /metrics needs the token');
const adm = await scrape(`${d.url}/metrics`, auth);
t.eq(adm.status, 200, 'admin port: /metrics with the token');
t.eq((await scrape(`http://127.0.0.1:${mport}/jobs`)).status, 404, 'metrics.port serves nothing else');

const pt = spawnSync('promtool', ['check', 'metrics'], { input: open.text, encoding: 'utf8' });
if (pt.error) t.ok(true, '# SKIP promtool not installed');
else {
  const lines = (pt.stdout + pt.stderr).split('\n').filter(Boolean);
  const other = lines.filter((l) => !/^flink_\S+ metric names should be written in 'snake_case' not 'camelCase'$/.test(l));
  t.eq(other, [], `promtool check metrics: nothing but the camelCase of Flink's names (${lines.length} such)`);
}

// parse samples: name{labels} value
const samples = [...open.text.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/gm)]
  .map((m) => ({ name: m[1], labels: m[2] || '', value: Number(m[3]) }));
const val = (name, job) => samples.filter((s) => s.name === name && s.labels.includes(`job_name="${job}"`))
  .reduce((a, s) => a + s.value, 0);
t.eq([val('flink_taskmanager_job_task_numRecordsIn', 'binance'), val('flink_taskmanager_job_task_numRecordsIn', 'kraken')],
  [900, 600], 'numRecordsIn equals the records produced');
t.eq([val('bronzed_records_committed_total', 'binance'), val('bronzed_records_committed_total', 'kraken')],
  [900, 600], 'bronzed_records_committed_total equals them too');
const lag = samples.filter((s) => s.name === 'bronzed_kafka_lag_records');
t.eq(lag.length, 5, 'lag: one series per partition (3 + 2)');
t.ok(lag.every((s) => s.value === 0), 'lag: 0 once everything is consumed');
t.eq(val('bronzed_freshness_seconds', 'binance') + val('bronzed_freshness_seconds', 'kraken'), 0,
  'freshness: 0 once everything consumed is committed');
t.ok(val('flink_jobmanager_job_numberOfCompletedCheckpoints', 'binance') >= 1, 'completed checkpoints counted');
t.ok(val('bronzed_commit_duration_seconds_count', 'binance') >= 1, 'commit durations observed');
t.ok(samples.some((s) => s.name === 'bronzed_process_resident_memory_bytes' && s.value > 1e6), 'RSS exported');
t.ok(samples.some((s) => s.name === 'flink_jobmanager_numRunningJobs' && s.value === 2), 'two jobs running');
const lat = samples.filter((s) => s.name === 'bronzed_loop_lateness_seconds_bucket').map((s) => s.value);
const latCount = samples.find((s) => s.name === 'bronzed_loop_lateness_seconds_count')?.value;
t.ok(lat.length === 13 && lat.every((v, i) => i === 0 || v >= lat[i - 1]) && lat[12] === latCount && latCount >= 20,
  `loop lateness histogram: cumulative buckets, ${latCount} timer firings`);
const cpuWait = samples.find((s) => s.name === 'bronzed_loop_cpu_wait_seconds_total')?.value;
if (!existsSync('/proc/thread-self/schedstat')) t.ok(true, '# SKIP no schedstat in this kernel');
else t.ok(cpuWait >= 0 && cpuWait < latCount * 0.1 + 1,
  `loop's wait for a CPU: ${cpuWait} s, a counter in seconds (not ns) within the run`);

// Flink REST job metrics
const jm = await (await fetch(`${d.url}/jobs/binance/metrics?get=numRecordsIn,numRestarts,nosuch`, { headers: auth })).json();
t.eq(jm, [{ id: 'numRecordsIn', value: '900' }, { id: 'numRestarts', value: '0' }],
  '/jobs/:id/metrics?get=: values as strings, unknown names dropped');
const ids = await (await fetch(`${d.url}/jobs/binance/metrics`, { headers: auth })).json();
t.ok(ids.length >= 10 && ids.every((o) => typeof o.id === 'string' && !('value' in o)), '/jobs/:id/metrics lists ids');
const agg = await (await fetch(`${d.url}/jobs/metrics?get=numRecordsIn&agg=sum,max`, { headers: auth })).json();
t.eq(agg, [{ id: 'numRecordsIn', max: 900, sum: 1500 }], '/jobs/metrics: numeric aggregates');

// every metric the rules and the dashboard query is exported
const exported = new Set([...open.text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
const used = (text) => new Set([...text.matchAll(/\b((?:flink|bronzed)_[a-zA-Z0-9_]+)/g)].map((m) => m[1].replace(/_(bucket|sum|count)$/, '')));
const rules = used(readFileSync(path.join(srcdir, 'contrib/prometheus/bronzed-rules.yml'), 'utf8'));
t.eq([...rules].filter((n) => !exported.has(n)), [], `the ${rules.size} series the alert rules use are exported`);
const dash = JSON.parse(readFileSync(path.join(srcdir, 'contrib/grafana/bronzed-dashboard.json'), 'utf8'));
const exprs = dash.panels.flatMap((p) => p.targets.map((x) => x.expr)).join('\n');
const inDash = used(exprs);
t.ok(dash.panels.length >= 8 && inDash.size >= 10, `dashboard: ${dash.panels.length} panels over ${inDash.size} series`);
t.eq([...inDash].filter((n) => !exported.has(n)), [], 'every dashboard query names an exported metric');
t.eq(await d.stop(), 0, 'clean stop');

// metrics.flink-names: false: the same series under snake_case names in
// base units, and promtool has nothing at all to say
const d2 = await startDaemon({ config: { ...config, 'metrics.flink-names': 'false' } });
const mport2 = Number(/metrics on http:\/\/\S+:(\d+)\/metrics/.exec(d2.logs())?.[1]);
await produce('binance.raw', tag(sample('binance-trades.jsonl').slice(0, 100), 1));
t.ok(await waitCommitted(60000), 'flink-names off: the new records committed');
await sleep(1500);
const plain = await scrape(`http://127.0.0.1:${mport2}/metrics`);
const pt2 = spawnSync('promtool', ['check', 'metrics'], { input: plain.text, encoding: 'utf8' });
if (pt2.error) t.ok(true, '# SKIP promtool not installed');
else t.eq([pt2.status, (pt2.stdout + pt2.stderr).trim()], [0, ''], 'flink-names off: promtool check metrics reports nothing');
const fams = [...plain.text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);
t.eq(fams.filter((n) => /[a-z][A-Z]/.test(n)), [], 'flink-names off: no camelCase family');
const psamples = [...plain.text.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/gm)]
  .map((m) => ({ name: m[1], labels: m[2] || '', value: Number(m[3]) }));
const pval = (name, job) => psamples.filter((s) => s.name === name && s.labels.includes(`job_name="${job}"`))
  .reduce((a, s) => a + s.value, 0);
t.eq([pval('bronzed_records_in_total', 'binance'), pval('bronzed_records_in_total', 'kraken')], [100, 0],
  'flink-names off: bronzed_records_in_total counts this run\'s records');
t.ok(pval('bronzed_checkpoints_completed_total', 'binance') >= 1, 'flink-names off: completed checkpoints counted');
const dur = pval('bronzed_last_checkpoint_duration_seconds', 'binance');
t.ok(dur > 0 && dur < 60, `flink-names off: last checkpoint duration in seconds (${dur})`);
t.ok(psamples.some((s) => s.name === 'bronzed_running_jobs' && s.value === 2), 'flink-names off: two jobs running');
t.eq(await d2.stop(), 0, 'clean stop (flink-names off)');
await mk.stop();
await t.done();
