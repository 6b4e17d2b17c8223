// s3.mjs: S3 for end-to-end tests: start moto_server with signature
// checks (t/helpers/s3server) and let node's fetch read s3:// objects
// through it with SigV4-signed requests, as icebird and other readers do.
//   const s3 = await startS3(['warehouse']);   // null if moto is missing
//   s3.endpoint, s3.keyId, s3.secret; installS3Fetch(s3); await s3.stop();
import { spawn } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import path from 'node:path';

const srcdir = process.env.BRONZE_SRCDIR || '.';

// Spawn s3server; resolves {endpoint, keyId, secret, stop} or {skip}.
export function startS3(buckets = ['bronze'], timeoutMs = 30000) {
  const p = spawn('python3', [path.join(srcdir, 't/helpers/s3server'), ...buckets],
    { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '', err = '';
  p.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((r) => p.on('exit', r));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { p.kill(); reject(new Error(`s3server did not start: ${err}`)); }, timeoutMs);
    p.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      const line = out.slice(0, nl).trim();
      if (line.startsWith('SKIP')) { resolve({ skip: line.slice(5) }); return; }
      const [endpoint, keyId, secret] = line.split(' ');
      resolve({ endpoint, keyId, secret, stop: async () => { p.stdin.end(); p.kill('SIGTERM'); await exited; } });
    });
    p.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

const sha256 = (s) => createHash('sha256').update(s).digest('hex');
const hmac = (k, s) => createHmac('sha256', k).update(s).digest();

// SigV4 headers for a GET/HEAD of path (already URI-encoded) on endpoint.
function sign(s3, method, pathname) {
  const u = new URL(s3.endpoint);
  const date = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const day = date.slice(0, 8);
  const scope = `${day}/us-east-1/s3/aws4_request`;
  const headers = { host: u.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'x-amz-date': date };
  const names = Object.keys(headers).sort();
  const canonical = [method, pathname, '', ...names.map((n) => `${n}:${headers[n]}`), '',
    names.join(';'), 'UNSIGNED-PAYLOAD'].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', date, scope, sha256(canonical)].join('\n');
  let k = hmac(`AWS4${s3.secret}`, day);
  for (const part of ['us-east-1', 's3', 'aws4_request']) k = hmac(k, part);
  const signature = createHmac('sha256', k).update(toSign).digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${s3.keyId}/${scope}, ` +
    `SignedHeaders=${names.join(';')}, Signature=${signature}`;
  delete headers.host;
  return headers;
}

// Map s3://b/k, s3a://b/k and https://b.s3.amazonaws.com/k (icebird's
// rewrite) to signed path-style requests on the moto endpoint.
export function installS3Fetch(s3) {
  const real = globalThis.fetch;
  globalThis.fetch = async (url, init = {}) => {
    const u = String(url);
    const m = /^s3a?:\/\/([^/]+)\/(.*)$/.exec(u) || /^https:\/\/([^./]+)\.s3\.amazonaws\.com\/(.*)$/.exec(u);
    if (!m) return real(url, init);
    const key = m[2].split('/').map((seg) => encodeURIComponent(decodeURIComponent(seg))).join('/');
    const pathname = `/${m[1]}/${key}`;
    const method = init.method || 'GET';
    const h = { ...(init.headers || {}), ...sign(s3, method, pathname) };
    return real(s3.endpoint + pathname, { ...init, method, headers: h });
  };
  return () => { globalThis.fetch = real; };
}

// Start t/helpers/faultproxy.py in front of upstream; resolves
// {url, rate(r), stats(), stop}.  faults: "503,500,drop-before,...".
export function startFaultProxy(upstream, { rate = 0, seed = 1, faults } = {}) {
  const args = [path.join(srcdir, 't/helpers/faultproxy.py'), '--upstream', upstream,
    '--rate', String(rate), '--seed', String(seed), ...(faults ? ['--faults', faults] : [])];
  const p = spawn('python3', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '', err = '';
  p.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((r) => p.on('exit', r));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { p.kill(); reject(new Error(`faultproxy did not start: ${err}`)); }, 15000);
    p.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      const url = out.slice(0, nl).trim();
      const ctl = async (q) => (await fetch(`${url}/__faultproxy/${q}`)).text();
      resolve({ url, rate: (r) => ctl(`rate?${r}`), stats: async () => JSON.parse(await ctl('stats')),
        stop: async () => { p.stdin.end(); p.kill('SIGTERM'); await exited; } });
    });
  });
}
