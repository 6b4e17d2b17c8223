// daemon.mjs: start the real bronzed from an end-to-end test.
//
//   const d = await startDaemon({ config: { 'job.b.source.topic': 'b.raw',
//     'job.b.sink.table': 'ns.t' }, env: {...}, args: [...] });
//   d.url, d.port, d.dir (fresh temp dir: state/, warehouse/, bronzed.conf)
//   await d.fetchJson('/jobs')        -> { status, headers, body }
//   d.logs()                          -> stderr so far
//   await d.stop()                    -> exit status (SIGTERM, bounded)
//
// config is an object of key: value (null drops a default) or the text of
// a config file; the test defaults below fill in the keys it does not set.
// Under VALGRIND_TEST=1 the daemon runs in valgrind (memcheck, definite
// leaks are errors, exit status 99 on any error): assert stop() === 0.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { removeAtExit, track, within } from './proc.mjs';

export const bronzedPath = process.env.BRONZED ||
  path.join(process.env.BRONZE_BUILDDIR || process.cwd(), 'src/bronzed');
const valgrind = !!process.env.VALGRIND_TEST;
const slow = valgrind ? 10 : 1;	/* time factor under valgrind */

function defaults(dir) {
  return {
    'admin.bind': '127.0.0.1',
    'admin.port': 0,
    'metrics.port': 0,
    'state.dir': path.join(dir, 'state'),
    'catalog.type': 'filesystem',
    'catalog.warehouse': path.join(dir, 'warehouse'),
  };
}

// The config file's text: CONFIG (object or text) over the defaults.
export function configText(config, dir) {
  const def = defaults(dir);
  if (typeof config === 'string') {
    const keys = new Set([...config.matchAll(/^\s*([^#\s:][^:\s]*)\s*:/gm)]
      .map((m) => m[1]));
    const extra = Object.entries(def).filter(([k]) => !keys.has(k))
      .map(([k, v]) => `${k}: ${v}`);
    return ['# test defaults', ...extra, '', config, ''].join('\n');
  }
  return Object.entries({ ...def, ...config })
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}: ${v}`).join('\n') + '\n';
}

export async function startDaemon({ config = {}, env = {}, args = [],
  timeoutMs = 15000 } = {}) {
  const dir = removeAtExit(mkdtempSync(path.join(os.tmpdir(), 'bronze-daemon-')));
  const file = path.join(dir, 'bronzed.conf');
  writeFileSync(file, configText(config, dir));
  let cmd = bronzedPath, argv = ['-c', file, ...args];
  if (valgrind) {
    argv = ['-q', '--error-exitcode=99', '--leak-check=full',
      '--errors-for-leak-kinds=definite', cmd, ...argv];
    cmd = 'valgrind';
  }
  const proc = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env } });
  const exited = track(proc);
  let stderr = '';
  const ready = new Promise((resolve, reject) => {
    proc.once('error', reject);
    proc.stderr.on('data', (d) => {
      stderr += d;
      const m = /admin API on http:\/\/(\S+?):(\d+)\//.exec(stderr);
      if (m) resolve(m);
    });
    exited.then((r) => reject(new Error(`bronzed exited with ${r.status}`)));
  });
  let m;
  try {
    m = await within(ready, timeoutMs * slow);
  } catch (e) {
    throw new Error(`${e.message} before its admin API was up:\n${stderr}`);
  }
  if (!m) {
    proc.kill('SIGKILL');
    throw new Error(`no "admin API on" line in ${timeoutMs * slow} ms:\n${stderr}`);
  }
  // main.c logs the admin line before it installs its signal handlers: a
  // signal right after it would kill the daemon, so give it the moment it
  // needs to log that it started (bounded; nothing depends on that line).
  for (let i = 0; i < 20 * slow && !/ started with \d+ job/.test(stderr); i++)
    await new Promise((r) => setTimeout(r, 100));
  const url = `http://${m[1]}:${m[2]}`;
  return {
    url, port: Number(m[2]), dir, file, proc, exited,
    logs: () => stderr,
    // One request; body parsed as JSON when it is JSON, else text.
    async fetchJson(p, opts = {}) {
      const init = { method: opts.method || 'GET', headers: { ...opts.headers },
        signal: AbortSignal.timeout((opts.timeoutMs || 10000) * slow) };
      if (opts.body !== undefined) {
        init.body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
        init.headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(url + p, init);
      const text = await res.text();
      let body = text;
      try { body = JSON.parse(text); } catch { /* not JSON */ }
      return { status: res.status, headers: Object.fromEntries(res.headers), body };
    },
    // Signal it and wait (bounded); SIGKILL and throw past the bound.
    async stop(signal = 'SIGTERM', ms = 20000) {
      if (proc.exitCode === null && proc.signalCode === null)
        proc.kill(signal);
      const r = await within(exited, ms * slow);
      if (r) return r.status;
      proc.kill('SIGKILL');
      throw new Error(`bronzed did not exit in ${ms * slow} ms after ${signal}:\n${stderr}`);
    },
  };
}
