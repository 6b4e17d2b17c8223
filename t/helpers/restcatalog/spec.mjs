// spec.mjs: the REST catalog OpenAPI document as a request checker. It knows
// every route and method of the spec, checks path, query and header
// parameters and request bodies (JSON or form) with ajv, and checks the
// server's own responses against the schema of their status code.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { dep, nodeModules } from '../../lib/deps.mjs';
import { convert, convertSchemas, describeErrors } from './schema.mjs';
import { parse, plain, JsonError } from './json.mjs';

const METHODS = ['get', 'put', 'post', 'delete', 'head', 'patch'];
const SPEC_ID = 'spec';

// Load ajv (JSON Schema 2020-12 flavour, as OpenAPI 3.1 uses) with formats.
async function makeAjv() {
  const m = await import(pathToFileURL(path.join(nodeModules, 'ajv', 'dist', '2020.js')).href);
  const Ajv2020 = m.default.default || m.default;
  const fm = await dep('ajv-formats');
  const addFormats = fm.default.default || fm.default;
  const ajv = new Ajv2020({ strict: false, allErrors: true, verbose: true });
  addFormats(ajv);
  const intIn = (lim) => (n) => Number.isInteger(n) && n >= -lim && n <= lim;
  ajv.addFormat('int64', { type: 'number', validate: intIn(2 ** 63) });
  ajv.addFormat('int32', { type: 'number', validate: intIn(2 ** 31) });
  ajv.addFormat('byte', /^[A-Za-z0-9+/]*={0,2}$/);
  return ajv;
}

// Point a fragment's local '#/...' references at the spec document.
function anchor(s) {
  if (Array.isArray(s)) return s.map(anchor);
  if (!s || typeof s !== 'object') return s;
  const o = {};
  for (const [k, v] of Object.entries(s))
    o[k] = k === '$ref' && v.startsWith('#/') ? SPEC_ID + v : anchor(v);
  return o;
}

export class Spec {
  // Build from the YAML file; prefix is the catalog's path prefix or ''.
  static async load(file, prefix) {
    const y = await dep('js-yaml');
    const doc = (y.load || y.default.load)(readFileSync(file, 'utf8'));
    const spec = new Spec(doc, prefix, await makeAjv());
    return spec;
  }

  constructor(doc, prefix, ajv) {
    this.doc = doc;
    this.prefix = prefix;
    this.ajv = ajv;
    this.raw = doc.components.schemas;
    ajv.addSchema({ $id: SPEC_ID, components: { schemas: convertSchemas(this.raw) } });
    this.cache = new Map();
    this.routes = [];
    for (const [tmpl, item] of Object.entries(doc.paths))
      for (const method of METHODS)
        if (item[method]) this.routes.push(this.route(tmpl, item, method));
  }

  // One route: its regex, parameter names and the operation's parameters.
  route(tmpl, item, method) {
    const op = item[method];
    const concrete = this.prefix ? tmpl.replace('{prefix}', this.prefix) :
      tmpl.replace('/{prefix}', '');
    const names = [];
    const re = new RegExp('^' + concrete.split(/(\{[^}]+\})/).map((part) => {
      if (part.startsWith('{')) { names.push(part.slice(1, -1)); return '([^/]+)'; }
      return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
    }).join('') + '$');
    const params = [...(item.parameters || []), ...(op.parameters || [])]
      .map((p) => this.deref(p));
    return { tmpl, method: method.toUpperCase(), op, id: op.operationId, re, names, params };
  }

  deref(o) {
    while (o && o.$ref) {
      const parts = o.$ref.slice(2).split('/');
      o = parts.reduce((a, k) => a[k], this.doc);
    }
    return o;
  }

  // Validator for a schema fragment of the spec (cached by identity).
  validator(schema) {
    let v = this.cache.get(schema);
    if (!v) {
      v = this.ajv.compile(anchor(convert(schema, this.raw, false)));
      this.cache.set(schema, v);
    }
    return v;
  }

  // Find the route; returns {route, params} or {error, status}.
  match(method, pathname) {
    let pathOk = null;
    for (const r of this.routes) {
      const m = r.re.exec(pathname);
      if (!m) continue;
      pathOk = r;
      if (r.method !== method) continue;
      const params = {};
      try {
        r.names.forEach((n, k) => { params[n] = decodeURIComponent(m[k + 1]); });
      } catch {
        return { error: `path: bad percent-encoding in ${pathname}` };
      }
      return { route: r, params };
    }
    if (pathOk)
      return { error: `${method} is not a method of ${pathOk.tmpl} in the spec` };
    const hint = this.prefix ? ` (this catalog's prefix is "${this.prefix}")` :
      ' (this catalog has no prefix)';
    return { error: `no route ${method} ${pathname} in the REST catalog spec${hint}` };
  }

  // Check path, query and header parameters; returns an error string or null
  // and fills out.query with typed query values.
  checkParams(route, params, query, headers, out) {
    out.query = {};
    const declared = new Map(route.params.map((p) => [`${p.in}:${p.name}`, p]));
    for (const [name, value] of Object.entries(params)) {
      if (value === '') return `path parameter ${name}: must not be empty`;
    }
    const seen = new Set();
    for (const [name, value] of query) {
      const p = declared.get(`query:${name}`);
      if (!p) return `query parameter ${name}: not a parameter of ${route.id} in the spec`;
      if (seen.has(name)) return `query parameter ${name}: given more than once`;
      seen.add(name);
      const typed = typedValue(this.deref(p.schema), value);
      const v = this.validator(p.schema);
      if (typed === undefined || !v(typed))
        return describeErrors(v.errors || [{ instancePath: '', keyword: 'type',
          message: 'has the wrong type', params: {} }], `query parameter ${name}`);
      out.query[name] = typed;
    }
    for (const p of route.params) {
      if (p.in === 'query' && p.required && !seen.has(p.name))
        return `query parameter ${p.name}: is required`;
      if (p.in !== 'header') continue;
      const raw = headers[p.name.toLowerCase()];
      if (raw === undefined) {
        if (p.required) return `header ${p.name}: is required`;
        continue;
      }
      const s = this.deref(p.schema);
      const typed = s.type === 'array' ? raw.split(',').map((x) => x.trim()) : raw;
      const v = this.validator(p.schema);
      if (!v(typed)) return describeErrors(v.errors, `header ${p.name}`);
    }
    return null;
  }

  // Parse and check the body; returns {value} (exact values) or {error}.
  checkBody(route, contentType, text, basicAuth) {
    const rb = this.deref(route.op.requestBody);
    if (!rb) {
      if (text.length) return { error: `body: ${route.id} takes no request body` };
      return { value: undefined };
    }
    if (!text.length) {
      if (rb.required) return { error: `body: ${route.id} requires a request body` };
      return { value: undefined };
    }
    const type = (contentType || '').split(';')[0].trim().toLowerCase();
    const media = rb.content[type];
    if (!media)
      return { error: `header Content-Type: must be ${Object.keys(rb.content).join(' or ')} (got "${contentType || ''}")` };
    let value;
    if (type === 'application/json') {
      try { value = parse(text); } catch (e) {
        if (e instanceof JsonError) return { error: `body: ${e.message}` };
        throw e;
      }
    } else {
      value = {};
      for (const [k, v] of new URLSearchParams(text)) {
        if (k in value) return { error: `body.${k}: given more than once` };
        value[k] = v;
      }
      if (basicAuth) for (const k of Object.keys(basicAuth)) value[k] ??= basicAuth[k];
    }
    const v = this.validator(media.schema);
    if (!v(plain(value))) return { error: describeErrors(v.errors, 'body') };
    return { value };
  }

  // Check a response body against the spec; returns an error string or null.
  checkResponse(route, status, value) {
    const rs = route.op.responses || {};
    const r = this.deref(rs[status] || rs[`${String(status)[0]}XX`] || rs.default);
    if (!r) return `status ${status} is not a response of ${route.id} in the spec`;
    const media = r.content && r.content['application/json'];
    if (!media) return value === undefined ? null :
      `status ${status} of ${route.id} has no body in the spec`;
    if (value === undefined) return `status ${status} of ${route.id} needs a body`;
    const v = this.validator(media.schema);
    return v(plain(value)) ? null : describeErrors(v.errors, 'response');
  }

  // "METHOD /v1/{prefix}/..." strings of the given operation ids.
  endpoints(ids) {
    return this.routes.filter((r) => ids.has(r.id) && r.tmpl.includes('{prefix}'))
      .map((r) => `${r.method} ${r.tmpl}`);
  }
}

// A query string value typed per its schema; undefined if it cannot be.
function typedValue(s, value) {
  const t = Array.isArray(s.type) ? s.type.find((x) => x !== 'null') : s.type;
  if (t === 'integer') return /^-?[0-9]+$/.test(value) ? Number(value) : undefined;
  if (t === 'boolean') return value === 'true' ? true : value === 'false' ? false : undefined;
  return value;
}
