// ingest.mjs: what the daemon end-to-end tests share: produce unique
// records to the mock cluster, wait until the tables' newest snapshots
// carry every produced offset, and check each table holds every produced
// record exactly once (icebird reads the table as an engine would).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const srcdir = process.env.BRONZE_SRCDIR || '.';
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Real exchange messages from contrib/data, one per line.
export const sample = (name) =>
  readFileSync(path.join(srcdir, 'contrib/data', name), 'utf8').trim().split('\n');
// Make lines unique per batch b (so the multiset check is exact).
export const tag = (lines, b) => lines.map((l, i) => l.replace(/^\{/, `{"_b":${b},"_i":${i},`));

// tables: {topic: loadFn} where loadFn() resolves {metadata, tableUrl}
// of the table the topic lands in (or throws while it does not exist).
// duck (optional): @duckdb/node-api; local tables are then also read by
// DuckDB's Parquet reader over the data files the current snapshot lists.
export function ingest({ t, mk, dir, tables, icebird, duck }) {
  const produced = Object.fromEntries(Object.keys(tables).map((tp) => [tp, []]));
  let batch = 0;

  async function produce(topic, lines) {
    const f = path.join(dir, `batch-${batch++}.jsonl`);
    writeFileSync(f, lines.join('\n') + '\n');
    const r = await mk.cmd(`produce ${topic} ${f}`);
    if (r !== `OK ${lines.length}`) throw new Error(`produce: ${r}`);
    produced[topic].push(...lines);
  }
  // Sum over partitions of the offsets the job committed: per partition,
  // the newest snapshot on main's ancestry that names it (instances of a
  // job each record the partitions they own).
  async function committed(topic) {
    try {
      const { metadata: m } = await tables[topic]();
      const byId = new Map(m.snapshots.map((x) => [String(x['snapshot-id']), x]));
      const seen = {};
      for (let s = byId.get(String(m['current-snapshot-id'])); s; s = byId.get(String(s['parent-snapshot-id']))) {
        const o = s.summary['bronzed.kafka-offsets'];
        if (!o) continue;
        for (const [p, v] of Object.entries(JSON.parse(o)[topic] || {})) if (!(p in seen)) seen[p] = Number(v);
      }
      return Object.values(seen).reduce((a, b) => a + b, 0);
    } catch { return 0; }
  }
  async function waitCommitted(ms) {
    const end = Date.now() + ms;
    for (;;) {
      const done = await Promise.all(Object.keys(produced).map(
        async (tp) => (await committed(tp)) >= produced[tp].length));
      if (done.every(Boolean)) return true;
      if (Date.now() > end) return false;
      await sleep(250);
    }
  }
  async function checkExactlyOnce(what) {
    for (const topic of Object.keys(produced)) {
      const { metadata, tableUrl } = await tables[topic]();
      const rows = await icebird.icebergRead({ tableUrl, metadata });
      const keys = new Set(rows.map((r) => `${r.kafka_partition}/${r.kafka_offset}`));
      const got = rows.map((r) => r.raw_value).sort();
      const want = [...produced[topic]].sort();
      t.eq([rows.length, keys.size], [want.length, want.length],
        `${what}: ${topic}: ${want.length} rows, each offset once`);
      t.ok(got.length === want.length && got.every((v, i) => v === want[i]),
        `${what}: ${topic}: raw values equal the produced records`);
      if (duck && tableUrl.startsWith('file:'))
        await checkDuck(what, topic, metadata, want);
    }
  }
  // DuckDB over the live data files: same count, each offset once, values.
  async function checkDuck(what, topic, metadata, want) {
    const paths = await liveDataFiles(icebird, metadata);
    const files = paths.map((f) => `'${f}'`).join(',');
    const db = await (await duck.DuckDBInstance.create(':memory:')).connect();
    const r = await db.runAndReadAll(`select count(*), count(distinct (kafka_partition, kafka_offset)),
      count(distinct raw_value), bool_and(topic = '${topic}') from read_parquet([${files}])`);
    const [n, distinct, values, topicOk] = r.getRows()[0];
    t.eq([Number(n), Number(distinct), Number(values), topicOk], [want.length, want.length, want.length, true],
      `${what}: ${topic}: DuckDB reads ${want.length} rows from ${paths.length} data files, each once`);
    db.closeSync?.();
  }
  return { produced, produce, committed, waitCommitted, checkExactlyOnce };
}

// Local paths of the data files a table's current snapshot lists.
export async function liveDataFiles(icebird, metadata) {
  return (await icebird.icebergManifests(metadata)).flatMap((m) => m.entries)
    .filter((e) => e.status !== 2 && e.data_file.content === 0)
    .map((e) => fileURLToPath(e.data_file.file_path));
}

// A filesystem-catalog table as icebird finds it (version-hint.text).
export function fsTable(icebird, tableUrl) {
  return async () => ({ tableUrl, metadata: await icebird.icebergMetadata({ tableUrl }) });
}

// The two seed jobs (binance, kraken) on the mock cluster mk, with fast
// checkpoints and group timeouts short enough for kill -9 restarts.
export function twoJobs(mk) {
  return {
    'checkpoint.interval': '1s',
    'kafka.bootstrap.servers': mk.bootstrap,
    'kafka.session.timeout.ms': '6000',
    'kafka.heartbeat.interval.ms': '1000',
    'job.binance.source.topic': 'binance.raw',
    'job.binance.sink.table': 'market_data.bronze_binance_trades',
    'job.kraken.source.topic': 'kraken.raw',
    'job.kraken.sink.table': 'market_data.bronze_kraken_trades',
  };
}

// The quickstart's shape: the two seed jobs (twoJobs) on mk, writing a
// local warehouse in dir; extra is more config.  Returns the daemon's
// config and ingest() over both tables.
export function localTwoJobs({ t, mk, dir, icebird, extra = {} }) {
  const tableUrl = (name) => `file://${path.join(dir, 'warehouse/market_data', name)}`;
  const config = { 'state.dir': path.join(dir, 'state'),
    'catalog.warehouse': path.join(dir, 'warehouse'), ...twoJobs(mk), ...extra };
  return { config, ...ingest({ t, mk, dir, icebird, tables: {
    'binance.raw': fsTable(icebird, tableUrl('bronze_binance_trades')),
    'kraken.raw': fsTable(icebird, tableUrl('bronze_kraken_trades')) } }) };
}

// fn() until it gives a truthy value (returned), or null after ms.
export async function until(fn, ms = 30000, every = 200) {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(every)) {
    const v = await fn();
    if (v) return v;
  }
  return null;
}

// The start of every daemon end-to-end test: TAP, skips when a peer is
// missing, the readers, and a temp dir removed at exit (unless
// BRONZE_KEEP_TMP).  s3: install the S3 fetch for this peer, else file:.
export async function e2eSetup(name, { s3 } = {}) {
  const { tap } = await import('./tap.mjs');
  const { dep, haveDeps } = await import('./deps.mjs');
  const { haveMockKafka } = await import('./mockkafka.mjs');
  const t = tap();
  if (!haveDeps()) t.skipAll('test readers not installed (npm ci in t/)');
  if (!haveMockKafka()) t.skipAll('bronze-mockkafka not built');
  if (s3) {
    const { installS3Fetch } = await import('./s3.mjs');
    installS3Fetch(s3);
  } else {
    const { installFileFetch } = await import('./filefetch.mjs');
    installFileFetch();
  }
  const icebird = await dep('icebird');
  const duck = await dep('@duckdb/node-api');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const os = (await import('node:os')).default;
  const dir = mkdtempSync(path.join(os.tmpdir(), `bronze-${name}-`));
  process.on('exit', () => { if (!process.env.BRONZE_KEEP_TMP) rmSync(dir, { recursive: true, force: true }); });
  return { t, icebird, duck, dir };
}
