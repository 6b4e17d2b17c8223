// 11-admin-ckpt.mjs: the operator's runbook against a running daemon with
// two jobs on the mock broker, commands run verbatim through sh, curl and
// jq: jobs RUNNING, the latest completed checkpoint with its
// end_to_end_duration, a manual checkpoint, a savepoint whose _metadata
// exists, stop-with-savepoint, cancel, exceptions, and the errors a
// mistyped command gets.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { startDaemon } from './lib/daemon.mjs';
import { startMockKafka } from './lib/mockkafka.mjs';
import { e2eSetup, localTwoJobs, sample, tag, until } from './lib/ingest.mjs';

const { t, icebird, dir } = await e2eSetup('ckpt');
const mk = await startMockKafka({ brokers: 1, topics: [
  { name: 'binance.raw', partitions: 2 }, { name: 'kraken.raw', partitions: 2 }] });
const { config, produced, produce, committed, waitCommitted, checkExactlyOnce } = localTwoJobs({ t, mk, dir, icebird });
await produce('binance.raw', tag(sample('binance-trades.jsonl').slice(0, 500), 0));
await produce('kraken.raw', tag(sample('kraken-trades.jsonl').slice(0, 400), 0));

const d = await startDaemon({ config });
let host = `localhost:${d.port}`;	// the daemon the commands talk to
// Run a runbook line as an operator would: sh -c "curl ... | jq ...".
const sh = (cmd) => execFileSync('sh', ['-c', cmd.replaceAll('localhost:8082', host)],
  { encoding: 'utf8', timeout: 20000 });
t.ok(await waitCommitted(60000), 'both jobs commit what was produced');

const listed = sh(`curl -s localhost:8082/jobs | jq -c '.jobs[] | {id, status}'`).trim().split('\n').map(JSON.parse);
t.eq(listed.map((j) => j.status), ['RUNNING', 'RUNNING'], 'runbook: jobs | {id, status} lists both RUNNING');
const ID = listed[0].id;
const latest = JSON.parse(sh(`curl -s localhost:8082/jobs/${ID}/checkpoints | jq '.latest.completed'`));
t.ok(latest && latest.status === 'COMPLETED' && Number.isInteger(latest.end_to_end_duration) &&
  latest.end_to_end_duration >= 0, `runbook: .latest.completed has end_to_end_duration (${latest?.end_to_end_duration} ms)`);
const stats = JSON.parse(sh(`curl -s localhost:8082/jobs/${ID}/checkpoints`));
t.ok(stats.counts.completed >= 1 && stats.history.length >= 1 && stats.summary.end_to_end_duration.max >= 0,
  'checkpoints: counts, summary and history');
const cfg = JSON.parse(sh(`curl -s localhost:8082/jobs/${ID}/checkpoints/config`));
t.eq([cfg.mode, cfg.interval, cfg.max_concurrent], ['exactly_once', 1000, 1], 'checkpoints/config');
const det = JSON.parse(sh(`curl -s localhost:8082/jobs/${ID}/checkpoints/details/${latest.id}`));
t.eq(det.id, latest.id, 'checkpoints/details/:id');

// manual checkpoint, by name
const cp = JSON.parse(sh(`curl -s -X POST localhost:8082/jobs/binance/checkpoints`));
t.ok(/^[0-9a-f]{32}$/.test(cp['request-id']), 'POST checkpoints: a request-id');
const cpDone = await until(async () => {
  const s = JSON.parse(sh(`curl -s localhost:8082/jobs/binance/checkpoints/${cp['request-id']}`));
  return s.status.id === 'COMPLETED' ? s : null;
});
t.ok(cpDone && cpDone.operation.checkpointId > 0, `manual checkpoint completed (id ${cpDone?.operation.checkpointId})`);

// savepoint: the runbook's trigger and status calls
const spDir = path.join(dir, 'savepoints');
const trig = JSON.parse(sh(`curl -s -X POST -H 'Content-Type: application/json' ` +
  `-d '{"target-directory": "${spDir}", "cancel-job": false}' localhost:8082/jobs/${ID}/savepoints`));
t.ok(/^[0-9a-f]{32}$/.test(trig['request-id']), 'POST savepoints: a request-id');
const sp = await until(async () => {
  const s = JSON.parse(sh(`curl -s localhost:8082/jobs/${ID}/savepoints/${trig['request-id']}`));
  return s.status.id === 'COMPLETED' ? s : null;
});
const loc = sp?.operation.location;
t.ok(loc && loc.startsWith(`file:${spDir}/savepoint-${ID.slice(0, 6)}-`), `savepoint COMPLETED at ${loc}`);
{
  const sp = loc.replace(/^file:/, '');
  const mode = (p) => (statSync(p).mode & 0o777).toString(8);
  t.eq([mode(path.join(sp, '_metadata')), mode(sp), mode(spDir)], ['600', '700', '700'],
    'savepoint files are private: _metadata 0600, directories made for it 0700');
}
const meta = loc && JSON.parse(readFileSync(path.join(loc.slice(5), '_metadata'), 'utf8'));
t.ok(meta && meta['job-id'] === ID && meta.table === 'market_data.bronze_binance_trades' &&
  meta['kafka-offsets']['binance.raw'], 'the _metadata names job, table and offsets');
const after = JSON.parse(sh(`curl -s localhost:8082/jobs/${ID}/checkpoints | jq '.latest.savepoint'`));
t.ok(after && after.is_savepoint && after.checkpoint_type === 'SAVEPOINT', 'latest.savepoint is set');

// the same through bronzectl
const ctlPath = process.env.BRONZECTL || path.join(process.env.BRONZE_BUILDDIR || '.', 'admin/bronzectl');
const ctl = (...args) => spawnSync(ctlPath, ['-u', `http://${host}`, ...args], { encoding: 'utf8', timeout: 60000 });
let r = ctl('checkpoint', 'binance');
t.ok(r.status === 0 && /^checkpoint \d+ completed$/m.test(r.stdout), `bronzectl checkpoint: ${r.stdout.trim()}`, r.stderr);
r = ctl('savepoint', 'binance', spDir);
t.ok(r.status === 0 && r.stdout.includes(`savepoint completed: file:${spDir}/savepoint-`), `bronzectl savepoint: ${r.stdout.trim()}`, r.stderr);
r = ctl('--json', 'savepoint', 'binance', 'relative/dir');
t.ok(r.status === 1 && /400/.test(r.stderr), 'bronzectl savepoint with a relative dir: exit 1 with the 400', r.stderr);
r = ctl('savepoint');
t.eq(r.status, 64, 'bronzectl savepoint without a job: usage, exit 64');
r = ctl('--json', 'savepoints', 'binance');
const listed2 = r.status === 0 ? JSON.parse(r.stdout) : [];
t.ok(listed2.length === 2 && listed2[0]['created-ms'] >= listed2[1]['created-ms'] &&
  listed2.some((x) => loc.endsWith(x.location)), `bronzectl savepoints: both savepoints of binance, newest first`, r.stdout + r.stderr);
r = ctl('savepoints');
t.ok(r.status === 0 && r.stdout.split('\n').filter((l) => l.startsWith('binance')).length === 2, 'bronzectl savepoints: table', r.stdout);

// errors an operator can hit
const bad = (cmd) => sh(`curl -s -o /dev/null -w '%{http_code}' ${cmd}`);
t.eq(bad(`-X POST -d '{"target-directory": "relative/dir"}' localhost:8082/jobs/${ID}/savepoints`), '400', 'relative target: 400');
t.eq(bad(`-X POST -d '{"target-directory": "/tmp/../etc"}' localhost:8082/jobs/${ID}/savepoints`), '400', '".." in target: 400');
t.eq(bad(`-X POST -d '{"target-directory": "ftp://x/y"}' localhost:8082/jobs/${ID}/savepoints`), '400', 'unknown scheme: 400');
t.eq(bad(`localhost:8082/jobs/${ID}/savepoints/0123456789abcdef0123456789abcdef`), '404', 'unknown trigger: 404');
t.eq(bad(`localhost:8082/jobs/${ID}/checkpoints/details/999999`), '404', 'unknown checkpoint: 404');
t.eq(bad(`-X PATCH 'localhost:8082/jobs/${ID}?mode=stop'`), '400', 'PATCH mode=stop: 400');

// stop-with-savepoint on kraken: savepoint, then FINISHED
await produce('kraken.raw', tag(sample('kraken-trades.jsonl').slice(0, 100), 1));
const stop = JSON.parse(sh(`curl -s -X POST -d '{"targetDirectory": "file://${spDir}"}' localhost:8082/jobs/kraken/stop`));
const stopped = await until(async () => {
  const s = JSON.parse(sh(`curl -s localhost:8082/jobs/kraken/savepoints/${stop['request-id']}`));
  return s.status.id === 'COMPLETED' ? s : null;
});
t.ok(stopped?.operation.location, `stop-with-savepoint: savepoint at ${stopped?.operation.location}`);
t.eq(await until(async () => sh(`curl -s localhost:8082/jobs/kraken | jq -r .state`).trim() === 'FINISHED' && 'FINISHED'),
  'FINISHED', 'stop-with-savepoint: kraken FINISHED');

// savepoint -> cancel -> restore round trip on binance
const bin = produced['binance.raw'];
await produce('binance.raw', tag(sample('binance-trades.jsonl').slice(0, 50), 2));
t.ok(await until(async () => (await committed('binance.raw')) >= bin.length), 'binance: 50 more committed');
r = ctl('savepoint', 'binance', spDir, '--cancel');
const loc3 = /savepoint completed: (\S+)/.exec(r.stdout)?.[1];
t.ok(r.status === 0 && loc3, `bronzectl savepoint --cancel: ${loc3}`, r.stderr);
t.eq(await until(async () => sh(`curl -s localhost:8082/jobs/${ID}/status | jq -r .status`).trim() === 'CANCELED' && 'CANCELED'),
  'CANCELED', 'savepoint --cancel: binance CANCELED');
// the first savepoint is behind the table: refused, the job stays CANCELED
const rq = JSON.parse(sh(`curl -s -X POST -d '{"savepointPath": "${loc}"}' localhost:8082/jobs/${ID}/restore`));
const refused = await until(async () => {
  const s = JSON.parse(sh(`curl -s localhost:8082/jobs/${ID}/restore/${rq['request-id']}`));
  return s.status.id === 'COMPLETED' ? s : null;
});
t.ok(/twice/.test(refused?.operation['failure-cause']?.['stack-trace'] || ''),
  `restore from an older savepoint refused: ${refused?.operation['failure-cause']?.['stack-trace']}`);
t.eq(sh(`curl -s localhost:8082/jobs/${ID}/status | jq -r .status`).trim(), 'CANCELED', 'refused restore: job still CANCELED');
// the savepoint taken at cancel matches the table: accepted, RUNNING again
r = ctl('restore', 'binance', loc3);
t.ok(r.status === 0 && r.stdout.includes('restore completed'), `bronzectl restore: ${r.stdout.trim()}`, r.stderr);
t.eq(await until(async () => sh(`curl -s localhost:8082/jobs/${ID}/status | jq -r .status`).trim() === 'RUNNING' && 'RUNNING'),
  'RUNNING', 'restored: binance RUNNING again');
await produce('binance.raw', tag(sample('binance-trades.jsonl').slice(0, 60), 3));
t.ok(await until(async () => (await committed('binance.raw')) >= produced['binance.raw'].length),
  'restored job commits new records');

// cancel binance: CANCELED; records since its last commit are read again later
await produce('binance.raw', tag(sample('binance-trades.jsonl').slice(0, 100), 4));
t.eq(sh(`curl -s -o /dev/null -w '%{http_code}' -X PATCH 'localhost:8082/jobs/${ID}?mode=cancel'`), '202', 'PATCH cancel: 202');
t.eq(await until(async () => sh(`curl -s localhost:8082/jobs/${ID}/status | jq -r .status`).trim() === 'CANCELED' && 'CANCELED'),
  'CANCELED', 'cancel: binance CANCELED');
t.eq(bad(`-X POST localhost:8082/jobs/${ID}/checkpoints`), '409', 'checkpoint of a canceled job: 409');
const exc = JSON.parse(sh(`curl -s localhost:8082/jobs/${ID}/exceptions`));
t.ok(exc.exceptionHistory.entries.some((e) => e.exceptionName === 'RestoreRefused'), 'exceptions: the refused restore is listed');
t.eq(await d.stop(), 0, 'SIGTERM after stop and cancel: exit 0');

// a restart picks up where the table is: nothing lost, nothing twice
const d2 = await startDaemon({ config });
t.ok(await waitCommitted(60000), 'restarted: everything committed');
t.eq(await d2.stop(), 0, 'clean stop');
await checkExactlyOnce('after savepoint, stop and cancel');

// bronzed --from-savepoint with a savepoint the table has moved past:
// refused, that job FAILED with the reason, the other job runs
const d3 = await startDaemon({ config, args: ['--from-savepoint', `binance=${loc}`] });
const st = await until(async () => {
  const j = (await d3.fetchJson('/jobs')).body.jobs.map((x) => x.status);
  return j[0] === 'FAILED' && j[1] === 'RUNNING' ? j : null;
});
t.eq(st, ['FAILED', 'RUNNING'], '--from-savepoint refused: binance FAILED, kraken RUNNING');
const e3 = (await d3.fetchJson(`/jobs/${ID}/exceptions`)).body;
t.ok(/twice/.test(e3['root-exception'] || ''), `the reason is in the exceptions: ${e3['root-exception']}`);

// savepoint disposal: Flink's POST /savepoint-disposal, then bronzectl
host = `localhost:${d3.port}`;

// bronzectl verify: the table audit reads the data files' offsets
for (const [job, topic] of [['binance', 'binance.raw'], ['kraken', 'kraken.raw']]) {
  r = ctl('--json', 'verify', job);
  const audit = r.status === 0 ? JSON.parse(r.stdout).operation : null;
  t.ok(audit?.ok === true && audit.partitions.length === 2 &&
    audit.partitions.every((p) => p.ok && p['gaps-total'] === 0 && p['overlaps-total'] === 0 &&
      p['last-offset'] + 1 === p['committed-offset']),
  `bronzectl verify ${job}: clean, 2 partitions ending at the committed offsets`, r.stdout + r.stderr);
  t.eq(audit?.records, produced[topic].length, `bronzectl verify ${job}: ${audit?.records} records, as produced`);
}
r = ctl('verify', 'kraken');
t.ok(r.status === 0 && /exactly once/.test(r.stdout) && /^PARTITION/m.test(r.stdout), 'bronzectl verify (human): a table and the verdict', r.stdout);
const spPath = (l) => l.replace(/^file:/, '');
const dispose = (p) => {
  const res = JSON.parse(sh(`curl -s -X POST -d '{"savepoint-path": "${p}"}' localhost:8082/savepoint-disposal`));
  return until(async () => {
    const s = JSON.parse(sh(`curl -s localhost:8082/savepoint-disposal/${res['request-id']}`));
    return s.status.id === 'COMPLETED' ? s : null;
  });
};
t.ok(existsSync(path.join(spPath(loc), '_metadata')), 'the first savepoint is there before its disposal');
const disp = await dispose(loc);
t.eq(disp?.operation, {}, 'POST /savepoint-disposal: COMPLETED with an empty operation');
t.ok(!existsSync(spPath(loc)), 'disposed: the savepoint directory is gone');
r = ctl('--json', 'savepoints', 'binance');
t.ok(r.status === 0 && !JSON.parse(r.stdout).some((x) => spPath(x.location) === spPath(loc)),
  'disposed: no longer listed by bronzectl savepoints', r.stdout);
const again = await dispose(loc);
t.ok(/not a savepoint/.test(again?.operation?.['failure-cause']?.['stack-trace'] || ''),
  `disposing it again: failure-cause ${again?.operation?.['failure-cause']?.['stack-trace']}`);
const notSp = await dispose(path.join(dir, 'warehouse'));
t.ok(notSp?.operation?.['failure-cause'] && existsSync(path.join(dir, 'warehouse')),
  'a directory that is not a savepoint: failure-cause, nothing deleted');
t.eq(bad(`-X POST -d '{"savepoint-path": "relative/sp"}' localhost:8082/savepoint-disposal`), '400', 'disposal of a relative path: 400');
t.eq(bad(`-X POST -d '{"path": "/x"}' localhost:8082/savepoint-disposal`), '400', 'disposal without savepoint-path: 400');
t.eq(bad('localhost:8082/savepoint-disposal/0123456789abcdef0123456789abcdef'), '404', 'unknown disposal trigger: 404');
r = ctl('dispose', `${spPath(loc3)}/_metadata`);
t.ok(r.status === 0 && /completed/.test(r.stdout) && !existsSync(spPath(loc3)), `bronzectl dispose: ${r.stdout.trim()}`, r.stderr);
r = ctl('dispose', spPath(loc3));
t.ok(r.status === 1 && /not a savepoint/.test(r.stderr), 'bronzectl dispose of a disposed savepoint: exit 1 with the cause', r.stderr);

// a restore allowed to duplicate (from a savepoint the table has moved
// past): verify finds the offsets held twice and exits 1
r = ctl('--json', 'savepoints', 'binance');
const older = JSON.parse(r.stdout)[0]?.location;
r = ctl('restore', 'binance', older, '--allow-duplicates');
t.ok(r.status === 0, `restore --allow-duplicates from ${older}`, r.stderr);
const dup = await until(async () => {
  const v = ctl('--json', 'verify', 'binance');
  return v.status === 1 && v.stdout ? JSON.parse(v.stdout).operation : null;
}, 60000);
t.ok(dup && dup.ok === false && dup.partitions.some((p) => p['overlaps-total'] === 1 && p.overlaps.length === 1),
  `bronzectl verify after duplicating: overlaps reported (${JSON.stringify(dup?.partitions.map((p) => p.overlaps))})`);
r = ctl('verify', 'binance');
t.ok(r.status === 1 && /held twice \d+\.\.\d+/.test(r.stdout) && /NOT OK/.test(r.stdout), 'bronzectl verify (human): the ranges held twice, NOT OK, exit 1', r.stdout);
t.eq(await d3.stop(), 0, 'clean stop');
t.ok(existsSync(spDir), 'savepoint directory exists');
await mk.stop();
await t.done();
