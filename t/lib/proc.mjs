// proc.mjs: child-process plumbing shared by the test libraries: children
// are killed when the test exits (however it exits), exits are awaited with
// a bound, and a child's output is read line by line with a bound.
import { rmSync } from 'node:fs';
import os from 'node:os';
import readline from 'node:readline';

const live = new Set();
const dirs = new Set();

function killAll() {
  for (const p of live) {
    try { p.kill('SIGKILL'); } catch { /* already gone */ }
  }
  live.clear();
  if (!process.env.BRONZE_KEEP_TMP)
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.once(sig, () => { killAll(); process.exit(128 + os.constants.signals[sig]); });

// Track a child: killed with SIGKILL if still running when the test exits.
// Returns a promise of its exit as { code, signal, status } where status is
// the shell-style exit status (128 + signal number when killed).
export function track(proc) {
  live.add(proc);
  return new Promise((resolve) => {
    const done = (code, signal) => {
      live.delete(proc);
      resolve({ code, signal,
        status: code ?? 128 + (os.constants.signals[signal] || 0) });
    };
    if (proc.exitCode !== null || proc.signalCode !== null)
      done(proc.exitCode, proc.signalCode);
    else
      proc.once('exit', done);
  });
}

// Remove DIR when the test exits (unless BRONZE_KEEP_TMP is set).
export function removeAtExit(dir) {
  dirs.add(dir);
  return dir;
}

// Resolve with the value of PROMISE, or null after MS milliseconds.
export function within(promise, ms) {
  let timer;
  return Promise.race([
    promise,
    new Promise((resolve) => { timer = setTimeout(() => resolve(null), ms); }),
  ]).finally(() => clearTimeout(timer));
}

// Read STREAM by lines: returns next(ms, what) -> Promise<line>, which
// rejects after ms or when the stream ends first.
export function lineReader(stream) {
  const queue = [], waiters = [];
  let ended = false;
  const rl = readline.createInterface({ input: stream, crlfDelay: Infinity });
  rl.on('line', (line) => {
    const w = waiters.shift();
    if (w) w.resolve(line); else queue.push(line);
  });
  rl.on('close', () => {
    ended = true;
    for (const w of waiters.splice(0)) w.reject(new Error(`${w.what}: output ended`));
  });
  return function next(ms, what = 'line') {
    if (queue.length) return Promise.resolve(queue.shift());
    if (ended) return Promise.reject(new Error(`${what}: output ended`));
    return new Promise((resolve, reject) => {
      const w = { what };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(w), 1);
        reject(new Error(`${what}: no answer in ${ms} ms`));
      }, ms);
      w.resolve = (l) => { clearTimeout(timer); resolve(l); };
      w.reject = (e) => { clearTimeout(timer); reject(e); };
      waiters.push(w);
    });
  };
}
