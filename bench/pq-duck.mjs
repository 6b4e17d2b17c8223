// pq-duck.mjs: the DuckDB side of bench/parquet-bench. Loads ROWS (a Parquet
// file of the benchmark rows) into an in-memory table, then times
// COPY ... TO OUT (FORMAT parquet, COMPRESSION codec, COMPRESSION_LEVEL
// level) with the given thread counts, best of 5. With --ours=FILE (pq-bench
// JSON lines) and --md=FILE it writes the comparison report; else prints JSON.
// usage: node pq-duck.mjs ROWS OUT CODEC LEVEL THREADS... [--ours=F --md=F --cmd=S]
// (env BRONZE_NODE_MODULES)
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const flags = Object.fromEntries(process.argv.slice(2).filter((a) => a.startsWith('--'))
  .map((a) => a.slice(2).split(/=(.*)/s).slice(0, 2)));
const [rows, out, codec, level, ...threads] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const nm = process.env.BRONZE_NODE_MODULES;
const { DuckDBInstance } = await import(pathToFileURL(path.join(nm, '@duckdb/node-api/lib/index.js')).href);
const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
await con.run(`CREATE TABLE t AS SELECT * FROM read_parquet('${rows}')`);
const n = Number((await con.runAndReadAll('SELECT count(*) FROM t')).getRowsJson()[0][0]);
const opts = codec === 'none' ? 'COMPRESSION uncompressed'
  : `COMPRESSION ${codec}` + (codec === 'zstd' ? `, COMPRESSION_LEVEL ${level}` : '');
const res = { rows: n, version: (await con.runAndReadAll('SELECT version()')).getRowsJson()[0][0], runs: {} };
for (const th of threads) {
  await con.run(`SET threads = ${th}`);
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    const t0 = process.hrtime.bigint();
    await con.run(`COPY t TO '${out}' (FORMAT parquet, ${opts})`);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  res.runs[th] = { wall_s: best, file_bytes: statSync(out).size };
}
if (flags.md) writeFileSync(flags.md, report(res));
else console.log(JSON.stringify(res));
con.closeSync();
inst.closeSync();

// The markdown report: machine, command, one line per engine and threads.
function report(duck) {
  const ours = readFileSync(flags.ours, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const best = ours.reduce((a, b) => (b.wall_s < a.wall_s ? b : a));
  const mb = best.input_bytes / 1e6;
  const line = (name, th, s, bytes) => `| ${name} | ${th} | ${s.toFixed(3)} | ` +
    `${Math.round(best.rows / s).toLocaleString('en-US')} | ${(mb / s).toFixed(1)} | ` +
    `${(bytes / 1e6).toFixed(1)} | ${(s / best.wall_s).toFixed(2)} |`;
  const cpu = os.cpus()[0]?.model ?? 'unknown';
  return `# Parquet writer benchmark

Command: \`${flags.cmd}\` (from the top of the tree, after \`make\`).
Date: ${new Date().toISOString()}. Machine: ${os.cpus().length} CPUs (${cpu}),
${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory, Linux ${os.release()}. DuckDB ${duck.version} via @duckdb/node-api.

Workload: ${best.rows.toLocaleString('en-US')} rows of the bronze schema (ids 1-8, headers map 9/10):
~200-byte Binance combined-stream trade JSON in \`raw_value\`, a symbol key, two topics,
12 partitions, offsets, timestamps (2% null), headers on 20% of rows. Input size counted
the same way for both engines: ${mb.toFixed(1)} MB of values. Codec ${codec}, level ${level}.
Both write to tmpfs; generation and loading are not timed. Our writer: best of
${ours.length} runs (one process, one thread). DuckDB: \`COPY t TO ... (FORMAT parquet,
COMPRESSION ${codec}${codec === 'zstd' ? `, COMPRESSION_LEVEL ${level}` : ''})\` from an in-memory table, best of 5,
\`SET threads\` as listed (DuckDB's own default row groups of 122,880 rows; ours: one
128 MB row group). Load average when the report was written: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}
(the machine is shared, so repeat runs vary by +-30%).

| writer | threads | seconds | rows/s | MB/s | file MB | DuckDB time / ours |
|---|---|---|---|---|---|---|
${line('bronzed pq_writer', 1, best.wall_s, best.file_bytes)}
${Object.entries(duck.runs).map(([th, r]) => line('DuckDB COPY', th, r.wall_s, r.file_bytes)).join('\n')}

The last column is the speed ratio (DuckDB seconds / ours): above 1.0 we are faster.
Our writer CPU time in the best run: ${best.cpu_s.toFixed(3)} s. Peak RSS of the benchmark process:
${(best.rss_before_kb / 1024).toFixed(0)} MiB after generating the rows, ${(best.rss_peak_kb / 1024).toFixed(0)} MiB after writing,
so the writer itself peaked at about ${((best.rss_peak_kb - best.rss_before_kb) / 1024).toFixed(0)} MiB (the whole file was one row group:
its compressed pages, the open pages and the dictionaries).
`;
}
