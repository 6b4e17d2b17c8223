// restcatalog-e2e.mjs: proof that a table created and committed through the
// REST catalog test server is a real Iceberg table: a Parquet data file
// written by DuckDB (with field ids), a manifest and a manifest list written
// with avsc in the Iceberg v2 Avro schemas, one commit through the catalog,
// then icebird reads the rows back from the files the catalog wrote.
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { dep } from '../lib/deps.mjs';
import { installFileFetch } from '../lib/filefetch.mjs';

const NS = '/v1/namespaces/market_data/tables';
const SNAP = 6447922032991303611n;
const DAY = 20473;  /* 2026-01-20 */
const ROWS = [[0, 'a'], [1, 'b'], [2, 'c']];


// An avsc long that keeps int64 values exact as BigInt.
function exactLong(avro) {
  return avro.types.LongType.__with({
    fromBuffer: (b) => b.readBigInt64LE(),
    toBuffer: (n) => { const b = Buffer.alloc(8); b.writeBigInt64LE(BigInt(n)); return b; },
    fromJSON: BigInt, toJSON: Number,
    isValid: (n) => typeof n === 'bigint' || Number.isInteger(n),
    compare: (a, b) => (a < b ? -1 : a > b ? 1 : 0),
  });
}

// Write an Avro object container file; resolves when it is on disk.
function writeAvro(avro, file, schema, records, meta) {
  const type = avro.Type.forSchema(schema, { registry: { long: exactLong(avro) } });
  const metadata = Object.fromEntries(Object.entries(meta).map(([k, v]) => [k, Buffer.from(v)]));
  return new Promise((resolve, reject) => {
    const enc = avro.createFileEncoder(file, type, { codec: 'null', metadata });
    enc.on('error', reject);
    enc.on('finish', () => setTimeout(resolve, 50));
    for (const r of records) enc.write(r);
    enc.end();
  });
}

const opt = (type, id, name) => ({ name, type: ['null', type], default: null, 'field-id': id });
const countMap = (id, k, v, vt) => opt({ type: 'array', logicalType: 'map', items: { type: 'record', name: `k${k}_v${v}`,
  fields: [{ name: 'key', type: 'int', 'field-id': k }, { name: 'value', type: vt, 'field-id': v }] } }, id);

// Manifest entry schema for a one-field day partition (field id pid).
function entrySchema(pname, pid) {
  return { type: 'record', name: 'manifest_entry', fields: [
    { name: 'status', type: 'int', 'field-id': 0 }, opt('long', 1, 'snapshot_id'),
    opt('long', 3, 'sequence_number'), opt('long', 4, 'file_sequence_number'),
    { name: 'data_file', 'field-id': 2, type: { type: 'record', name: 'r2', fields: [
      { name: 'content', type: 'int', 'field-id': 134 }, { name: 'file_path', type: 'string', 'field-id': 100 },
      { name: 'file_format', type: 'string', 'field-id': 101 },
      { name: 'partition', 'field-id': 102, type: { type: 'record', name: 'r102',
        fields: [opt({ type: 'int', logicalType: 'date' }, pid, pname)] } },
      { name: 'record_count', type: 'long', 'field-id': 103 }, { name: 'file_size_in_bytes', type: 'long', 'field-id': 104 },
      { ...countMap(108, 117, 118, 'long'), name: 'column_sizes' }, { ...countMap(109, 119, 120, 'long'), name: 'value_counts' },
      { ...countMap(110, 121, 122, 'long'), name: 'null_value_counts' },
      { ...countMap(137, 138, 139, 'long'), name: 'nan_value_counts' },
      { ...countMap(125, 126, 127, 'bytes'), name: 'lower_bounds' }, { ...countMap(128, 129, 130, 'bytes'), name: 'upper_bounds' },
      opt('bytes', 131, 'key_metadata'), opt({ type: 'array', items: 'long', 'element-id': 133 }, 132, 'split_offsets'),
      opt({ type: 'array', items: 'int', 'element-id': 136 }, 135, 'equality_ids'), opt('int', 140, 'sort_order_id')] } }] };
}

const LIST_SCHEMA = { type: 'record', name: 'manifest_file', fields: [
  ['manifest_path', 'string', 500], ['manifest_length', 'long', 501], ['partition_spec_id', 'int', 502],
  ['content', 'int', 517], ['sequence_number', 'long', 515], ['min_sequence_number', 'long', 516],
  ['added_snapshot_id', 'long', 503], ['added_files_count', 'int', 504], ['existing_files_count', 'int', 505],
  ['deleted_files_count', 'int', 506], ['added_rows_count', 'long', 512], ['existing_rows_count', 'long', 513],
  ['deleted_rows_count', 'long', 514]].map(([name, type, id]) => ({ name, type, 'field-id': id })).concat([
  opt({ type: 'array', 'element-id': 508, items: { type: 'record', name: 'r508', fields: [
    { name: 'contains_null', type: 'boolean', 'field-id': 509 }, opt('boolean', 518, 'contains_nan'),
    opt('bytes', 510, 'lower_bound'), opt('bytes', 511, 'upper_bound')] } }, 507, 'partitions'),
  opt('bytes', 519, 'key_metadata')]) };

// Write the Parquet file with DuckDB, ids taken from the catalog's schema.
async function writeParquet(file, ids) {
  const { DuckDBInstance } = await dep('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const values = ROWS.map(([o, v]) => `('${v}'::BLOB, NULL::BLOB, 'binance.raw', 0, ${o}::BIGINT, ` +
    `TIMESTAMPTZ '2026-01-20 12:00:00+00', TIMESTAMPTZ '2026-01-20 12:00:01+00')`).join(',');
  const cols = ['raw_value', 'message_key', 'topic', 'kafka_partition', 'kafka_offset', 'kafka_timestamp', 'ingestion_timestamp'];
  const fid = cols.map((c) => `${c}: ${ids[c]}`).join(', ');
  await conn.run(`COPY (SELECT * FROM (VALUES ${values}) v(${cols.join(', ')})) TO '${file}' (FORMAT parquet, FIELD_IDS {${fid}})`);
  conn.closeSync?.();
}

// Create table e2e, write its files, commit, read it back with icebird.
export async function icebirdCheck(t, base, call) {
  let icebird, avro;
  try {
    icebird = await dep('icebird');
    avro = (await dep('avsc')).default;
  } catch (e) {
    t.diag(`icebird end-to-end check skipped: ${e.message}`);
    return;
  }
  const schema = { type: 'struct', fields: [['raw_value', 'binary', false], ['message_key', 'binary', false],
    ['topic', 'string', true], ['kafka_partition', 'int', true], ['kafka_offset', 'long', true],
    ['kafka_timestamp', 'timestamptz', false], ['ingestion_timestamp', 'timestamptz', true]]
    .map(([name, type, required], k) => ({ id: k + 1, name, type, required })) };
  const cr = await call(base, 'POST', NS, { name: 'e2e', schema,
    'partition-spec': { fields: [{ name: 'ingestion_timestamp_day', transform: 'day', 'source-id': 7 }] } });
  t.eq(cr.status, 200, 'e2e: table created through the catalog');
  const m = cr.json.metadata;
  const ids = Object.fromEntries(m.schemas[0].fields.map((f) => [f.name, f.id]));
  const spec = m['partition-specs'][0];
  const loc = m.location, dir = fileURLToPath(loc);
  const rel = `data/${spec.fields[0].name}=2026-01-20/00000-0-${randomUUID()}.parquet`;
  mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  await writeParquet(path.join(dir, rel), ids);
  const size = statSync(path.join(dir, rel)).size;
  const counts = (v) => Object.values(ids).map((id) => ({ key: id, value: v(id) }));
  const manifest = `metadata/${randomUUID()}-m0.avro`;
  await writeAvro(avro, path.join(dir, manifest), entrySchema(spec.fields[0].name, spec.fields[0]['field-id']), [{
    status: 1, snapshot_id: SNAP, sequence_number: null, file_sequence_number: null, data_file: {
      content: 0, file_path: `${loc}/${rel}`, file_format: 'PARQUET', partition: { [spec.fields[0].name]: DAY },
      record_count: ROWS.length, file_size_in_bytes: size, column_sizes: null, value_counts: counts(() => ROWS.length),
      null_value_counts: counts((id) => (id === ids.message_key ? ROWS.length : 0)), nan_value_counts: null,
      lower_bounds: null, upper_bounds: null, key_metadata: null, split_offsets: null, equality_ids: null, sort_order_id: 0 } }],
  { schema: JSON.stringify(m.schemas[0]), 'schema-id': '0', 'partition-spec': JSON.stringify(spec.fields),
    'partition-spec-id': String(spec['spec-id']), 'format-version': '2', content: 'data' });
  const le32 = Buffer.alloc(4);
  le32.writeInt32LE(DAY);
  const list = `metadata/snap-${SNAP}-1-${randomUUID()}.avro`;
  await writeAvro(avro, path.join(dir, list), LIST_SCHEMA, [{
    manifest_path: `${loc}/${manifest}`, manifest_length: statSync(path.join(dir, manifest)).size,
    partition_spec_id: spec['spec-id'], content: 0, sequence_number: 1, min_sequence_number: 1, added_snapshot_id: SNAP,
    added_files_count: 1, existing_files_count: 0, deleted_files_count: 0, added_rows_count: ROWS.length,
    existing_rows_count: 0, deleted_rows_count: 0,
    partitions: [{ contains_null: false, contains_nan: false, lower_bound: le32, upper_bound: le32 }], key_metadata: null }],
  { 'snapshot-id': String(SNAP), 'parent-snapshot-id': 'null', 'sequence-number': '1', 'format-version': '2' });
  const commit = await call(base, 'POST', `${NS}/e2e`, {
    requirements: [{ type: 'assert-table-uuid', uuid: m['table-uuid'] }, { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null }],
    updates: [{ action: 'add-snapshot', snapshot: { 'snapshot-id': SNAP, 'sequence-number': 1, 'timestamp-ms': Date.now(),
      'manifest-list': `${loc}/${list}`, 'schema-id': 0, summary: { operation: 'append', 'added-data-files': '1',
        'added-records': String(ROWS.length), 'added-files-size': String(size), 'total-records': String(ROWS.length) } } },
    { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': SNAP }] });
  t.eq(commit.status, 200, 'e2e: append committed through the catalog');
  const restore = installFileFetch();
  try {
    const meta = await icebird.icebergMetadata({ tableUrl: loc });
    t.eq(meta['table-uuid'], m['table-uuid'], 'e2e: icebird finds the catalog\'s metadata through version-hint.text');
    const rows = await icebird.icebergRead({ tableUrl: loc });
    const got = rows.map((r) => [Number(r.kafka_offset), typeof r.raw_value === 'string' ? r.raw_value :
      Buffer.from(r.raw_value).toString(), r.topic, r.kafka_partition]);
    t.eq(got, ROWS.map(([o, v]) => [o, v, 'binance.raw', 0]), 'e2e: icebird reads the committed rows back');
  } catch (e) {
    t.ok(false, 'e2e: icebird reads the table', e.stack);
  } finally {
    restore();
  }
}
