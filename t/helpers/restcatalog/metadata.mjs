// metadata.mjs: Iceberg v2 table metadata as the catalog keeps it: building
// it for a new table, checking commit requirements exactly (409 on any
// mismatch) and applying every commit update exactly (400 on a bad one),
// including the strict add-snapshot rules (sequence number = last + 1, parent
// = the head of the ref it is committed to).
import { randomUUID } from 'node:crypto';
import { badRequest, conflict, unsupported } from './errors.mjs';
import { checkOrder, checkSchema, checkSpec, freshIds, highestId } from './iceberg.mjs';
import { clone, sameInt, stringify } from './json.mjs';

const FIRST_PARTITION_ID = 1000;

// Metadata for a table that has nothing yet (base of a create).
function emptyMetadata(location, now) {
  return {
    'format-version': 2, 'table-uuid': randomUUID(), location,
    'last-sequence-number': 0, 'last-updated-ms': now, 'last-column-id': 0,
    schemas: [], 'current-schema-id': -1,
    'partition-specs': [], 'default-spec-id': -1,
    'last-partition-id': FIRST_PARTITION_ID - 1,
    'sort-orders': [], 'default-sort-order-id': -1,
    properties: {}, 'current-snapshot-id': -1, refs: {}, snapshots: [],
    statistics: [], 'partition-statistics': [],
    'snapshot-log': [], 'metadata-log': [],
  };
}

// Pull the reserved format-version property out of create properties.
function formatVersion(props) {
  const v = props['format-version'];
  delete props['format-version'];
  if (v === undefined || v === '2') return 2;
  if (!/^[0-9]+$/.test(v))
    throw badRequest(`body.properties.format-version: "${v}" is not a format version`);
  throw unsupported(`format-version ${v}: this test catalog builds format-version 2 tables only`);
}

// New table metadata for a CreateTableRequest. shift > 0 moves every fresh
// field and partition id up by shift (to prove clients read ids back).
export function createMetadata(req, location, shift, now) {
  const props = { ...(req.properties || {}) };
  formatVersion(props);
  checkSchema(req.schema, 'body.schema');
  const { schema, remap } = freshIds(req.schema, 1 + shift);
  schema['schema-id'] = 0;
  const types = checkSchema(schema, 'body.schema');
  const top = new Set(schema.fields.map((f) => f.name));
  const mapSource = (f, where) => {
    if (!remap.has(f['source-id']))
      throw badRequest(`${where}.source-id: field id ${f['source-id']} is not in the schema`);
    return remap.get(f['source-id']);
  };
  let pid = FIRST_PARTITION_ID + shift;
  const specFields = ((req['partition-spec'] || {}).fields || []).map((f, k) => ({
    name: f.name, transform: f.transform,
    'source-id': mapSource(f, `body.partition-spec.fields[${k}]`), 'field-id': pid++,
  }));
  const spec = { 'spec-id': 0, fields: specFields };
  checkSpec(spec, types, top, 'body.partition-spec');
  const orderFields = ((req['write-order'] || {}).fields || []).map((f, k) => ({
    ...f, 'source-id': mapSource(f, `body.write-order.fields[${k}]`),
  }));
  const order = { 'order-id': orderFields.length ? 1 : 0, fields: orderFields };
  checkOrder(order, types, 'body.write-order');
  const given = req.location && absoluteUri(req.location, 'body.location').replace(/\/+$/, '');
  const m = emptyMetadata(given || location, now);
  Object.assign(m, {
    'last-column-id': highestId(schema), schemas: [schema], 'current-schema-id': 0,
    'partition-specs': [spec], 'default-spec-id': 0, 'last-partition-id': pid - 1,
    'sort-orders': [order], 'default-sort-order-id': order['order-id'], properties: props,
  });
  return m;
}

const REQUIREMENTS = {
  'assert-create': (m) => {
    if (m) throw conflict('Requirement failed: table already exists');
  },
  'assert-table-uuid': (m, r) => {
    if (m['table-uuid'].toLowerCase() !== r.uuid.toLowerCase())
      throw conflict(`Requirement failed: UUID does not match: expected ${m['table-uuid']} != ${r.uuid}`);
  },
  'assert-ref-snapshot-id': (m, r) => {
    const ref = m.refs[r.ref];
    const want = r['snapshot-id'];
    if (ref && want === null)
      throw conflict(`Requirement failed: ${ref.type} ${r.ref} was created concurrently`);
    if (!ref && want !== null)
      throw conflict(`Requirement failed: branch or tag ${r.ref} is missing, expected ${want}`);
    if (ref && !sameInt(ref['snapshot-id'], want))
      throw conflict(`Requirement failed: ${ref.type} ${r.ref} has changed: expected id ${want} != ${ref['snapshot-id']}`);
  },
  'assert-last-assigned-field-id': field('last-column-id', 'last-assigned-field-id', 'last assigned field id'),
  'assert-current-schema-id': field('current-schema-id', 'current-schema-id', 'current schema'),
  'assert-last-assigned-partition-id': field('last-partition-id', 'last-assigned-partition-id', 'last assigned partition id'),
  'assert-default-spec-id': field('default-spec-id', 'default-spec-id', 'default partition spec'),
  'assert-default-sort-order-id': field('default-sort-order-id', 'default-sort-order-id', 'default sort order id'),
};

// A requirement comparing one metadata field with one requirement field.
function field(mk, rk, what) {
  return (m, r) => {
    if (!sameInt(m[mk], r[rk]))
      throw conflict(`Requirement failed: ${what} changed: expected id ${r[rk]} != ${m[mk]}`);
  };
}

// Paths in v1-v3 metadata must be full URIs (relative ones are a v4 idea).
function absoluteUri(uri, where) {
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\/?[^/]/.test(uri) && !/^file:\/\/\//.test(uri))
    throw badRequest(`${where}: "${uri}" is not a full URI (format-version 2 needs scheme://...)`);
  return uri;
}

// With --require-asserts: a commit that moves a ref must assert the table
// uuid and that ref's current snapshot, as an exactly-once writer must.
export function checkGuards(body) {
  const has = (type, ref) => body.requirements.some((r) => r.type === type && (ref === undefined || r.ref === ref));
  body.updates.forEach((u, k) => {
    if (u.action !== 'set-snapshot-ref') return;
    if (!has('assert-ref-snapshot-id', u['ref-name']) && !has('assert-create'))
      throw badRequest(`body.requirements: updates[${k}] moves ${u['ref-name']} without assert-ref-snapshot-id for it`);
    if (!has('assert-table-uuid') && !has('assert-create'))
      throw badRequest(`body.requirements: updates[${k}] moves ${u['ref-name']} without assert-table-uuid`);
  });
}

// Check every requirement against the current metadata (null: no table).
export function checkRequirements(m, reqs) {
  for (const r of reqs) {
    if (!m && r.type !== 'assert-create')
      throw conflict(`Requirement failed: ${r.type}: the table does not exist yet`);
    REQUIREMENTS[r.type](m, r);
  }
}

// The id to use for an added schema/spec/order: an equal one's, or max + 1.
function reuseOrNext(list, key, item, eq) {
  const same = list.find((x) => eq(x, item));
  if (same) return { id: same[key], added: false };
  return { id: list.reduce((a, x) => Math.max(a, x[key]), -1) + 1, added: true };
}

// Equality of the given keys (absent counts as empty) in exact JSON form.
const sameJson = (keys) => (a, b) => keys.every((k) => stringify(a[k] ?? []) === stringify(b[k] ?? []));

// Resolve "-1 = the last one added in this commit".
function lastAdded(id, added, what, where) {
  if (id !== -1) return id;
  if (added === undefined)
    throw badRequest(`${where}: -1 means the last added ${what}, but this commit added none`);
  return added;
}

function findSchema(m, id) {
  return m.schemas.find((s) => s['schema-id'] === id);
}

// One function per update action: (metadata, update, commit state, where).
const UPDATES = {
  'assign-uuid': (m, u, st, w) => {
    if (st.created) m['table-uuid'] = u.uuid;
    else if (m['table-uuid'].toLowerCase() !== u.uuid.toLowerCase())
      throw badRequest(`${w}.uuid: cannot reassign the uuid of table ${m['table-uuid']}`);
  },
  'upgrade-format-version': (m, u, st, w) => {
    const v = u['format-version'];
    if (v < m['format-version'])
      throw badRequest(`${w}.format-version: cannot downgrade v${m['format-version']} to v${v}`);
    if (v !== 2) throw unsupported(`${w}.format-version: this test catalog keeps format-version 2 tables only`);
  },
  'add-schema': (m, u, st, w) => {
    const types = checkSchema(u.schema, `${w}.schema`);
    const body = { ...u.schema };
    delete body['schema-id'];
    const { id, added } = reuseOrNext(m.schemas, 'schema-id', body,
      sameJson(['fields', 'identifier-field-ids']));
    if (added) m.schemas.push({ ...body, 'schema-id': id });
    st.schema = id;
    st.types = types;
    m['last-column-id'] = Math.max(m['last-column-id'], highestId(u.schema),
      u['last-column-id'] ?? 0);
  },
  'set-current-schema': (m, u, st, w) => {
    const id = lastAdded(u['schema-id'], st.schema, 'schema', `${w}.schema-id`);
    if (!findSchema(m, id)) throw badRequest(`${w}.schema-id: no schema with id ${id}`);
    m['current-schema-id'] = id;
  },
  'add-spec': (m, u, st, w) => {
    const schema = findSchema(m, m['current-schema-id']);
    if (!schema) throw badRequest(`${w}: the table has no current schema to partition by`);
    const fields = u.spec.fields.map((f) => ({
      ...f, 'field-id': f['field-id'] ?? ++m['last-partition-id'] }));
    const spec = { fields };
    checkSpec(spec, checkSchema(schema, 'schema'), new Set(schema.fields.map((f) => f.name)), `${w}.spec`);
    const { id, added } = reuseOrNext(m['partition-specs'], 'spec-id', spec, sameJson(['fields']));
    if (added) m['partition-specs'].push({ 'spec-id': id, fields });
    st.spec = id;
    for (const f of fields) m['last-partition-id'] = Math.max(m['last-partition-id'], f['field-id']);
  },
  'set-default-spec': (m, u, st, w) => {
    const id = lastAdded(u['spec-id'], st.spec, 'partition spec', `${w}.spec-id`);
    if (!m['partition-specs'].some((s) => s['spec-id'] === id))
      throw badRequest(`${w}.spec-id: no partition spec with id ${id}`);
    m['default-spec-id'] = id;
  },
  'add-sort-order': (m, u, st, w) => {
    const schema = findSchema(m, m['current-schema-id']);
    if (!schema) throw badRequest(`${w}: the table has no current schema to sort by`);
    const order = { fields: u['sort-order'].fields };
    checkOrder(order, checkSchema(schema, 'schema'), `${w}.sort-order`);
    let { id, added } = reuseOrNext(m['sort-orders'], 'order-id', order, sameJson(['fields']));
    if (added && !order.fields.length) id = 0;
    else if (added && id === 0) id = 1;
    if (added) m['sort-orders'].push({ 'order-id': id, fields: order.fields });
    st.order = id;
  },
  'set-default-sort-order': (m, u, st, w) => {
    const id = lastAdded(u['sort-order-id'], st.order, 'sort order', `${w}.sort-order-id`);
    if (!m['sort-orders'].some((s) => s['order-id'] === id))
      throw badRequest(`${w}.sort-order-id: no sort order with id ${id}`);
    m['default-sort-order-id'] = id;
  },
  'add-snapshot': addSnapshot,
  'set-snapshot-ref': (m, u, st, w) => {
    const snap = m.snapshots.find((s) => sameInt(s['snapshot-id'], u['snapshot-id']));
    if (!snap) throw badRequest(`${w}.snapshot-id: no snapshot with id ${u['snapshot-id']}`);
    if (u['ref-name'] === 'main' && u.type !== 'branch')
      throw badRequest(`${w}.type: main must be a branch`);
    const old = m.refs[u['ref-name']];
    const ref = { 'snapshot-id': u['snapshot-id'], type: u.type };
    for (const k of ['max-ref-age-ms', 'max-snapshot-age-ms', 'min-snapshots-to-keep'])
      if (u[k] !== undefined) ref[k] = u[k];
    m.refs[u['ref-name']] = ref;
    if (u['ref-name'] !== 'main' || (old && sameInt(old['snapshot-id'], ref['snapshot-id'])))
      return;
    m['current-snapshot-id'] = ref['snapshot-id'];
    m['snapshot-log'].push({
      'timestamp-ms': st.added.has(String(ref['snapshot-id'])) ? snap['timestamp-ms'] : st.now,
      'snapshot-id': ref['snapshot-id'] });
  },
  'remove-snapshot-ref': (m, u) => {
    delete m.refs[u['ref-name']];
    if (u['ref-name'] === 'main') m['current-snapshot-id'] = -1;
  },
  'remove-snapshots': (m, u) => {
    const gone = new Set(u['snapshot-ids'].map(String));
    m.snapshots = m.snapshots.filter((s) => !gone.has(String(s['snapshot-id'])));
    m['snapshot-log'] = m['snapshot-log'].filter((e) => !gone.has(String(e['snapshot-id'])));
    for (const [name, ref] of Object.entries(m.refs))
      if (gone.has(String(ref['snapshot-id']))) UPDATES['remove-snapshot-ref'](m, { 'ref-name': name });
  },
  'set-location': (m, u, st, w) => { m.location = absoluteUri(u.location, `${w}.location`).replace(/\/+$/, ''); },
  'set-properties': (m, u) => { Object.assign(m.properties, u.updates); },
  'remove-properties': (m, u) => { for (const k of u.removals) delete m.properties[k]; },
  'set-statistics': (m, u, st, w) => {
    const id = u.statistics['snapshot-id'];
    if (!m.snapshots.some((s) => sameInt(s['snapshot-id'], id)))
      throw badRequest(`${w}.statistics.snapshot-id: no snapshot with id ${id}`);
    m.statistics = m.statistics.filter((s) => !sameInt(s['snapshot-id'], id)).concat([u.statistics]);
  },
  'remove-statistics': (m, u) => {
    m.statistics = m.statistics.filter((s) => !sameInt(s['snapshot-id'], u['snapshot-id']));
  },
};

// add-snapshot: new id, sequence number last + 1, parent = head of the ref
// this commit moves to it (or an existing snapshot when no ref moves).
function addSnapshot(m, u, st, w) {
  const s = u.snapshot;
  const id = s['snapshot-id'];
  if (sameInt(id, -1)) throw badRequest(`${w}.snapshot.snapshot-id: -1 is reserved for "no snapshot"`);
  if (m.snapshots.some((x) => sameInt(x['snapshot-id'], id)))
    throw badRequest(`${w}.snapshot.snapshot-id: snapshot already exists for id ${id}`);
  const seq = s['sequence-number'];
  if (seq === undefined)
    throw badRequest(`${w}.snapshot.sequence-number: is required in a format-version 2 table`);
  const want = BigInt(m['last-sequence-number']) + 1n;
  if (BigInt(seq) !== want)
    throw badRequest(`${w}.snapshot.sequence-number: must be ${want} (last-sequence-number + 1), got ${seq}`);
  const parent = s['parent-snapshot-id'];
  const setter = st.updates.find((x) => x.action === 'set-snapshot-ref' && sameInt(x['snapshot-id'], id));
  if (setter) {
    const ref = m.refs[setter['ref-name']];
    const head = ref ? ref['snapshot-id'] : undefined;
    if (!sameInt(parent, head))
      throw badRequest(`${w}.snapshot.parent-snapshot-id: must be ` +
        `${head === undefined ? 'absent' : head} (the head of ${setter['ref-name']}), got ${parent ?? 'none'}`);
  } else if (parent !== undefined && !m.snapshots.some((x) => sameInt(x['snapshot-id'], parent))) {
    throw badRequest(`${w}.snapshot.parent-snapshot-id: no snapshot with id ${parent}`);
  }
  for (const k of ['first-row-id', 'added-rows'])
    if (s[k] !== undefined && m['format-version'] < 3)
      throw badRequest(`${w}.snapshot.${k}: only format-version 3 tables have row lineage`);
  if (s['schema-id'] !== undefined && !findSchema(m, s['schema-id']))
    throw badRequest(`${w}.snapshot.schema-id: no schema with id ${s['schema-id']}`);
  const log = m['snapshot-log'];
  if (log.length && s['timestamp-ms'] < log[log.length - 1]['timestamp-ms'] - 60000)
    throw badRequest(`${w}.snapshot.timestamp-ms: ${s['timestamp-ms']} is more than a minute ` +
      `before the last snapshot (${log[log.length - 1]['timestamp-ms']})`);
  absoluteUri(s['manifest-list'], `${w}.snapshot.manifest-list`);
  if (st.checkFile) st.checkFile(s['manifest-list'], `${w}.snapshot.manifest-list`);
  m.snapshots.push(s);
  m['last-sequence-number'] = seq;
  st.added.add(String(id));
}

// Apply a commit's updates to base (null with assert-create). Returns the
// new metadata (base itself when there are no updates).
export function applyUpdates(base, updates, opts) {
  if (!updates.length && base) return base;
  const st = { updates, now: opts.now, added: new Set(), created: !base,
    checkFile: opts.checkFile };
  const m = base ? clone(base) : emptyMetadata(opts.location, opts.now);
  updates.forEach((u, k) => {
    const fn = UPDATES[u.action];
    if (!fn) throw unsupported(`body.updates[${k}].action: "${u.action}" is not supported by this test catalog`);
    fn(m, u, st, `body.updates[${k}]`);
  });
  complete(m, !base);
  m['last-updated-ms'] = Math.max(opts.now, base ? base['last-updated-ms'] : 0);
  if (base) {
    m['metadata-log'].push({ 'timestamp-ms': base['last-updated-ms'], 'metadata-file': opts.baseFile });
    const max = Number(m.properties['write.metadata.previous-versions-max'] || 100);
    m['metadata-log'] = m['metadata-log'].slice(-max);
  }
  return m;
}

// A created table needs a schema; spec and order default like Java's.
function complete(m, created) {
  if (!created) return;
  if (!findSchema(m, m['current-schema-id']))
    throw badRequest('body.updates: a create transaction must add a schema and set it current');
  if (!m['partition-specs'].length) m['partition-specs'].push({ 'spec-id': 0, fields: [] });
  if (m['default-spec-id'] < 0) m['default-spec-id'] = 0;
  if (!m['sort-orders'].length) m['sort-orders'].push({ 'order-id': 0, fields: [] });
  if (m['default-sort-order-id'] < 0) m['default-sort-order-id'] = 0;
}
