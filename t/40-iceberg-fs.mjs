// 40-iceberg-fs.mjs: Iceberg tables written through the filesystem catalog
// (t/helpers/ice-writer: Parquet data files, Avro manifests, metadata
// versions) read back by independent readers: icebird (the whole table,
// every value), DuckDB (the data files, field ids), avsc (every manifest
// and manifest list); then two writers committing to one table at once.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tap } from './lib/tap.mjs';
import { dep, haveDeps } from './lib/deps.mjs';
import { installFileFetch } from './lib/filefetch.mjs';
import { decodeAvro } from './lib/avro.mjs';

const t = tap();
if (!haveDeps()) t.skipAll('test readers not installed (npm ci in t/)');
const run = promisify(execFile);
const builddir = process.env.BRONZE_BUILDDIR || '.';
const writer = path.join(builddir, 't/helpers/ice-writer');
const dir = mkdtempSync(path.join(os.tmpdir(), 'bronze-ice-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
installFileFetch();
const icebird = await dep('icebird');
const duck = await dep('@duckdb/node-api');

const DAY0_US = 1795305600000000n;
const DAY_US = 86400000000n;
const ROWS = 150, COMMITS = 3;

// The row ice-writer writes for writer w, file f, offset off.
function expectRow(w, f, off) {
  const n = (BigInt(2 * w + f) << 32n) + BigInt(off);
  let raw = Buffer.from(`{"n":${n},"p":"${(off % 5000) + 100}.${String(off % 100).padStart(2, '0')}"}`);
  if (off % 7 === 0) raw = Buffer.concat([raw, Buffer.from([0xff, 0xfe])]);
  let headers = null;
  if (off % 3 === 1) headers = {};
  if (off % 3 === 2) {
    headers = { source: 'gen', n: String(off) };
    if (off % 6 === 5) headers.x = null;
  }
  return {
    raw_value: raw,
    message_key: off % 5 === 0 ? null : `k${off % 13}`,
    topic: 'binance.raw',
    kafka_partition: 2 * w + f,
    kafka_offset: BigInt(off),
    kafka_timestamp: off % 4 === 0 ? null : DAY0_US + BigInt(off) * 1000n,
    ingestion_timestamp: DAY0_US + BigInt(f) * DAY_US + BigInt(off) * 1000n,
    headers,
  };
}
const rowKey = (r) => `${r.kafka_partition}/${r.kafka_offset}`;
const us = (d) => (d === null || d === undefined ? null : BigInt(d.getTime()) * 1000n);

async function writeTable(table, w, commits) {
  const { stdout } = await run(writer, [dir, 'market_data', table, String(w), String(commits), String(ROWS)]);
  return stdout.trim().split('\n').map((l) => l.split(' ')[2]);
}

// ---- one writer, three commits ----
const ids = await writeTable('bronze_one', 0, COMMITS);
t.eq(ids.length, COMMITS, `ice-writer committed ${COMMITS} snapshots`);
const tableDir = path.join(dir, 'market_data/bronze_one');
const tableUrl = 'file://' + tableDir;
t.eq(readFileSync(path.join(tableDir, 'metadata/version-hint.text'), 'utf8'), String(COMMITS + 1),
  'version-hint.text holds the newest version, digits only');
const metaText = readFileSync(path.join(tableDir, `metadata/v${COMMITS + 1}.metadata.json`), 'utf8');
t.ok(metaText.includes(`"current-snapshot-id":${ids.at(-1)}`), 'metadata holds the exact 64-bit snapshot id');

const meta = await icebird.icebergMetadata({ tableUrl });
t.eq(meta['format-version'], 2, 'icebird: format-version 2');
t.eq(meta.snapshots.length, COMMITS, 'icebird: one snapshot per commit');
const last = meta.snapshots.at(-1);
t.eq(last.summary['bronzed.kafka-offsets'], `{"binance.raw":{"0":${COMMITS * ROWS},"1":${COMMITS * ROWS}}}`,
  'snapshot summary carries the Kafka offsets');
t.eq(last.summary['total-records'], String(COMMITS * 2 * ROWS), 'summary total-records');
t.eq(last.summary['bronzed.checkpoint-id'], String(COMMITS), 'summary checkpoint id');
t.eq(meta.schemas[0].fields.map((f) => `${f.id}:${f.name}`).join(' '),
  '1:raw_value 2:message_key 3:topic 4:kafka_partition 5:kafka_offset 6:kafka_timestamp 7:ingestion_timestamp 8:headers',
  'schema: the bronze columns with their fixed ids');

const rows = await icebird.icebergRead({ tableUrl });
t.eq(rows.length, COMMITS * 2 * ROWS, `icebird reads ${COMMITS * 2 * ROWS} rows`);
const seen = new Map();
let bad = null;
for (const r of rows) {
  const k = rowKey(r);
  if (seen.has(k)) { bad = bad || `duplicate ${k}`; continue; }
  seen.set(k, r);
  const off = Number(r.kafka_offset), f = r.kafka_partition;
  const e = expectRow(0, f, off);
  const got = {
    raw_value: r.raw_value, message_key: r.message_key, topic: r.topic, kafka_partition: r.kafka_partition,
    kafka_offset: r.kafka_offset, kafka_timestamp: us(r.kafka_timestamp), ingestion_timestamp: us(r.ingestion_timestamp),
    headers: r.headers === undefined ? null : r.headers,
  };
  // icebird decodes binary columns as UTF-8 text: compare the same way
  const want = { ...e, raw_value: e.raw_value.toString('utf8') };
  if (JSON.stringify(got, (k2, v) => (typeof v === 'bigint' ? String(v) : v)) !==
      JSON.stringify(want, (k2, v) => (typeof v === 'bigint' ? String(v) : v)))
    bad = bad || `row ${k}: ${JSON.stringify(got, (k2, v) => (typeof v === 'bigint' ? String(v) : v))}`;
}
t.ok(bad === null, 'icebird: every row once, every value as written', bad);
let missing = 0;
for (let f = 0; f < 2; f++)
  for (let off = 0; off < COMMITS * ROWS; off++) if (!seen.has(`${f}/${off}`)) missing++;
t.eq(missing, 0, 'icebird: no offset missing');

// ---- DuckDB: data files, values and field ids ----
const db = await (await duck.DuckDBInstance.create(':memory:')).connect();
const glob = path.join(tableDir, 'data/*/*.parquet');
const agg = await db.runAndReadAll(`select count(*), count(distinct (kafka_partition, kafka_offset)),
  min(kafka_offset), max(kafka_offset), count(message_key), count(kafka_timestamp)
  from read_parquet('${glob}')`);
const [cnt, distinct, minOff, maxOff, keys, ts] = agg.getRows()[0].map(Number);
t.eq([cnt, distinct, minOff, maxOff], [COMMITS * 2 * ROWS, COMMITS * 2 * ROWS, 0, COMMITS * ROWS - 1],
  'DuckDB: every row once across the data files');
const wantKeys = 2 * [...Array(COMMITS * ROWS).keys()].filter((o) => o % 5 !== 0).length;
const wantTs = 2 * [...Array(COMMITS * ROWS).keys()].filter((o) => o % 4 !== 0).length;
t.eq([keys, ts], [wantKeys, wantTs], 'DuckDB: null keys and timestamps where written');
const raw = await db.runAndReadAll(`select hex(raw_value) from read_parquet('${glob}')
  where kafka_partition = 1 and kafka_offset = 7`);
t.eq(raw.getRows()[0][0], expectRow(0, 1, 7).raw_value.toString('hex').toUpperCase(),
  'DuckDB: binary raw_value byte-exact (non-UTF-8 bytes kept)');
const fids = await db.runAndReadAll(`select distinct name, field_id from parquet_schema('${glob}')
  where field_id is not null order by field_id`);
t.eq(fids.getRows().map(([n, id]) => `${id}:${n}`).slice(0, 8).join(' '),
  '1:raw_value 2:message_key 3:topic 4:kafka_partition 5:kafka_offset 6:kafka_timestamp 7:ingestion_timestamp 8:headers',
  'DuckDB: Parquet field ids match the table schema');

// ---- avsc: manifests and manifest lists ----
const listFile = fileURLToPath(last['manifest-list']);
const list = await decodeAvro(listFile);
t.eq(list.records.length, COMMITS, 'manifest list of the last snapshot names every manifest');
t.eq(list.header['format-version'].toString(), '2', 'manifest list header: format-version');
t.eq(list.header['parent-snapshot-id'].toString(), ids.at(-2), 'manifest list header: parent-snapshot-id');
t.eq(list.records.map((r) => r.sequence_number), [1n, 2n, 3n], 'manifest list: sequence numbers 1..3');
const files = [];
for (const m of list.records) {
  const man = await decodeAvro(fileURLToPath(m.manifest_path));
  t.eq(BigInt(readFileSync(fileURLToPath(m.manifest_path)).length), m.manifest_length,
    `manifest ${path.basename(m.manifest_path)}: manifest_length exact`);
  t.eq(man.header['partition-spec'].toString(),
    '[{"name":"ingestion_timestamp_day","transform":"day","source-id":7,"field-id":1000}]',
    'manifest header: partition-spec');
  t.eq(man.header.content.toString(), 'data', 'manifest header: content data');
  for (const e of man.records) {
    const df = e.data_file;
    files.push(df.file_path);
    const day = df.file_path.includes('2026-11-22') ? 20779 : 20780;
    const vc = Object.fromEntries(df.value_counts.map((x) => [x.key, x.value]));
    const ok = e.status === 1 && df.file_format === 'PARQUET' && df.record_count === BigInt(ROWS) &&
      df.partition.ingestion_timestamp_day === day && vc[5] === BigInt(ROWS) &&
      df.file_size_in_bytes === BigInt(readFileSync(fileURLToPath(df.file_path)).length) &&
      df.split_offsets[0] === 4n && df.lower_bounds.some((b) => b.key === 5) &&
      e.snapshot_id === BigInt(ids[Number(m.sequence_number) - 1]);
    t.ok(ok, `manifest entry ${path.basename(df.file_path)}: status, format, counts, partition, size, bounds`,
      JSON.stringify(df, (k, v) => (typeof v === 'bigint' ? String(v) : v && v.type === 'Buffer' ? 'buf' : v)).slice(0, 800));
  }
}
t.eq(new Set(files).size, COMMITS * 2, 'every data file listed once');

// ---- two writers at once on one table ----
const N = 8;
const [a, b] = await Promise.all([writeTable('bronze_two', 0, N), writeTable('bronze_two', 1, N)]);
t.eq([a.length, b.length], [N, N], `two concurrent writers each committed ${N} times`);
const meta2 = await icebird.icebergMetadata({ tableUrl: 'file://' + path.join(dir, 'market_data/bronze_two') });
t.eq(meta2.snapshots.length, 2 * N, `the table has exactly ${2 * N} snapshots`);
const rows2 = await icebird.icebergRead({ tableUrl: 'file://' + path.join(dir, 'market_data/bronze_two') });
const keys2 = new Set(rows2.map(rowKey));
t.eq([rows2.length, keys2.size], [2 * N * 2 * ROWS, 2 * N * 2 * ROWS],
  'every row of both writers exactly once');
const versions = readdirSync(path.join(dir, 'market_data/bronze_two/metadata')).filter((f) => /^v\d+\.metadata\.json$/.test(f));
t.eq(versions.length, 2 * N + 1, 'one metadata version per commit, plus the creation');
// a commit the other writer beat is refused; its manifest list goes with it
const lists2 = readdirSync(path.join(dir, 'market_data/bronze_two/metadata')).filter((f) => /^snap-.*\.avro$/.test(f));
const attempts = new Set(lists2.map((f) => f.split('-')[1]));
t.diag(`${lists2.length} manifest lists on disk for ${attempts.size} snapshots`);
t.eq(lists2.sort(), meta2.snapshots.map((s) => path.basename(s['manifest-list'])).sort(),
  'manifest lists on disk: exactly those the snapshots name (refused attempts left none)');
await t.done();
