// server.mjs: the strict REST catalog over node:http. For every request:
// route and method must exist in the spec, then auth, then parameters and
// body are checked (400 naming the field that failed), Idempotency-Key
// replays are served, faults are injected, the operation runs and its
// response is itself checked against the spec before it is sent. Control
// routes under /_test/ (not part of the spec) expose the request log, the
// fault rules and the current table metadata to tests. A log entry is
// {seq, time, method, path, operation, status ('held'/'dropped' when no
// answer was sent), valid, error, body (JSON bodies, exact), fault,
// applied, replay, selfcheck}.
import http from 'node:http';
import { createHash } from 'node:crypto';
import { Spec } from './spec.mjs';
import { Store } from './store.mjs';
import { Faults, parseFaults } from './faults.mjs';
import { HANDLERS } from './handlers.mjs';
import { Auth } from './auth.mjs';
import { CatalogError, errorBody } from './errors.mjs';
import { parse, stringify } from './json.mjs';

const MAX_BODY = 64 << 20;

// The answer for an injected status, with the error type the spec gives it.
function injected(status, opId, applied) {
  let type = opId === 'updateTable' ? 'CommitStateUnknownException' : 'InternalServerError';
  if (status === 409) type = opId === 'updateTable' ? 'CommitFailedException' : 'ConflictException';
  else if (status === 503) type = 'ServiceUnavailableException';
  return { status, body: errorBody(status, type,
    `injected fault ${status} (${applied ? 'the request was applied' : 'nothing was applied'})`) };
}

// A hostile version of a real answer: its JSON cut in half, or the
// metadata's fields given the wrong JSON types.
function hostile(kind, out) {
  if (kind === 'truncated') {
    const text = stringify(out.body ?? {});
    return { status: out.status, raw: text.slice(0, Math.floor(text.length / 2)) };
  }
  const m = out.body?.metadata;
  const body = { ...(out.body ?? {}), metadata: m && typeof m === 'object' ? { ...m,
    'format-version': '2', 'current-snapshot-id': 'latest', snapshots: { not: 'a list' },
    refs: [], 'last-sequence-number': null } : 'metadata' };
  return { status: out.status, body };
}

export class CatalogServer {
  // opts: warehouse, locationBase, prefix, token, clientId, clientSecret,
  // faults, seed, reassignIds, checkFiles, specFile, quiet.
  static async create(opts) {
    const s = new CatalogServer(opts);
    s.spec = await Spec.load(opts.specFile, opts.prefix || '');
    s.endpoints = s.spec.endpoints(new Set(Object.keys(HANDLERS)));
    return s;
  }

  constructor(opts) {
    this.opts = opts;
    this.store = new Store(opts.warehouse, opts.locationBase);
    this.faults = new Faults(parseFaults(opts.faults || ''), opts.seed ?? 1);
    this.auth = new Auth(opts);
    this.log = [];
    this.seq = 0;
    this.replays = new Map();
    this.sockets = new Set();
    this.warehouseNames = new Set([this.store.warehouse, this.store.base,
      ...(opts.warehouseName ? [opts.warehouseName] : [])]);
    this.http = http.createServer((req, res) => this.onRequest(req, res));
    this.http.on('connection', (sock) => {
      this.sockets.add(sock);
      sock.on('close', () => this.sockets.delete(sock));
    });
  }

  listen(port = 0, host = '127.0.0.1') {
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, host, () => resolve(this.http.address().port));
    });
  }

  close() {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.http.close(() => resolve()));
  }

  onRequest(req, res) {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      const entry = { seq: ++this.seq, time: Date.now(), method: req.method, path: req.url };
      this.log.push(entry);
      let out;
      try {
        if (size > MAX_BODY) out = this.fail(entry, 413, 'BadRequestException', 'body: request body too large');
        else out = this.dispatch(req, Buffer.concat(chunks).toString('utf8'), entry);
      } catch (e) {
        out = this.fail(entry, 500, 'InternalServerError', `server error: ${e.stack || e}`);
      }
      if (out) this.send(req, res, entry, out);
    });
  }

  // Record a failure in the log entry and build its ErrorModel answer.
  fail(entry, status, type, message) {
    entry.error = message;
    if (status === 400) entry.valid = false;
    return { status, body: errorBody(status, type, message) };
  }

  // Route a request; returns {status, body, headers} or null if the answer
  // is handled elsewhere (held or dropped connections).
  dispatch(req, text, entry) {
    const url = new URL(req.url, 'http://catalog');
    if (url.pathname.startsWith('/_test/')) return this.control(req, url, text, entry);
    const m = this.spec.match(req.method, url.pathname);
    if (m.error) return this.fail(entry, 400, 'BadRequestException', m.error);
    const route = m.route;
    entry.operation = route.id;
    const oauth = route.id === 'getToken';
    if (!oauth && !this.auth.ok(req.headers.authorization))
      return this.fail(entry, 401, 'NotAuthorizedException', 'Not authorized: missing or unknown bearer token');
    const checked = {};
    let err = this.spec.checkParams(route, m.params, url.searchParams, req.headers, checked);
    let body;
    if (!err) {
      const b = this.spec.checkBody(route, req.headers['content-type'], text, basicAuth(req));
      err = b.error;
      body = b.value;
    }
    if (err) {
      if (oauth) {
        entry.valid = false;
        entry.error = err;
        return { status: 400, body: { error: 'invalid_request', error_description: err } };
      }
      return this.fail(entry, 400, 'BadRequestException', err);
    }
    entry.valid = true;
    if (body !== undefined && !oauth) entry.body = body;
    const handler = HANDLERS[route.id];
    if (!handler)
      return this.fail(entry, 501, 'NotImplementedException',
        `${route.id} (${route.method} ${route.tmpl}) is not implemented by this test catalog`);
    const request = { params: m.params, query: checked.query, body, headers: req.headers };
    return this.run(req, route, request, entry);
  }

  // Idempotency replay, fault injection, the operation and the self-check.
  run(req, route, request, entry) {
    const declaresKey = route.params.some((p) => p.in === 'header' && p.name === 'Idempotency-Key');
    const key = declaresKey ? req.headers['idempotency-key'] : undefined;
    const print = key && createHash('sha256').update(`${req.method} ${route.id} ${req.url}\n` +
      (request.body === undefined ? '' : stringify(request.body))).digest('hex');
    if (key && this.replays.has(key)) {
      const r = this.replays.get(key);
      if (r.print !== print)
        return this.fail(entry, 422, 'UnprocessableEntityException',
          'Idempotency-Key was already used for a different request');
      entry.replay = true;
      return r.out;
    }
    const fault = this.faults.pick(route.id);
    if (fault) entry.fault = fault.fault;
    if (fault && /^[0-9]+$/.test(fault.fault)) return injected(Number(fault.fault), route.id, false);
    if (fault && fault.fault === 'timeout') {
      setTimeout(() => req.socket.destroy(), fault.ms);
      entry.status = 'held';
      return null;
    }
    let out = this.operate(route, request, entry);
    if (key && out.status < 500) this.replays.set(key, { print, out });
    if (fault) {
      entry.applied = out.status < 300;
      if (fault.fault === 'truncated' || fault.fault === 'wrong-types')
        return hostile(fault.fault, out);
      if (fault.fault === 'lost') {
        entry.status = 'dropped';
        req.socket.destroy();
        return null;
      }
      out = injected(Number(fault.fault.slice(5)), route.id, true);
    }
    return out;
  }

  // Run the handler and check its answer against the spec.
  operate(route, request, entry) {
    let out;
    try {
      out = HANDLERS[route.id](request, this);
    } catch (e) {
      if (!(e instanceof CatalogError)) throw e;
      out = { status: e.status, body: errorBody(e.status, e.type, e.message) };
      entry.error = e.message;
      if (e.status === 400) entry.valid = false;
    }
    const bad = route.method === 'HEAD' ? null : this.spec.checkResponse(route, out.status, out.body);
    if (bad) {
      entry.selfcheck = bad;
      return this.fail(entry, 500, 'InternalServerError', `test catalog bug: its response does not match the spec: ${bad}`);
    }
    return out;
  }

  send(req, res, entry, out) {
    entry.status = out.status;
    const headers = { ...(out.headers || {}) };
    let payload = '';
    if (out.raw !== undefined) {
      payload = out.raw;
      headers['content-type'] = 'application/json';
    } else if (out.body !== undefined && req.method !== 'HEAD' && out.status !== 204 && out.status !== 304) {
      payload = stringify(out.body);
      headers['content-type'] = 'application/json';
    }
    headers['content-length'] = Buffer.byteLength(payload);
    res.writeHead(out.status, headers);
    res.end(payload);
    if (!this.opts.quiet) {
      const note = [entry.fault && `fault=${entry.fault}`, entry.replay && 'replay',
        entry.error && `(${entry.error.split('\n')[0]})`].filter(Boolean).join(' ');
      process.stderr.write(`restcatalog: ${req.method} ${req.url} ${out.status}${note ? ' ' + note : ''}\n`);
    }
  }

  // /_test/ control routes for tests.
  control(req, url, text, entry) {
    entry.control = true;
    const p = url.pathname;
    const json = (status, body) => ({ status, body });
    if (p === '/_test/log' && req.method === 'GET') {
      const since = Number(url.searchParams.get('since') || 0);
      return json(200, { requests: this.log.filter((e) => e.seq > since && !e.control) });
    }
    if (p === '/_test/log' && req.method === 'DELETE') { this.log.length = 0; return json(204); }
    if (p === '/_test/faults' && req.method === 'GET')
      return json(200, { seed: this.faults.seed, rules: this.faults.rules });
    if (p === '/_test/faults' && req.method === 'POST') {
      try {
        const b = text ? parse(text) : {};
        this.faults.set(parseFaults(b.rules || []), b.seed ?? this.faults.seed);
      } catch (e) {
        return json(400, errorBody(400, 'BadRequestException', `faults: ${e.message}`));
      }
      return json(200, { seed: this.faults.seed, rules: this.faults.rules });
    }
    const t = /^\/_test\/tables\/([^/]+)\/([^/]+)$/.exec(p);
    if (t && req.method === 'GET') {
      const entryT = this.store.table(decodeURIComponent(t[1]).split(/[\x1f.]/), decodeURIComponent(t[2]));
      if (!entryT) return json(404, errorBody(404, 'NoSuchTableException', 'no such table'));
      return json(200, { 'metadata-location': entryT['metadata-location'], metadata: entryT.metadata });
    }
    return json(404, errorBody(404, 'NotFoundException', `no control route ${req.method} ${p}`));
  }
}

// client_id/client_secret from an HTTP Basic Authorization header, if any.
function basicAuth(req) {
  const m = /^Basic (.+)$/.exec(req.headers.authorization || '');
  if (!m) return null;
  const s = Buffer.from(m[1], 'base64').toString('utf8');
  const i = s.indexOf(':');
  if (i < 0) return null;
  try {
    return { client_id: decodeURIComponent(s.slice(0, i)), client_secret: decodeURIComponent(s.slice(i + 1)) };
  } catch {
    return null;
  }
}

