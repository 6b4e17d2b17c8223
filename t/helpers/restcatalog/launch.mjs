// launch.mjs: start the REST catalog test server from a test and drive its
// /_test/ control routes. Usage:
//   const cat = await startCatalog({ warehouse: dir, args: ['--prefix', 'p'] });
//   cat.url  -> 'http://127.0.0.1:PORT'
//   await cat.faults('commit:lost#1');     // or [{route, fault, rate, count, ms}]
//   (await cat.log()).filter((e) => e.operation === 'updateTable')
//   await cat.table('market_data', 'trades')  // {metadata-location, metadata}
//   await cat.stop()                       // SIGTERM; resolves the exit code
// JSON is read with the exact parser, so 64-bit ids arrive as BigInt.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from './json.mjs';

const SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'restcatalog.mjs');

// GET/POST a control route; resolves the parsed answer or throws.
async function control(url, method, route, body) {
  const r = await fetch(url + route, { method, body: body === undefined ? undefined : stringify(body),
    headers: body === undefined ? {} : { 'content-type': 'application/json' }, signal: AbortSignal.timeout(10000) });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${route}: ${r.status} ${text}`);
  return text ? parse(text) : undefined;
}

// Spawn the server; resolves once it prints LISTENING (rejects after timeoutMs).
export function startCatalog({ warehouse, args = [], quiet = true, timeoutMs = 10000 }) {
  const p = spawn(process.execPath, [SERVER, '--warehouse', warehouse, ...(quiet ? ['--quiet'] : []), ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '', out = '';
  p.stderr.on('data', (d) => { err += d; });
  const exit = new Promise((resolve) => p.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { p.kill(); reject(new Error(`catalog did not start: ${err}`)); }, timeoutMs);
    p.on('exit', (code) => { clearTimeout(timer); reject(new Error(`catalog exited ${code}: ${err}`)); });
    p.stdout.on('data', (d) => {
      out += d;
      const m = /^LISTENING (http:\/\/\S+)\n/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      const url = m[1];
      resolve({
        url, proc: p, exit,
        stderr: () => err,
        stop: () => { if (p.exitCode === null) p.kill('SIGTERM'); return exit; },
        faults: (rules, seed) => control(url, 'POST', '/_test/faults', { rules, seed }),
        log: async (since = 0) => (await control(url, 'GET', `/_test/log?since=${since}`)).requests,
        table: (ns, name) => control(url, 'GET', `/_test/tables/${encodeURIComponent(ns)}/${encodeURIComponent(name)}`),
      });
    });
  });
}
