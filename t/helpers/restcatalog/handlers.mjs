// handlers.mjs: the catalog operations the test server implements, keyed by
// the spec's operationId. Each takes a checked request
// ({params, query, body, headers}) and the server context, and returns
// {status, body?, headers?} or throws a CatalogError. Operations of the spec
// not listed here are answered 501 by the server.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { applyUpdates, checkGuards, checkRequirements, createMetadata } from './metadata.mjs';
import { CatalogError, badRequest, notFound } from './errors.mjs';
import { stringify } from './json.mjs';

const SEP = '\x1f';

// Namespace levels of a path parameter ("a%1Fb" arrives decoded as "a\x1fb").
function levels(s, what) {
  const parts = s.split(SEP);
  if (parts.some((p) => p === '')) throw badRequest(`${what}: empty namespace level in ${JSON.stringify(s)}`);
  return parts;
}

function nsName(ns) { return ns.join('.'); }

function needNamespace(ctx, ns) {
  const n = ctx.store.namespace(ns);
  if (!n) throw notFound('NoSuchNamespaceException', `Namespace does not exist: ${nsName(ns)}`);
  return n;
}

function needTable(ctx, ns, name) {
  const t = ctx.store.table(ns, name);
  if (!t) throw notFound('NoSuchTableException', `Table does not exist: ${nsName(ns)}.${name}`);
  return t;
}

// LoadTableResult for a table entry, honouring ?snapshots=refs.
function loadResult(t, mode) {
  let metadata = t.metadata;
  if (mode === 'refs') {
    const keep = new Set(Object.values(metadata.refs).map((r) => String(r['snapshot-id'])));
    metadata = { ...metadata, snapshots: metadata.snapshots.filter((s) => keep.has(String(s['snapshot-id']))) };
  }
  return { 'metadata-location': t['metadata-location'], metadata, config: {} };
}

function etag(t, mode) {
  return '"' + createHash('sha256').update(`${t['metadata-location']}|${mode || 'all'}`)
    .digest('hex').slice(0, 32) + '"';
}

export const HANDLERS = {
  getConfig(req, ctx) {
    const wh = req.query.warehouse;
    if (wh !== undefined && !ctx.warehouseNames.has(wh.replace(/\/+$/, '')))
      throw notFound('NoSuchWarehouseException', `Warehouse does not exist: ${wh}`);
    return { status: 200, body: {
      defaults: ctx.opts.clientConfig ? JSON.parse(ctx.opts.clientConfig) : {},
      overrides: ctx.opts.prefix ? { prefix: ctx.opts.prefix } : {},
      endpoints: ctx.endpoints, 'idempotency-key-lifetime': 'PT30M' } };
  },

  getToken(req, ctx) {
    return ctx.auth.token(req.body);
  },

  listNamespaces(req, ctx) {
    const parent = req.query.parent ? levels(req.query.parent, 'query parameter parent') : [];
    if (parent.length && !ctx.store.namespace(parent) && !ctx.store.children(parent).length)
      needNamespace(ctx, parent);
    return { status: 200, body: { namespaces: ctx.store.children(parent) } };
  },

  createNamespace(req, ctx) {
    const ns = req.body.namespace;
    if (!ns.length || ns.some((p) => p === '' || p.includes(SEP)))
      throw badRequest('body.namespace: levels must be non-empty and must not contain 0x1F');
    if (ctx.store.namespace(ns))
      throw new CatalogError(409, 'AlreadyExistsException', `Namespace already exists: ${nsName(ns)}`);
    const n = ctx.store.putNamespace(ns, req.body.properties || {});
    return { status: 200, body: { namespace: n.namespace, properties: n.properties } };
  },

  loadNamespaceMetadata(req, ctx) {
    const n = needNamespace(ctx, levels(req.params.namespace, 'path parameter namespace'));
    return { status: 200, body: { namespace: n.namespace, properties: n.properties } };
  },

  namespaceExists(req, ctx) {
    needNamespace(ctx, levels(req.params.namespace, 'path parameter namespace'));
    return { status: 204 };
  },

  dropNamespace(req, ctx) {
    const ns = levels(req.params.namespace, 'path parameter namespace');
    needNamespace(ctx, ns);
    if (ctx.store.tablesIn(ns).length)
      throw new CatalogError(409, 'NamespaceNotEmptyException', `Namespace ${nsName(ns)} is not empty`);
    ctx.store.dropNamespace(ns);
    return { status: 204 };
  },

  updateProperties(req, ctx) {
    const ns = levels(req.params.namespace, 'path parameter namespace');
    const n = needNamespace(ctx, ns);
    const removals = req.body.removals || [], updates = req.body.updates || {};
    const both = removals.filter((k) => k in updates);
    if (both.length)
      throw new CatalogError(422, 'UnprocessableEntityException', `Keys in both removals and updates: ${both.join(', ')}`);
    const props = { ...n.properties, ...updates };
    const removed = [], missing = [];
    for (const k of removals) {
      if (k in props) { delete props[k]; removed.push(k); } else missing.push(k);
    }
    ctx.store.putNamespace(ns, props);
    return { status: 200, body: { updated: Object.keys(updates), removed, missing } };
  },

  listTables(req, ctx) {
    const ns = levels(req.params.namespace, 'path parameter namespace');
    needNamespace(ctx, ns);
    return { status: 200, body: { identifiers:
      ctx.store.tablesIn(ns).map((t) => ({ namespace: t.namespace, name: t.name })) } };
  },

  createTable(req, ctx) {
    const ns = levels(req.params.namespace, 'path parameter namespace');
    needNamespace(ctx, ns);
    const name = req.body.name;
    if (ctx.store.table(ns, name))
      throw new CatalogError(409, 'AlreadyExistsException', `Table already exists: ${nsName(ns)}.${name}`);
    const m = createMetadata(req.body, ctx.store.locationOf(ns, name), ctx.opts.reassignIds ? 100 : 0, Date.now());
    if (req.body['stage-create'])
      return { status: 200, body: { metadata: m, config: {} } };
    const t = ctx.store.putTable(ns, name, null, m);
    return { status: 200, body: loadResult(t), headers: { etag: etag(t) } };
  },

  loadTable(req, ctx) {
    const ns = levels(req.params.namespace, 'path parameter namespace');
    const t = needTable(ctx, ns, req.params.table);
    const tag = etag(t, req.query.snapshots);
    if (req.headers['if-none-match'] === tag) return { status: 304, headers: { etag: tag } };
    return { status: 200, body: loadResult(t, req.query.snapshots), headers: { etag: tag } };
  },

  tableExists(req, ctx) {
    needTable(ctx, levels(req.params.namespace, 'path parameter namespace'), req.params.table);
    return { status: 204 };
  },

  dropTable(req, ctx) {
    const ns = levels(req.params.namespace, 'path parameter namespace');
    needTable(ctx, ns, req.params.table);
    ctx.store.dropTable(ns, req.params.table);
    return { status: 204 };
  },

  reportMetrics(req, ctx) {
    needTable(ctx, levels(req.params.namespace, 'path parameter namespace'), req.params.table);
    return { status: 204 };
  },

  updateTable(req, ctx) {
    const ns = levels(req.params.namespace, 'path parameter namespace');
    const name = req.params.table;
    const id = req.body.identifier;
    if (id && (stringify(id.namespace) !== stringify(ns) || id.name !== name))
      throw badRequest(`body.identifier: ${nsName(id.namespace)}.${id.name} is not the table of the path (${nsName(ns)}.${name})`);
    const t = ctx.store.table(ns, name);
    const creating = req.body.requirements.some((r) => r.type === 'assert-create');
    if (!t && !creating) needTable(ctx, ns, name);
    if (!t) needNamespace(ctx, ns);
    if (ctx.opts.requireAsserts) checkGuards(req.body);
    checkRequirements(t && t.metadata, req.body.requirements);
    const m = applyUpdates(t && t.metadata, req.body.updates, {
      now: Date.now(), baseFile: t && t['metadata-location'],
      location: ctx.store.locationOf(ns, name),
      checkFile: ctx.opts.checkFiles && ((uri, where) => checkFile(ctx, uri, where)),
    });
    const out = m === (t && t.metadata) ? t : ctx.store.putTable(ns, name, t, m);
    return { status: 200, body: { 'metadata-location': out['metadata-location'], metadata: out.metadata },
      headers: { etag: etag(out) } };
  },
};

// With --check-files: a referenced file: URI must exist at commit time
// (other schemes, e.g. s3:// objects the client uploaded, are not checked).
function checkFile(ctx, uri, where) {
  if (!uri.startsWith('file:')) return;
  const p = ctx.store.localPath(uri);
  if (p && !existsSync(p)) throw badRequest(`${where}: ${uri} does not exist`);
}
