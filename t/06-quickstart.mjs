// 06-quickstart.mjs: smoke test of contrib/quickstart (the README's first
// command) without installing or building: it starts the Kafka peer, loads
// the sample data, runs bronzed with etc/bronzed-local.conf (admin port 0,
// var/ in a temp dir), answers on the admin API, and stops everything
// cleanly on SIGTERM (the trap Ctrl-C uses) and after --duration.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tap } from './lib/tap.mjs';
import { bronzedPath } from './lib/daemon.mjs';
import { mockKafkaPath } from './lib/mockkafka.mjs';
import { removeAtExit, track, within } from './lib/proc.mjs';
import { dep, haveDeps } from './lib/deps.mjs';
import { installFileFetch } from './lib/filefetch.mjs';

const t = tap();
if (!haveDeps()) t.skipAll('test readers not installed (npm ci in t/)');
installFileFetch();
const icebird = await dep('icebird');
const srcdir = process.env.BRONZE_SRCDIR || process.cwd();
const script = path.join(srcdir, 'contrib/quickstart');
for (const f of [bronzedPath, mockKafkaPath, path.join(srcdir, 'etc/bronzed-local.conf')])
  if (!existsSync(f)) t.skipAll(`needs ${f}`);
const builddir = path.dirname(path.dirname(bronzedPath));
const pidfiles = [];
process.on('exit', () => {	/* bronzed runs in its own session */
  for (const f of pidfiles) {
    try { process.kill(Number(readFileSync(f, 'utf8')), 'SIGKILL'); } catch { /* gone */ }
  }
});

// Run the quickstart; resolve once bronzed's admin line shows (or it exits).
function quickstart(args) {
  const dir = removeAtExit(mkdtempSync(path.join(os.tmpdir(), 'bronze-qs-')));
  pidfiles.push(path.join(dir, 'var/bronzed.pid'));
  const proc = spawn('sh', [script, '--no-install', '--port', '0', '--dir', dir, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BRONZE_BUILDDIR: builddir } });
  const exited = track(proc);
  let out = '';
  const admin = new Promise((resolve) => {
    const on = (d) => {
      out += d;
      const m = /admin API on (http:\/\/\S+?)\//.exec(out);
      if (m) resolve(m[1]);
    };
    proc.stdout.on('data', on);
    proc.stderr.on('data', on);
    exited.then(() => resolve(null));
  });
  return { proc, exited, dir, admin, out: () => out };
}

const q = quickstart(['--duration', '60']);
const url = await within(q.admin, 45000);
t.ok(url, `bronzed is up: ${url}`, q.out());
t.ok(/produce binance\.raw: OK 4000\b/.test(q.out()), 'binance sample produced', q.out());
t.ok(/produce kraken\.raw: OK 3000\b/.test(q.out()), 'kraken sample produced');
t.ok(/trickle binance\.raw: OK/.test(q.out()) && /trickle kraken\.raw: OK/.test(q.out()),
  'trickles started');
t.ok(/Kafka .* at 127\.0\.0\.1:\d+(,127\.0\.0\.1:\d+){2}/.test(q.out()), 'bootstrap shown');
if (url) {
  const res = await fetch(`${url}/jobs`, { signal: AbortSignal.timeout(10000) });
  const body = await res.json();
  t.eq(body.jobs.length, 2, '/jobs lists the two jobs of bronzed-local.conf');
  // within a minute of starting: both jobs RUNNING, rows in both tables
  const t0 = Date.now();
  let states = [], counts = [0, 0];
  for (; Date.now() - t0 < 60000; await new Promise((r) => setTimeout(r, 1000))) {
    states = (await (await fetch(`${url}/jobs`)).json()).jobs.map((j) => j.status);
    counts = await Promise.all(['bronze_binance_trades', 'bronze_kraken_trades'].map(async (tb) => {
      try {
        const m = await icebird.icebergMetadata({ tableUrl: `file://${path.join(q.dir, 'var/warehouse/market_data', tb)}` });
        const snap = m.snapshots.find((x) => x['snapshot-id'] === m['current-snapshot-id']);
        return Number(snap?.summary['total-records'] || 0);
      } catch { return 0; }
    }));
    if (states.every((x) => x === 'RUNNING') && counts.every((c) => c > 0)) break;
  }
  t.eq(states, ['RUNNING', 'RUNNING'], 'both jobs RUNNING');
  t.ok(counts.every((c) => c >= 3000), `rows readable in both tables within a minute (${counts.join(', ')} after ${Math.round((Date.now() - t0) / 1000)} s)`);
}
q.proc.kill('SIGTERM');
const r = await within(q.exited, 30000);
t.eq(r?.status, 0, 'SIGTERM: the quickstart exits 0');
t.eq(q.out().match(/signal \d+/g), ['signal 15'], 'bronzed got exactly one signal, SIGTERM');
t.ok(/bronzed stopped/.test(q.out()), 'bronzed stopped', q.out());
t.ok(!existsSync(path.join(q.dir, 'var/bronzed.pid')) &&
  !existsSync(path.join(q.dir, 'var/mockkafka.in')), 'pid file and FIFO removed');

const q2 = quickstart(['--duration', '2']);
const r2 = await within(q2.exited, 45000);
t.eq(r2?.status, 0, '--duration 2: stops by itself, exit 0');
t.ok(/bronzed stopped/.test(q2.out()), 'bronzed stopped after --duration', q2.out());

await t.done();
