// filefetch.mjs: node's fetch has no file: scheme; icebird reads tables
// through fetch, so serve file: URLs (with Range requests) from disk.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function installFileFetch() {
  const real = globalThis.fetch;
  globalThis.fetch = async (url, init = {}) => {
    const u = String(url);
    if (!u.startsWith('file:')) return real(url, init);
    let buf;
    try { buf = readFileSync(fileURLToPath(u)); } catch { return new Response('', { status: 404 }); }
    const h = init.headers || {};
    const range = /bytes=([0-9]+)-([0-9]*)/.exec(h.Range || h.range || '');
    if (!range)
      return new Response(init.method === 'HEAD' ? null : buf,
        { status: 200, headers: { 'content-length': String(buf.length) } });
    const end = range[2] ? Number(range[2]) + 1 : buf.length;
    return new Response(buf.subarray(Number(range[1]), end), { status: 206 });
  };
  return () => { globalThis.fetch = real; };
}
