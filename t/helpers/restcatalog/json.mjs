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
  const p = new Parser(text);
  const v = p.value('');
  p.ws();
  if (p.i !== text.length) p.fail('trailing characters after the JSON value');
  return v;
}

// A recursive-descent reader over one text; path names the current value.
class Parser {
  constructor(text) {
    this.text = text;
    this.i = 0;
  }

  fail(what) {
    const before = this.text.slice(0, this.i);
    const line = before.split('\n').length;
    const col = this.i - before.lastIndexOf('\n');
    throw new JsonError(`invalid JSON at line ${line} column ${col}: ${what}`);
  }

  ws() {
    while (this.i < this.text.length && ' \t\n\r'.includes(this.text[this.i])) this.i++;
  }

  value(path) {
    this.ws();
    const c = this.text[this.i];
    if (c === '{') return this.object(path);
    if (c === '[') return this.array(path);
    if (c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number(path);
    for (const [word, v] of [['true', true], ['false', false], ['null', null]])
      if (this.text.startsWith(word, this.i)) { this.i += word.length; return v; }
    return this.fail(c === undefined ? 'unexpected end of input' : `unexpected '${c}'`);
  }

  // Read "sep item sep item ... close" after the opening bracket.
  list(close, item) {
    this.i++;
    this.ws();
    if (this.text[this.i] === close) { this.i++; return; }
    for (;;) {
      item();
      this.ws();
      if (this.text[this.i] === ',') { this.i++; continue; }
      if (this.text[this.i] === close) { this.i++; return; }
      this.fail(`expected ',' or '${close}'`);
    }
  }

  object(path) {
    const o = {};
    this.list('}', () => {
      this.ws();
      if (this.text[this.i] !== '"') this.fail('expected a string key');
      const k = this.string();
      if (Object.prototype.hasOwnProperty.call(o, k))
        this.fail(`duplicate key "${k}" in ${path || 'the top-level object'}`);
      this.ws();
      if (this.text[this.i] !== ':') this.fail("expected ':'");
      this.i++;
      o[k] = this.value(path ? `${path}.${k}` : k);
    });
    return o;
  }

  array(path) {
    const a = [];
    this.list(']', () => a.push(this.value(`${path}[${a.length}]`)));
    return a;
  }

  string() {
    const t = this.text, start = this.i++;
    while (this.i < t.length && t[this.i] !== '"') {
      if (t[this.i] === '\\') this.i++;
      else if (t.charCodeAt(this.i) < 0x20) this.fail('control character in string');
      this.i++;
    }
    if (this.i >= t.length) this.fail('unterminated string');
    this.i++;
    try { return JSON.parse(t.slice(start, this.i)); } catch { return this.fail('bad escape in string'); }
  }

  number(path) {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(this.text.slice(this.i, this.i + 400));
    if (!m) this.fail('malformed number');
    this.i += m[0].length;
    if (m[2] || m[3]) return Number(m[0]);
    const n = Number(m[0]);
    if (Number.isSafeInteger(n)) return n;
    const b = BigInt(m[0]);
    if (b < INT64_MIN || b > INT64_MAX)
      this.fail(`integer ${m[0]} at ${path || 'top level'} is outside the int64 range`);
    return b;
  }
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
