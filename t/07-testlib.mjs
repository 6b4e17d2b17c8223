// 07-testlib.mjs: the end-to-end test library itself (t/lib/daemon.mjs):
// the config it writes over the test defaults, starting the real daemon
// on ephemeral ports, fetchJson, stop() exit statuses (under VALGRIND_TEST
// a valgrind error shows as 99), and a config error surfacing as a
// rejected start carrying the daemon's message.
import { existsSync, readFileSync } from 'node:fs';
import { tap } from './lib/tap.mjs';
import { bronzedPath, configText, startDaemon } from './lib/daemon.mjs';

const t = tap();

const obj = configText({ 'admin.port': 9999, 'metrics.port': null, 'job.a.source.topic': 'a' }, '/D');
t.eq(obj.split('\n').filter(Boolean), ['admin.bind: 127.0.0.1', 'admin.port: 9999',
  'state.dir: /D/state', 'catalog.type: filesystem', 'catalog.warehouse: /D/warehouse',
  'job.a.source.topic: a'], 'object config over the defaults; null drops a default');
const txt = configText('# mine\nadmin.port: 7\n  state.dir : /s\n#metrics.port: 1\n', '/D');
t.eq(txt.split('\n').filter((l) => /^\s*[a-z]/.test(l)), ['admin.bind: 127.0.0.1',
  'metrics.port: 0', 'catalog.type: filesystem', 'catalog.warehouse: /D/warehouse',
  'admin.port: 7', '  state.dir : /s'], 'text config: defaults only for the keys it lacks');

if (!existsSync(bronzedPath)) {
  t.ok(true, `daemon checks # SKIP needs ${bronzedPath}`);
  await t.done();
} else {
  const job = { 'kafka.bootstrap.servers': '127.0.0.1:1',
    'job.binance.source.topic': 'binance.raw',
    'job.binance.sink.table': 'market_data.bronze_binance_trades' };
  const d = await startDaemon({ config: job });
  t.ok(d.port > 0 && d.url === `http://127.0.0.1:${d.port}`, `admin API on ${d.url}`);
  t.ok(readFileSync(d.file, 'utf8').includes(`state.dir: ${d.dir}/state`),
    'state.dir in the fresh temp dir');
  const r = await d.fetchJson('/jobs');
  t.eq([r.status, r.body.jobs?.length, typeof r.body.jobs?.[0]?.id], [200, 1, 'string'],
    'fetchJson parses a JSON body');
  t.ok(/json/.test(r.headers['content-type']), 'headers as a plain object');
  t.eq((await d.fetchJson('/no/such/route')).status, 404, 'fetchJson: status of an error');
  t.ok(/admin API on/.test(d.logs()), 'logs() holds stderr');
  t.eq(await d.stop(), 0, 'stop(): SIGTERM, exit status 0');
  t.eq(await d.stop(), 0, 'stop() again: same status');

  const d2 = await startDaemon({ config: job });
  t.eq(await d2.stop('SIGINT'), 0, 'stop(SIGINT) right after start: exit status 0');

  let err = null;
  try { await startDaemon({ config: { 'no.such.key': 1 } }); } catch (e) { err = e; }
  t.ok(err && /exited with 78/.test(err.message) && /no\.such\.key/.test(err.message),
    'a config error rejects with the status and the daemon\'s message', err?.message);
  await t.done();
}
