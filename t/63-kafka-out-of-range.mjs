// 63-kafka-out-of-range.mjs: the table's position is no longer in Kafka.
//  1. Retention: while the daemon is stopped, one of two partitions grows
//     past what the broker keeps (the mock trims a partition's log past
//     ~5 MB), so the records after its committed offset are gone.  The job
//     goes on from the oldest record left, says which offsets it could not
//     read (an exception, bronzed_kafka_offsets_gone_total, the log) and
//     keeps every record still there, each once; the other partition reads
//     on untouched.
//  2. The topic is created again (a new cluster, offsets from 0): nothing
//     is written (the old position would have dropped the new records as
//     already read, or mixed two histories under the same offsets); the
//     job fails with a reason that names the way out, and a new table
//     takes the records.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startDaemon } from './lib/daemon.mjs';
import { startMockKafka } from './lib/mockkafka.mjs';
import { e2eSetup, sample, sleep, tag, until } from './lib/ingest.mjs';

const { t, icebird, dir } = await e2eSetup('out-of-range');
const lines = sample('binance-trades.jsonl');
const tableUrl = (name) => `file://${path.join(dir, 'warehouse/market_data', name)}`;
const config = (mk, table = 'bronze_trades') => ({
  'state.dir': path.join(dir, 'state'), 'catalog.warehouse': path.join(dir, 'warehouse'),
  'checkpoint.interval': '1s', 'kafka.bootstrap.servers': mk.bootstrap,
  'kafka.session.timeout.ms': '3000', 'kafka.heartbeat.interval.ms': '500',
  'job.trades.source.topic': 'trades', 'job.trades.sink.table': `market_data.${table}`,
});
// n records (of batch b) round-robin, or with key all on one partition,
// each padded to about pad bytes
async function produce(mk, n, b, { pad = 0, key } = {}) {
  const f = path.join(dir, `in-${b}.jsonl`);
  const out = [];
  const fill = (pad > 0 ? `"pad":"${'x'.repeat(pad)}",` : '') + (key ? `"key":"${key}",` : '');
  for (let i = 0; i < n; i += lines.length)
    out.push(...tag(lines.slice(0, Math.min(lines.length, n - i)), b * 100000 + i).map((l) => l.replace('{', `{${fill}`)));
  writeFileSync(f, out.join('\n') + '\n');
  t.eq(await mk.cmd(`produce trades ${f}${key ? ' key' : ''}`), `OK ${n}`, `produced ${n} records${key ? ', one key' : ''}`);
}
// the table's offsets by partition, sorted
async function rows(name = 'bronze_trades') {
  const url = tableUrl(name);
  const by = {};
  try {
    const metadata = await icebird.icebergMetadata({ tableUrl: url });
    for (const r of await icebird.icebergRead({ tableUrl: url, metadata }))
      (by[r.kafka_partition] ??= []).push(Number(r.kafka_offset));
  } catch { /* no table yet */ }
  for (const o of Object.values(by)) o.sort((a, b) => a - b);
  return by;
}
const count = (by) => Object.values(by).reduce((n, o) => n + o.length, 0);
const ends = (by) => Object.values(by).reduce((n, o) => n + (o.length ? o[o.length - 1] + 1 : 0), 0);
const json = async (d, p) => (await fetch(`${d.url}${p}`)).json();
const exceptions = async (d) => (await json(d, '/jobs/trades/exceptions')).exceptionHistory.entries;
const range = (a, b) => Array.from({ length: b - a }, (_, i) => a + i);
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

// 1. retention: one of two partitions trimmed past the position
const mk = await startMockKafka({ brokers: 1, topics: [{ name: 'trades', partitions: 2 }] });
await produce(mk, 300, 0);
let d = await startDaemon({ config: config(mk) });
t.ok(await until(async () => count(await rows()) === 300, 60000), 'the first 300 records committed');
t.eq(await d.stop(), 0, 'stopped');
await produce(mk, 7000, 1, { pad: 900, key: 'one' });	// ~7.5 MB in one partition: its oldest are trimmed
await produce(mk, 2000, 2);	// and more for both
const total = Number((await mk.cmd('count trades')).split(' ')[1]);
d = await startDaemon({ config: config(mk) });
t.ok(await until(async () => ends(await rows()) === total, 90000),
  'the job goes on to the newest record of both partitions');
const by = await rows();
const x = Object.keys(by).find((p) => by[p].length < by[p][by[p].length - 1] + 1);
const y = Object.keys(by).find((p) => p !== x);
const first = by[x]?.find((o) => o >= 150);
t.ok(x !== undefined && first > 150 && same(by[x], [...range(0, 150), ...range(first, by[x][by[x].length - 1] + 1)]),
  `partition ${x}: offsets 0-149, then every one from ${first} (150-${first - 1} were trimmed), each once`);
t.ok(same(by[y] ?? [], range(0, 1150)), `partition ${y} (read on while ${x} was fetched again): offsets 0-1149, each once`);
const ex = await exceptions(d);
t.ok(ex.some((e) => e.exceptionName === 'KafkaRecordsGone' &&
  e.stacktrace.includes(`trades [${x}]: offsets 150 to ${first - 1} were no longer in Kafka`)),
  'an exception names the partition and the offsets that could not be read', JSON.stringify(ex.map((e) => e.stacktrace)));
const metrics = await (await fetch(`${d.url}/metrics`)).text();
t.ok(new RegExp(`bronzed_kafka_offsets_gone_total\\{[^}]*job_name="trades"[^}]*\\} ${first - 150}\\b`).test(metrics),
  `bronzed_kafka_offsets_gone_total is ${first - 150}`, metrics.split('\n').filter((l) => /gone/.test(l)).join('\n'));
t.ok(/offsets 150 to \d+ left Kafka before they were read/.test(d.logs()), 'the log says so too');
t.eq(await d.stop(), 0, 'stopped');
await mk.stop();

// 2. the topic created again: a new cluster, offsets from 0
const mk2 = await startMockKafka({ brokers: 1, topics: [{ name: 'trades', partitions: 2 }] });
await produce(mk2, 100, 3);
const before = count(await rows());
d = await startDaemon({ config: config(mk2) });
t.ok(await until(async () => (await exceptions(d)).some((e) => e.exceptionName === 'KafkaFatalError' &&
  /created again/.test(e.stacktrace)), 30000), 'the job fails: the topic was created again');
const why = (await exceptions(d)).find((e) => /created again/.test(e.stacktrace))?.stacktrace ?? '';
t.ok(/below offset \d{3,}/.test(why) && why.includes('starts the partition at 0') && why.includes('new table'),
  'the reason gives both positions and the way out', why);
await sleep(1500);
t.eq(count(await rows()), before, 'nothing of the new topic was written to the old table');
t.eq(await d.stop(), 0, 'stopped');
d = await startDaemon({ config: config(mk2, 'bronze_trades_v2') });
t.ok(await until(async () => count(await rows('bronze_trades_v2')) === 100, 30000),
  'a new table takes the new topic\'s 100 records');
t.eq(await d.stop(), 0, 'stopped');
await mk2.stop();
await t.done();
