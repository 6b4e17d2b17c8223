// 20-parquet-read.mjs: files written by the Parquet writer (t/helpers/pq-gen)
// read back with DuckDB and hyparquet: every value row by row, types,
// field ids, statistics, codecs, row groups, and the writer's Iceberg
// metrics recomputed here from the expected rows.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tap } from './lib/tap.mjs';
import { dep, haveDeps } from './lib/deps.mjs';

const t = tap();
if (!haveDeps()) t.skipAll('test readers not installed (npm ci in t/)');
const build = process.env.BRONZE_BUILDDIR || '.';
const gen = path.join(build, 't', 'helpers', 'pq-gen');
const { DuckDBInstance } = await dep('@duckdb/node-api');
const { parquetReadObjects, parquetMetadata } = await dep('hyparquet');
const { compressors } = await dep('hyparquet-compressors');

const dir = mkdtempSync(path.join(os.tmpdir(), 'pq-read-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
execFileSync(gen, [dir], { timeout: 30000 });
const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
const con = await inst.connect();
const q = async (sql) => (await con.runAndReadAll(sql)).getRowsJson();

const CODEC = { 0: 'UNCOMPRESSED', 1: 'SNAPPY', 6: 'ZSTD' };
const DUCK_TYPE = { int32: 'INTEGER', int64: 'BIGINT', string: 'VARCHAR',
  binary: 'BLOB', timestamptz: 'TIMESTAMP WITH TIME ZONE',
  map: 'MAP(VARCHAR, BLOB)' };

// DuckDB select list giving the sidecar's JSON row format.
function duckExpr(c) {
  const n = `"${c.name}"`;
  switch (c.type) {
    case 'int64': return `${n}::VARCHAR`;
    case 'timestamptz': return `epoch_us(${n})::VARCHAR`;
    case 'binary': return `to_base64(${n})`;
    case 'map': return `CASE WHEN ${n} IS NULL THEN NULL ELSE ` +
      `list_transform(map_entries(${n}), e -> [e.key, to_base64(e.value)]) END`;
    default: return n;
  }
}

const b64 = (u) => u == null ? null : Buffer.from(u).toString('base64');

// hyparquet values to the sidecar's JSON row format.
function hyValue(c, v) {
  if (v === undefined || v === null) return null;
  switch (c.type) {
    case 'int64': case 'timestamptz': return String(v);
    case 'binary': return b64(v);
    case 'string': return typeof v === 'string' ? v : Buffer.from(v).toString('utf8');
    case 'map': return Object.entries(v).map(([k, x]) => [k, b64(x)]);
    default: return v;
  }
}

// Leaves (id, type, map child?) and their per-row level view.
function leaves(schema) {
  const out = [];
  schema.forEach((c, i) => {
    if (c.type !== 'map') out.push({ id: c.id, type: c.type, col: i });
    else {
      out.push({ id: c.key_id, type: 'string', col: i, part: 0 });
      out.push({ id: c.value_id, type: 'binary', col: i, part: 1 });
    }
  });
  return out;
}

function leEncode(v, n) {
  const b = Buffer.alloc(n);
  if (n === 4) b.writeInt32LE(v); else b.writeBigInt64LE(BigInt(v));
  return b.toString('hex');
}

function bumpBytes(b) {
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i] !== 0xff) return Buffer.concat([b.subarray(0, i), Buffer.from([b[i] + 1])]);
  }
  return null;
}

// Iceberg truncate(16) bounds, computed independently of the writer.
function bound(type, bytes, upper) {
  if (type === 'string') {
    const cps = Array.from(bytes.toString('utf8'));
    if (cps.length <= 16) return bytes.toString('hex');
    const cut = cps.slice(0, 16);
    if (!upper) return Buffer.from(cut.join('')).toString('hex');
    for (let i = 15; i >= 0; i--) {
      let cp = cut[i].codePointAt(0) + 1;
      if (cp === 0xd800) cp = 0xe000;
      if (cp <= 0x10ffff) {
        return Buffer.from(cut.slice(0, i).join('') + String.fromCodePoint(cp)).toString('hex');
      }
    }
    return null;
  }
  if (bytes.length <= 16) return bytes.toString('hex');
  const cut = bytes.subarray(0, 16);
  if (!upper) return Buffer.from(cut).toString('hex');
  const b = bumpBytes(Buffer.from(cut));
  return b ? b.toString('hex') : null;
}

const asBytes = (type, v) => type === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v, 'base64');

// Expected Iceberg metrics of one leaf over the given rows.
function leafMetrics(leaf, rows) {
  let values = 0, nulls = 0, lo = null, hi = null;
  const fold = (v) => {
    if (leaf.type === 'int32') {
      if (lo === null || v < lo) lo = v;
      if (hi === null || v > hi) hi = v;
    } else if (leaf.type === 'int64' || leaf.type === 'timestamptz') {
      const x = BigInt(v);
      if (lo === null || x < lo) lo = x;
      if (hi === null || x > hi) hi = x;
    } else {
      const b = asBytes(leaf.type, v);
      if (lo === null || Buffer.compare(b, lo) < 0) lo = b;
      if (hi === null || Buffer.compare(b, hi) > 0) hi = b;
    }
  };
  for (const r of rows) {
    const v = r[leaf.col];
    if (leaf.part === undefined) {
      values++;
      if (v === null) nulls++; else fold(v);
    } else if (v === null || v.length === 0) {
      values++; nulls++;
    } else {
      values += v.length;
      if (leaf.part === 1) nulls += v.filter((e) => e[1] === null).length;
    }
  }
  let lower = null, upper = null;
  if (lo !== null && leaf.part === undefined) {
    if (leaf.type === 'int32') { lower = leEncode(lo, 4); upper = leEncode(hi, 4); }
    else if (typeof lo === 'bigint') { lower = leEncode(lo, 8); upper = leEncode(hi, 8); }
    else {
      lower = bound(leaf.type, lo, false); upper = bound(leaf.type, hi, true);
      if (upper === null) lower = null;
    }
  }
  return { id: leaf.id, values, nulls, lower, upper, lo, hi };
}

const names = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
t.ok(names.length >= 10, `pq-gen wrote ${names.length} scenarios`);
t.ok(names.includes('bronze'), 'the bronze schema is a scenario');

for (const name of names) {
  const side = JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8'));
  const file = path.join(dir, `${name}.parquet`);
  const fsql = `'${file}'`;
  const rows = side.rows, m = side.metrics, schema = side.schema;

  // DuckDB: values row by row, in order.
  const got = await q(`SELECT ${schema.map(duckExpr).join(', ')} FROM read_parquet(${fsql})`);
  t.eq(got.length, rows.length, `${name}: duckdb row count`);
  let bad = -1;
  for (let i = 0; i < rows.length && bad < 0; i++) {
    if (JSON.stringify(got[i]) !== JSON.stringify(rows[i])) bad = i;
  }
  t.ok(bad < 0, `${name}: duckdb values of all ${rows.length} rows`,
    bad < 0 ? undefined : `row ${bad}\ngot:  ${JSON.stringify(got[bad]).slice(0, 600)}\nwant: ${JSON.stringify(rows[bad]).slice(0, 600)}`);

  const types = (await q(`DESCRIBE SELECT * FROM read_parquet(${fsql})`)).map((r) => [r[0], r[1]]);
  t.eq(types, schema.map((c) => [c.name, DUCK_TYPE[c.type]]), `${name}: duckdb types`);

  // Field ids on every column element (not the root nor key_value).
  const ps = await q(`SELECT name, field_id FROM parquet_schema(${fsql})`);
  const wantIds = [['table', null]];
  for (const c of schema) {
    wantIds.push([c.name, String(c.id)]);
    if (c.type === 'map') wantIds.push(['key_value', null], ['key', String(c.key_id)], ['value', String(c.value_id)]);
  }
  t.eq(ps, wantIds, `${name}: parquet_schema field ids`);

  // Footer key/value metadata (iceberg.schema) and created_by.
  const kv = await q(`SELECT decode(key), decode(value) FROM parquet_kv_metadata(${fsql})`);
  t.eq(kv, side.kv, `${name}: key_value_metadata`);
  const fm = await q(`SELECT created_by, num_rows::INTEGER, format_version FROM parquet_file_metadata(${fsql})`);
  t.ok(/^bronzed version /.test(fm[0][0]) && fm[0][1] === rows.length && String(fm[0][2]) === '1',
    `${name}: created_by, num_rows, version`, JSON.stringify(fm));

  // Row groups, codecs, sizes and statistics from parquet_metadata().
  const md = await q(`SELECT row_group_id, row_group_num_rows, column_id, num_values,
      stats_null_count, stats_min_value, stats_max_value, compression,
      total_compressed_size, coalesce(dictionary_page_offset, data_page_offset), encodings
      FROM parquet_metadata(${fsql}) ORDER BY row_group_id, column_id`);
  const lv = leaves(schema);
  const nrg = m.split_offsets.length;
  t.eq(md.length, nrg * lv.length, `${name}: ${nrg} row groups x ${lv.length} chunks`);
  t.ok(md.every((r) => r[7] === CODEC[side.codec]), `${name}: codec ${CODEC[side.codec]} on every chunk`);
  const rgStarts = [], rgRows = [];
  for (let g = 0; g < nrg; g++) {
    const chunks = md.filter((r) => Number(r[0]) === g);
    rgStarts.push(Math.min(...chunks.map((r) => Number(r[9]))));
    rgRows.push(Number(chunks[0][1]));
  }
  t.eq(rgStarts, m.split_offsets, `${name}: split_offsets are the row group starts`);
  t.eq(rgRows.reduce((a, b) => a + b, 0), rows.length, `${name}: row group rows add up`);
  t.eq(m.record_count, rows.length, `${name}: record_count`);
  t.eq(m.file_size, statSync(file).size, `${name}: file_size_in_bytes`);

  // Chunk statistics against the rows of each row group.
  let statBad = null, start = 0;
  for (let g = 0; g < nrg && !statBad; g++) {
    const part = rows.slice(start, start + rgRows[g]);
    start += rgRows[g];
    lv.forEach((leaf, k) => {
      const r = md[g * lv.length + k], e = leafMetrics(leaf, part);
      if (Number(r[3]) !== e.values || Number(r[4]) !== e.nulls) statBad ??= `rg ${g} leaf ${leaf.id}: counts ${r[3]}/${r[4]} want ${e.values}/${e.nulls}`;
      if ((leaf.type === 'int32' || leaf.type === 'int64') && e.lo !== null &&
          (r[5] !== String(e.lo) || r[6] !== String(e.hi))) statBad ??= `rg ${g} leaf ${leaf.id}: min/max ${r[5]}/${r[6]} want ${e.lo}/${e.hi}`;
      if (leaf.type === 'string' && leaf.part === undefined && e.lo !== null && e.hi.length <= 1024 &&
          (r[5] !== e.lo.toString('utf8') || r[6] !== e.hi.toString('utf8'))) statBad ??= `rg ${g} leaf ${leaf.id}: string min/max ${r[5]}/${r[6]}`;
    });
  }
  t.ok(!statBad, `${name}: chunk statistics (null counts, value counts, min/max)`, statBad ?? undefined);

  // Iceberg metrics reported by the writer.
  const want = lv.map((leaf) => {
    const e = leafMetrics(leaf, rows);
    const size = md.filter((r) => Number(r[2]) === lv.indexOf(leaf)).reduce((a, r) => a + Number(r[8]), 0);
    return { id: leaf.id, size, values: e.values, nulls: e.nulls, lower: e.lower, upper: e.upper };
  });
  t.eq(m.columns, want, `${name}: iceberg metrics (sizes, counts, bounds)`);

  if (name === 'dict_fallback') {
    const enc = md.filter((r) => Number(r[2]) === 1).map((r) => r[10]);
    t.ok(enc.some((e) => e.includes('RLE_DICTIONARY')), 'dict_fallback: growing column starts dictionary-encoded');
    const pages = readFileSync(file);
    t.ok(pages.length > 0, 'dict_fallback: file written');
    t.ok(md.filter((r) => Number(r[2]) === 0).every((r) => r[10].includes('RLE_DICTIONARY')), 'dict_fallback: low-cardinality column stays dictionary-encoded');
  }
  if (side.dictionary === 0)
    t.ok(md.every((r) => !r[10].includes('DICTIONARY')), `${name}: no dictionary when disabled`);

  // hyparquet: every value again.
  const buf = readFileSync(file);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const meta = parquetMetadata(ab);
  t.eq(Number(meta.num_rows), rows.length, `${name}: hyparquet num_rows`);
  t.eq(meta.key_value_metadata.map((e) => [e.key, e.value]), side.kv, `${name}: hyparquet key_value_metadata`);
  const objs = await parquetReadObjects({ file: ab, compressors, utf8: false,
    parsers: { timestampFromMicroseconds: (v) => v } });
  bad = -1;
  for (let i = 0; i < rows.length && bad < 0; i++) {
    const h = schema.map((c) => hyValue(c, objs[i][c.name]));
    if (JSON.stringify(h) !== JSON.stringify(rows[i])) bad = i;
  }
  t.ok(objs.length === rows.length && bad < 0, `${name}: hyparquet values of all ${rows.length} rows`,
    bad < 0 ? `got ${objs.length} rows` : `row ${bad}\ngot:  ${JSON.stringify(schema.map((c) => hyValue(c, objs[bad][c.name]))).slice(0, 600)}\nwant: ${JSON.stringify(rows[bad]).slice(0, 600)}`);
}

// Specific expectations of some scenarios.
const meta = async (name, sql) => q(sql.replaceAll('$F', `'${path.join(dir, name + '.parquet')}'`));
const mrg = await meta('many_row_groups', 'SELECT count(DISTINCT row_group_id) FROM parquet_metadata($F)');
t.ok(Number(mrg[0][0]) > 5, `many_row_groups: ${mrg[0][0]} row groups`);
const big = await meta('big_values', 'SELECT max(octet_length(b)) FROM read_parquet($F)');
t.eq(Number(big[0][0]), 3 * 1024 * 1024 - 1, 'big_values: a 3 MB value survives');
const kv = await meta('bronze', 'SELECT count(*) FROM parquet_metadata($F) WHERE path_in_schema = \'topic\' AND encodings LIKE \'%RLE_DICTIONARY%\'');
t.ok(Number(kv[0][0]) >= 1, 'bronze: topic is dictionary-encoded');

con.closeSync();
inst.closeSync();
await t.done();
