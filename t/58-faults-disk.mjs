// 58-faults-disk.mjs: the local disk failing under a running daemon, on
// small tmpfs mounts (root only; skipped elsewhere): the warehouse fills
// up, then the state directory fills up; each time the jobs report the
// cause in their exceptions, keep their records and commit every one
// exactly once when space comes back.  A read-only state directory stops
// the daemon at start with a message naming it.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startDaemon } from './lib/daemon.mjs';
import { startMockKafka } from './lib/mockkafka.mjs';
import { e2eSetup, fsTable, ingest, sample, sleep, tag, twoJobs, until } from './lib/ingest.mjs';

const { t, icebird, duck, dir } = await e2eSetup('diskfaults');
const mounts = [];
const mount = (where, opts) => {
  mkdirSync(where, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', where], { encoding: 'utf8' });
  if (r.status === 0) mounts.push(where);
  return r.status === 0;
};
const unmountAll = () => { for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]); };
process.prependListener('exit', unmountAll);
const wh = path.join(dir, 'warehouse'), st = path.join(dir, 'state');
if (!mount(wh, 'size=16m') || !mount(st, 'size=8m')) {
  console.log('1..0 # SKIP cannot mount a tmpfs here (needs root)');
  process.exit(0);
}
// Fill a mount but keep `leave` bytes free.
const fill = (where, leave) => {
  const free = Number(execFileSync('df', ['-B1', '--output=avail', where], { encoding: 'utf8' }).split('\n')[1]);
  writeFileSync(path.join(where, 'filler'), Buffer.alloc(Math.max(0, free - leave)));
};
const unfill = (where) => rmSync(path.join(where, 'filler'), { force: true });

const mk = await startMockKafka({ brokers: 1, topics: [
  { name: 'binance.raw', partitions: 2 }, { name: 'kraken.raw', partitions: 2 }] });
const config = { 'state.dir': st, 'catalog.warehouse': wh, ...twoJobs(mk) };
const tableUrl = (name) => `file://${path.join(wh, 'market_data', name)}`;
const { produce, waitCommitted, checkExactlyOnce } = ingest({ t, mk, dir, icebird, duck, tables: {
  'binance.raw': fsTable(icebird, tableUrl('bronze_binance_trades')),
  'kraken.raw': fsTable(icebird, tableUrl('bronze_kraken_trades')) } });
const b = sample('binance-trades.jsonl'), k = sample('kraken-trades.jsonl');
let n = 0;
const batch = async (nb = 400, nk = 300) => {
  await produce('binance.raw', tag(b.slice(0, nb), n));
  await produce('kraken.raw', tag(k.slice(0, nk), n++));
};
const exceptions = async (d) => (await Promise.all(['binance', 'kraken'].map(
  async (j) => (await d.fetchJson(`/jobs/${j}/exceptions`)).body.exceptionHistory.entries))).flat();

await batch();
let d = await startDaemon({ config });
t.ok(await waitCommitted(60000), 'on tmpfs: everything committed');

// the warehouse fills up: data files cannot be written
fill(wh, 4096);
await batch(1500, 1000);
const full = await until(async () => (await exceptions(d).catch(async (e) => {
  t.diag(d.logs());
  t.diag(`daemon exit: ${JSON.stringify(await d.exited)}`);
  throw e;
})).find((e) => /No space left/i.test(e.stacktrace)), 30000);
t.ok(full, `warehouse full: the cause is in the exceptions (${full?.stacktrace?.slice(0, 160)})`) ||
  t.diag(JSON.stringify(await exceptions(d)).slice(0, 3000));
await sleep(3000);
t.ok(d.proc.exitCode === null, 'warehouse full: the daemon keeps running');
unfill(wh);
t.ok(await waitCommitted(90000), 'space back in the warehouse: everything committed') || t.diag(d.logs());
let jobs = (await d.fetchJson('/jobs')).body.jobs.map((j) => j.status);
t.eq(jobs, ['RUNNING', 'RUNNING'], 'both jobs RUNNING again');

// the state directory fills up: the state store cannot be written
fill(st, 0);
const before = (await exceptions(d)).length;
await batch(1500, 1000);
await sleep(6000);
t.ok(d.proc.exitCode === null, 'state directory full: the daemon keeps running');
const stateErr = (await exceptions(d)).slice(0, Math.max(0, (await exceptions(d)).length - before));
t.diag(`exceptions while the state directory was full: ${stateErr.map((e) => e.stacktrace.slice(0, 100)).join(' | ') || 'none'}`);
unfill(st);
t.ok(await waitCommitted(90000), 'space back in the state directory: everything committed') || t.diag(d.logs());
jobs = (await d.fetchJson('/jobs')).body.jobs.map((j) => j.status);
t.eq(jobs, ['RUNNING', 'RUNNING'], 'both jobs RUNNING again');

// SIGTERM while the warehouse is full: the final checkpoint cannot be
// written, the daemon still stops (within its 20 s), nothing is lost
fill(wh, 4096);
await batch(800, 600);
await sleep(2000);
const t0 = Date.now();
const code = await d.stop();
t.ok(code !== null && Date.now() - t0 < 20000, `SIGTERM while full: exited ${code} in ${Date.now() - t0} ms`) ||
  t.diag(d.logs().split('\n').slice(-15).join('\n'));
unfill(wh);
d = await startDaemon({ config });
t.ok(await waitCommitted(90000), 'restarted with space: everything committed') || t.diag(d.logs());

// and a kill -9 while the warehouse is full
fill(wh, 4096);
await batch(800, 600);
await sleep(2000);
d.proc.kill('SIGKILL');
await d.exited;
unfill(wh);
d = await startDaemon({ config });
t.ok(await waitCommitted(90000), 'kill -9 while full, restart with space: everything committed') || t.diag(d.logs());
t.eq(await d.stop(), 0, 'clean stop');
await checkExactlyOnce('disk faults');

// a read-only state directory: a clear error at start, exit 1
const rm = spawnSync('mount', ['-o', 'remount,ro', st], { encoding: 'utf8' });
t.eq([rm.status, rm.stderr.trim()], [0, ''], 'state.dir remounted read-only');
let ro;
try {
  const x = await startDaemon({ config });
  const r = await Promise.race([x.exited, sleep(10000).then(() => null)]);
  if (r === null) x.proc.kill('SIGKILL');
  ro = { status: r?.status, log: x.logs() };
} catch (e) {
  ro = { status: /exited with (\d+)/.exec(e.message)?.[1], log: e.message };
}
const last = ro.log.trim().split('\n').filter((l) => l.includes(st)).pop();
t.ok(Number(ro.status) > 0 && /read-only/i.test(last || ''),
  `read-only state.dir: exit ${ro.status} at start, "${last}"`);
await mk.stop();
unmountAll();
mounts.length = 0;
await t.done();
