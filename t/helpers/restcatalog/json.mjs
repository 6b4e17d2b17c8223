// json.mjs: exact JSON for the REST catalog test server. Integer literals
// beyond Number.MAX_SAFE_INTEGER are read as BigInt and printed back digit for
// digit, so 64-bit snapshot ids survive create/commit/load unchanged. The
// parser is strict: duplicate keys, trailing garbage and integers outside the
// int64 range are errors.

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export class JsonError extends Error {}

// Parse text into plain values (BigInt for unsafe integers); throw JsonError.
export function parse(text) {
  let i = 0;
  const fail = (what) => {
    const before = text.slice(0, i);
    const line = before.split('\n').length;
    const col = i - before.lastIndexOf('\n');
    throw new JsonError(`invalid JSON at line ${line} column ${col}: ${what}`);
  };
  const ws = () => { while (i < text.length && ' \t\n\r'.includes(text[i])) i++; };
  const value = (path) => {
    ws();
    const c = text[i];
    if (c === '{') return object(path);
    if (c === '[') return array(path);
    if (c === '"') return string();
    if (c === '-' || (c >= '0' && c <= '9')) return number(path);
    for (const [word, v] of [['true', true], ['false', false], ['null', null]])
      if (text.startsWith(word, i)) { i += word.length; return v; }
    return fail(c === undefined ? 'unexpected end of input' : `unexpected '${c}'`);
  };
  const object = (path) => {
    const o = {};
    i++; ws();
    if (text[i] === '}') { i++; return o; }
    for (;;) {
      ws();
      if (text[i] !== '"') fail('expected a string key');
      const k = string();
      if (Object.prototype.hasOwnProperty.call(o, k))
        fail(`duplicate key "${k}" in ${path || 'the top-level object'}`);
      ws();
      if (text[i] !== ':') fail("expected ':'");
      i++;
      o[k] = value(path ? `${path}.${k}` : k);
      ws();
      if (text[i] === ',') { i++; continue; }
      if (text[i] === '}') { i++; return o; }
      fail("expected ',' or '}'");
    }
  };
  const array = (path) => {
    const a = [];
    i++; ws();
    if (text[i] === ']') { i++; return a; }
    for (;;) {
      a.push(value(`${path}[${a.length}]`));
      ws();
      if (text[i] === ',') { i++; continue; }
      if (text[i] === ']') { i++; return a; }
      fail("expected ',' or ']'");
    }
  };
  const string = () => {
    const start = i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      else if (text.charCodeAt(i) < 0x20) fail('control character in string');
      i++;
    }
    if (i >= text.length) fail('unterminated string');
    i++;
    try { return JSON.parse(text.slice(start, i)); } catch { return fail('bad escape in string'); }
  };
  const number = (path) => {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m) fail('malformed number');
    i += m[0].length;
    if (m[2] || m[3]) return Number(m[0]);
    const n = Number(m[0]);
    if (Number.isSafeInteger(n)) return n;
    const b = BigInt(m[0]);
    if (b < INT64_MIN || b > INT64_MAX)
      fail(`integer ${m[0]} at ${path || 'top level'} is outside the int64 range`);
    return b;
  };
  const v = value('');
  ws();
  if (i !== text.length) fail('trailing characters after the JSON value');
  return v;
}

// Serialize like JSON.stringify(v, null, indent) but print BigInt exactly.
export function stringify(v, indent = 0) {
  const pad = (d) => (indent ? '\n' + ' '.repeat(indent * d) : '');
  const sep = indent ? ': ' : ':';
  const out = (x, d) => {
    if (x === null) return 'null';
    switch (typeof x) {
    case 'bigint': return x.toString();
    case 'number':
      if (!Number.isFinite(x)) throw new TypeError('cannot serialize a non-finite number');
      return JSON.stringify(x);
    case 'string': case 'boolean': return JSON.stringify(x);
    case 'object': break;
    default: throw new TypeError(`cannot serialize a ${typeof x}`);
    }
    if (Array.isArray(x)) {
      if (!x.length) return '[]';
      return '[' + x.map((e) => pad(d + 1) + out(e, d + 1)).join(',') + pad(d) + ']';
    }
    const keys = Object.keys(x).filter((k) => x[k] !== undefined);
    if (!keys.length) return '{}';
    return '{' + keys.map((k) => pad(d + 1) + JSON.stringify(k) + sep +
      out(x[k], d + 1)).join(',') + pad(d) + '}';
  };
  return out(v, 0);
}

// A copy with BigInt turned into (inexact) Number: the view a JSON Schema
// validator understands. Exact values stay in the original.
export function plain(v) {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v)) o[k] = plain(v[k]);
    return o;
  }
  return v;
}

// Exact equality of two integers that may each be a Number or a BigInt.
export function sameInt(a, b) {
  if (a === null || a === undefined || b === null || b === undefined)
    return a === b || (a == null && b == null);
  return BigInt(a) === BigInt(b);
}

// A deep copy that keeps BigInt values.
export function clone(v) {
  return parse(stringify(v));
}
