// iceberg.mjs: meaning-level checks of Iceberg schemas, partition specs and
// sort orders (what JSON Schema cannot say), and Java-style fresh id
// assignment for tables created through the catalog.
import { badRequest } from './errors.mjs';

const PRIMITIVE = new RegExp('^(boolean|int|long|float|double|date|time|timestamp|timestamptz|string|' +
  'uuid|binary|fixed\\[[1-9][0-9]*\\]|decimal\\(\\s*[0-9]+\\s*,\\s*[0-9]+\\s*\\))$');
const TEMPORAL = new Set(['date', 'timestamp', 'timestamptz']);
const BUCKETABLE = /^(int|long|date|time|timestamp|timestamptz|string|uuid|binary|fixed\[.*|decimal\(.*)$/;
const TRUNCATABLE = /^(int|long|string|binary|decimal\(.*)$/;

// Call fn(field-like, path) for every id-carrying node of a type tree:
// struct fields, list elements and map keys/values, parents first.
export function walk(type, fn, path = 'schema') {
  if (typeof type !== 'object') return;
  if (type.type === 'struct') {
    type.fields.forEach((f, k) => {
      fn({ id: f.id, name: f.name, type: f.type }, `${path}.fields[${k}]`);
      walk(f.type, fn, `${path}.fields[${k}].type`);
    });
  } else if (type.type === 'list') {
    fn({ id: type['element-id'], type: type.element }, `${path}.element-id`);
    walk(type.element, fn, `${path}.element`);
  } else if (type.type === 'map') {
    fn({ id: type['key-id'], type: type.key }, `${path}.key-id`);
    fn({ id: type['value-id'], type: type.value }, `${path}.value-id`);
    walk(type.key, fn, `${path}.key`);
    walk(type.value, fn, `${path}.value`);
  }
}

// Check a schema: valid v2 primitive types, unique ids, unique names per
// struct, identifier fields that exist. Returns Map id -> type.
export function checkSchema(schema, where) {
  const types = new Map();
  walk(schema, (f, path) => {
    if (types.has(f.id)) throw badRequest(`${where}${path.slice(6)}: field id ${f.id} is used twice`);
    types.set(f.id, f.type);
    if (typeof f.type === 'string' && !PRIMITIVE.test(f.type))
      throw badRequest(`${where}${path.slice(6)}.type: "${f.type}" is not an Iceberg v2 primitive type`);
  });
  const names = (st, path) => {
    const seen = new Set();
    st.fields.forEach((f, k) => {
      if (seen.has(f.name)) throw badRequest(`${where}${path}.fields[${k}].name: "${f.name}" is used twice`);
      seen.add(f.name);
    });
  };
  names(schema, '');
  walk(schema, (f, path) => { if (f.type && f.type.type === 'struct') names(f.type, path.slice(6) + '.type'); });
  for (const id of schema['identifier-field-ids'] || [])
    if (!types.has(id)) throw badRequest(`${where}.identifier-field-ids: field id ${id} is not in the schema`);
  return types;
}

// Highest field id in a schema (0 when empty).
export function highestId(schema) {
  let max = 0;
  walk(schema, (f) => { if (f.id > max) max = f.id; });
  return max;
}

// Reassign ids like Java's TypeUtil.assignFreshIds: all fields of a struct
// first, then their children. Returns {schema, remap: Map old -> new}.
export function freshIds(schema, first) {
  let next = first;
  const remap = new Map();
  const give = (old) => { const id = next++; remap.set(old, id); return id; };
  const visit = (t) => {
    if (typeof t !== 'object') return t;
    if (t.type === 'struct') {
      const ids = t.fields.map((f) => give(f.id));
      return { ...t, fields: t.fields.map((f, k) => ({ ...f, id: ids[k], type: visit(f.type) })) };
    }
    if (t.type === 'list') {
      const id = give(t['element-id']);
      return { ...t, 'element-id': id, element: visit(t.element) };
    }
    const kid = give(t['key-id']), vid = give(t['value-id']);
    return { ...t, 'key-id': kid, 'value-id': vid, key: visit(t.key), value: visit(t.value) };
  };
  const out = visit(schema);
  if (schema['identifier-field-ids'])
    out['identifier-field-ids'] = schema['identifier-field-ids'].map((id) => remap.get(id));
  return { schema: out, remap };
}

// Check that a transform applies to a source type; throw naming the field.
function checkTransform(transform, type, where) {
  const m = /^(identity|year|month|day|hour|void|bucket\[([1-9][0-9]*)\]|truncate\[([1-9][0-9]*)\])$/.exec(transform);
  if (!m) throw badRequest(`${where}.transform: "${transform}" is not an Iceberg transform`);
  if (typeof type !== 'string')
    throw badRequest(`${where}.source-id: the source must be a primitive column`);
  const name = m[1].replace(/\[.*/, '');
  const ok = {
    identity: true, void: true,
    year: TEMPORAL.has(type), month: TEMPORAL.has(type), day: TEMPORAL.has(type),
    hour: type === 'timestamp' || type === 'timestamptz',
    bucket: BUCKETABLE.test(type), truncate: TRUNCATABLE.test(type),
  }[name];
  if (!ok) throw badRequest(`${where}.transform: ${transform} cannot apply to a ${type} column`);
}

// Check a partition spec's fields against a schema's id -> type map.
export function checkSpec(spec, types, topNames, where) {
  const names = new Set();
  spec.fields.forEach((f, k) => {
    const w = `${where}.fields[${k}]`;
    if (!types.has(f['source-id']))
      throw badRequest(`${w}.source-id: field id ${f['source-id']} is not in the schema`);
    checkTransform(f.transform, types.get(f['source-id']), w);
    if (names.has(f.name)) throw badRequest(`${w}.name: "${f.name}" is used twice`);
    if (f.transform !== 'identity' && topNames.has(f.name))
      throw badRequest(`${w}.name: "${f.name}" clashes with a schema column`);
    names.add(f.name);
  });
}

// Check a sort order's fields against a schema's id -> type map.
export function checkOrder(order, types, where) {
  order.fields.forEach((f, k) => {
    const w = `${where}.fields[${k}]`;
    if (!types.has(f['source-id']))
      throw badRequest(`${w}.source-id: field id ${f['source-id']} is not in the schema`);
    checkTransform(f.transform, types.get(f['source-id']), w);
  });
}
