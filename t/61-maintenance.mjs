// 61-maintenance.mjs: table history and the manifest list stay bounded on a table committed
// several times a second, as the table's Iceberg properties ask.  The
// daemon creates the table with history.expire.max-snapshot-age-ms and
// write.metadata.delete-after-commit.enabled; an engine (here: this test,
// writing the next metadata version as Spark's ALTER TABLE would) shortens
// them; then, over many commits: old snapshots leave the metadata and
// their manifest lists leave the disk, the metadata log and the metadata
// files stop at previous-versions-max, every record is still in the table
// exactly once (icebird, DuckDB), and a kill -9 after expiry restarts from
// the offsets the kept snapshots hold (nothing read twice); small
// manifests are merged (commit.manifest.min-count-to-merge), and merged
// ones again up to commit.manifest.target-size-bytes; without a
// usable version hint the newest version is still found.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { startDaemon } from './lib/daemon.mjs';
import { startMockKafka } from './lib/mockkafka.mjs';
import { ingest, fsTable, sample, sleep, tag, e2eSetup } from './lib/ingest.mjs';
import { parse, stringify } from './helpers/restcatalog/json.mjs';
import { decodeAvro } from './lib/avro.mjs';

const { t, icebird, duck, dir } = await e2eSetup('maintenance');
const mk = await startMockKafka({ brokers: 1, topics: [{ name: 'binance.raw', partitions: 4 }] });
const TABLE = path.join(dir, 'warehouse/market_data/bronze_binance_trades');
const META = path.join(TABLE, 'metadata');
const config = {
  'state.dir': path.join(dir, 'state'),
  'catalog.warehouse': path.join(dir, 'warehouse'),
  'checkpoint.interval': '100ms',
  'kafka.bootstrap.servers': mk.bootstrap,
  'kafka.session.timeout.ms': '6000',
  'kafka.heartbeat.interval.ms': '1000',
  'kafka.fetch.wait.max.ms': '50',	// records reach the job at once
  'job.binance.source.topic': 'binance.raw',
  'job.binance.sink.table': 'market_data.bronze_binance_trades',
};
const { produce, waitCommitted, checkExactlyOnce } = ingest({ t, mk, dir, icebird, duck,
  tables: { 'binance.raw': fsTable(icebird, `file://${TABLE}`) } });
const src = sample('binance-trades.jsonl');
let batch = 0;
const more = (n) => produce('binance.raw',
  tag(Array.from({ length: n }, (_, i) => src[(batch * 31 + i) % src.length]), batch++));
const version = () => Number(readFileSync(path.join(META, 'version-hint.text'), 'utf8'));
const current = () => parse(readFileSync(path.join(META, `v${version()}.metadata.json`), 'utf8'));
const files = (re) => readdirSync(META).filter((f) => re.test(f));

// 1. the daemon creates the table with bounded history
await more(50);
let d = await startDaemon({ config });
t.ok(await waitCommitted(30000), 'first records committed');
t.eq(await d.stop(), 0, 'clean stop');
let m = current();
t.eq([m.properties['history.expire.max-snapshot-age-ms'], m.properties['write.metadata.delete-after-commit.enabled']],
  ['36000', 'true'], 'created keeping 360 checkpoint intervals of snapshots, old metadata files deleted');

// 2. an engine shortens both, and asks for manifests to be merged once
// there are 5, with a small target size (as ALTER TABLE SET TBLPROPERTIES
// writes it)
const v = version();
m.properties['history.expire.max-snapshot-age-ms'] = '1500';
m.properties['write.metadata.previous-versions-max'] = '4';
m.properties['commit.manifest.min-count-to-merge'] = '5';
m.properties['commit.manifest.target-size-bytes'] = '20000';	// 4 KB and under merged at 5
m['metadata-log'].push({ 'timestamp-ms': m['last-updated-ms'], 'metadata-file': `file://${META}/v${v}.metadata.json` });
m['last-updated-ms'] = Date.now();
writeFileSync(path.join(META, `v${v + 1}.metadata.json`), stringify(m));
writeFileSync(path.join(META, 'version-hint.text'), String(v + 1));

// 3. many commits (about 5 per second once the group has formed)
d = await startDaemon({ config });
const t0 = Date.now();
while (version() < v + 40 && Date.now() - t0 < 60000) {
  await more(20);
  await sleep(150);
}
t.ok(await waitCommitted(30000), 'every record committed');
await sleep(1500);	// one more expiry round after the last records
const metrics = (await d.fetchJson('/metrics')).body;
t.eq(await d.stop(), 0, 'clean stop');
m = current();
const expired = Number(/^bronzed_snapshots_expired_total\{[^}]*\} (\d+)/m.exec(metrics)?.[1]);
const merged = Number(/^bronzed_manifests_merged_total\{[^}]*\} (\d+)/m.exec(metrics)?.[1]);
t.diag(`${version()} metadata versions written, ${m.snapshots.length} snapshots kept, ${expired} expired`);
t.ok(version() >= v + 40, `many commits (${version()} metadata versions)`);
t.ok(expired > 20, `bronzed_snapshots_expired_total counts the expired (${expired})`);
// kept: 1.5 s of history, plus up to one expiry period (1 s)
t.ok(m.snapshots.length <= 30, `snapshots kept: ${m.snapshots.length} (1.5 s of history)`);
const old = m.snapshots.filter((s) => s['timestamp-ms'] < m['last-updated-ms'] - 1500 - 1000 - 500);
t.eq(old.length, 0, 'no snapshot older than the age plus one expiry period');
const ids = new Set(m.snapshots.map((s) => String(s['snapshot-id'])));
t.ok(m['snapshot-log'].every((e) => ids.has(String(e['snapshot-id']))), 'the snapshot log names only kept snapshots');
const lists = files(/^snap-.*\.avro$/).map((f) => `file://${META}/${f}`).sort();
t.eq(lists, m.snapshots.map((s) => s['manifest-list']).sort(),
  'manifest lists on disk: exactly those of the kept snapshots');
t.ok(m['metadata-log'].length <= 4, `metadata log: ${m['metadata-log'].length} entries (previous-versions-max 4)`);
const metaFiles = files(/\.metadata\.json$/);
t.ok(metaFiles.length <= 4 + 1, `metadata files on disk: ${metaFiles.length} (the log and the current one)`);
t.ok(m['metadata-log'].every((e) => metaFiles.includes(path.basename(e['metadata-file']))),
  'every metadata file the log names exists');
// merged manifests: a short list; EXISTING entries carry the snapshot id
// and sequence numbers their files were added with
const head = m.snapshots.find((s) => String(s['snapshot-id']) === String(m['current-snapshot-id']));
const list = (await decodeAvro(new URL(head['manifest-list']).pathname)).records;
t.diag(`manifest list (length/added+existing): ${list.map((r) => `${r.manifest_length}/${r.added_files_count}+${r.existing_files_count}`).join(' ')}`);
t.ok(merged > 20, `bronzed_manifests_merged_total counts the merged (${merged})`);
t.ok(list.length <= 10, `the manifest list holds ${list.length} manifests after ${version() - v} commits`);
// a commit writes one file here, so five merged make five entries: more
// than twice that is the second tier's, merged manifests merged again
t.ok(list.some((r) => r.existing_files_count >= 10),
  'merged manifests merged again once they add up to the target size');
const big = list.reduce((a, b) => (b.existing_files_count > a.existing_files_count ? b : a));
const entries = (await decodeAvro(new URL(big.manifest_path).pathname)).records;
const seqs = new Set(m.snapshots.map((s) => String(s['sequence-number'])));
t.ok(big.existing_files_count > 10 && entries.length === big.existing_files_count &&
  entries.every((e) => e.status === 0 && e.snapshot_id !== null && e.sequence_number !== null &&
  e.file_sequence_number !== null && e.sequence_number <= big.sequence_number),
  `a merged manifest: ${entries.length} EXISTING entries with snapshot ids and sequence numbers`);
t.ok(big.min_sequence_number === entries.reduce((a, e) => (e.sequence_number < a ? e.sequence_number : a), big.sequence_number) &&
  big.existing_rows_count === entries.reduce((a, e) => a + e.data_file.record_count, 0n),
  'its list record: min sequence number and row count of its entries');
t.ok(entries.some((e) => !seqs.has(String(e.sequence_number))), 'entries of expired snapshots keep their sequence numbers');
// manifests on disk: exactly those some kept snapshot's list names (the
// ones merges replaced went with the snapshots that named them)
const named = new Set();
for (const s of m.snapshots)
  for (const r of (await decodeAvro(new URL(s['manifest-list']).pathname)).records) named.add(r.manifest_path);
const onDisk = files(/-m\d+\.avro$/).map((f) => `file://${META}/${f}`);
t.eq(onDisk.filter((f) => !named.has(f)).length, 0,
  `manifests on disk: ${onDisk.length}, none that no kept snapshot names`);
t.ok([...named].every((f) => onDisk.includes(f)), 'every manifest a kept snapshot names exists');
await checkExactlyOnce('after expiry and merges');

// 4. kill -9 with expired history: the kept snapshots give the offsets
d = await startDaemon({ config });
await more(100);
await sleep(700);
d.proc.kill('SIGKILL');
await d.exited;
d = await startDaemon({ config });
await more(100);
t.ok(await waitCommitted(30000), 'kill -9 after expiry: new records committed');
// the daemon's own audit reads the merged manifests too
const ctl = spawnSync(process.env.BRONZECTL || path.join(process.env.BRONZE_BUILDDIR || '.', 'admin/bronzectl'),
  ['-u', d.url, 'verify', 'binance'], { encoding: 'utf8', timeout: 60000 });
t.ok(ctl.status === 0 && /exactly once/.test(ctl.stdout), `bronzectl verify: ${ctl.stdout.trim().split('\n').at(-1)}`, ctl.stderr);
t.eq(await d.stop(), 0, 'clean stop');
await checkExactlyOnce('kill -9 after expiry');

// 5. the hint gone, or naming a deleted version: the newest version is
// found by listing, never taken for a missing table (v1 is long deleted)
for (const hint of [null, '1']) {
  const what = hint === null ? 'version-hint.text deleted' : 'version-hint.text names a deleted version';
  const newest = version();
  if (hint === null) rmSync(path.join(META, 'version-hint.text'));
  else writeFileSync(path.join(META, 'version-hint.text'), hint);
  d = await startDaemon({ config });
  await more(30);
  t.ok(await waitCommitted(30000), `${what}: new records committed`);
  t.eq(await d.stop(), 0, 'clean stop');
  t.ok(version() > newest && files(/^v1\.metadata\.json$/).length === 0,
    `${what}: committed after v${newest} (now v${version()}), no new table`);
  await checkExactlyOnce(what);
}
await mk.stop();
await t.done();
