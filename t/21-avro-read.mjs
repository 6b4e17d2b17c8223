// 21-avro-read.mjs: Avro container files written by src/avro.c (through
// t/helpers/avro-gen) decoded by avsc: every record, every header key, and
// the sync marker after every block.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tap } from './lib/tap.mjs';
import { haveDeps } from './lib/deps.mjs';
import { decodeAvro as decode } from './lib/avro.mjs';

const t = tap();
if (!haveDeps()) t.skipAll('test readers not installed (npm ci in t/)');
const builddir = process.env.BRONZE_BUILDDIR || '.';
const dir = mkdtempSync(path.join(os.tmpdir(), 'bronze-avro-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const SNAP_BASE = 3051729675574597004n;
const INT64_MAX = 9223372036854775807n;
function zigzag(buf, pos) {
  let shift = 0n, v = 0n, b;
  do { b = buf[pos.i++]; v |= BigInt(b & 0x7f) << shift; shift += 7n; } while (b & 0x80);
  return (v >> 1n) ^ -(v & 1n);
}

// Walk the container by hand: header map, then blocks, each ending in sync.
function blocks(buf) {
  const pos = { i: 4 };
  const skip = () => { const n = Number(zigzag(buf, pos)); pos.i += n; };
  for (let n = zigzag(buf, pos); n !== 0n; n = zigzag(buf, pos)) {
    if (n < 0n) { n = -n; zigzag(buf, pos); }
    for (let k = 0n; k < n; k++) { skip(); skip(); }
  }
  const sync = buf.subarray(pos.i, pos.i + 16);
  pos.i += 16;
  const counts = [];
  let syncsOk = true;
  while (pos.i < buf.length) {
    counts.push(Number(zigzag(buf, pos)));
    skip();
    syncsOk &&= buf.subarray(pos.i, pos.i + 16).equals(sync);
    pos.i += 16;
  }
  return { counts, sync, syncsOk, end: pos.i === buf.length };
}

function expectList(i) {
  return {
    manifest_path: `s3://w/t/metadata/m${i}.avro`,
    manifest_length: BigInt(i) * 1000n + 7n,
    partition_spec_id: 0,
    content: i % 2,
    sequence_number: BigInt(i + 1),
    added_snapshot_id: SNAP_BASE + BigInt(i),
    added_files_count: -i,
    partitions: i % 3 === 0 ? null : [{
      contains_null: i % 2 === 0,
      contains_nan: i % 4 === 0 ? null : false,
      lower_bound: Buffer.from([i & 0xff, 0x4f, 0, 0]),
    }],
    ratio: i / 8,
    key_metadata: null,
  };
}

function expectEntry(i) {
  return {
    status: 1,
    snapshot_id: INT64_MAX - BigInt(i),
    data_file: {
      file_path: `file:/w/t/data/ingestion_timestamp_day=2026-11-22/${String(i).padStart(5, '0')}.parquet`,
      partition: { ingestion_timestamp_day: 20414 + i },
      record_count: BigInt(i * 10),
      column_sizes: [1, 2, 3, 4, 5, 6, 7, 8].map((f) => ({ key: f, value: BigInt(f * 100 + i) })),
      lower_bounds: [{ key: 1, value: Buffer.from([0, 0xff, i & 0xff]) }],
      split_offsets: [4n],
    },
  };
}

// avsc returns records as class instances; compare as plain data.
const plain = (r) => JSON.parse(JSON.stringify(r, (k, v) =>
  typeof v === 'bigint' ? `n${v}` : v?.type === 'Buffer' ? `b${Buffer.from(v.data).toString('hex')}` : v));

const gen = execFileSync(path.join(builddir, 't/helpers/avro-gen'), [dir], { encoding: 'utf8' });
t.ok(/list-null\.avro 1000/.test(gen), 'avro-gen wrote the files', gen);

const cases = [
  ['list-null.avro', 'null', 1000, expectList],
  ['list-deflate.avro', 'deflate', 1000, expectList],
  ['entries.avro', 'deflate', 50, expectEntry],
  ['empty.avro', 'deflate', 0, expectEntry],
];
for (const [name, codec, n, expect] of cases) {
  const file = path.join(dir, name);
  const got = await decode(file);
  t.eq(got.codec, codec, `${name}: codec ${codec}`);
  t.eq(got.records.length, n, `${name}: ${n} records`);
  let bad = -1;
  for (let i = 0; i < got.records.length && bad < 0; i++)
    if (JSON.stringify(plain(got.records[i])) !== JSON.stringify(plain(expect(i)))) bad = i;
  t.ok(bad < 0, `${name}: every record equal`, bad < 0 ? undefined :
    `record ${bad}: ${JSON.stringify(plain(got.records[bad]))}\nwant ${JSON.stringify(plain(expect(bad)))}`);
  const h = got.header;
  t.eq(h['format-version']?.toString(), '2', `${name}: header format-version`);
  t.eq(h.content?.toString(), 'data', `${name}: header content`);
  t.eq(h['partition-spec']?.toString(),
    '[{"name":"ingestion_timestamp_day","transform":"day","source-id":7,"field-id":1000}]',
    `${name}: header partition-spec verbatim`);
  const schema = JSON.parse(h['avro.schema'].toString());
  t.ok(JSON.stringify(schema).includes('"field-id"'), `${name}: schema keeps field-id annotations`);
  const b = blocks(readFileSync(file));
  t.ok(b.syncsOk && b.end && b.sync.equals(got.sync),
    `${name}: the header's sync marker after each of ${b.counts.length} blocks`);
  t.eq(b.counts.reduce((a, c) => a + c, 0), n, `${name}: block counts add up`);
  if (name === 'list-null.avro') t.ok(b.counts.length > 10, 'list-null.avro: cut into many blocks');
  if (name === 'empty.avro') t.eq(b.counts.length, 0, 'empty.avro: no block at all');
}
await t.done();
