// schema.mjs: turn the OpenAPI 3.1 component schemas of the REST catalog spec
// into JSON Schema 2020-12 that ajv can check strictly:
// - `nullable: true` (an OpenAPI 3.0 leftover in the spec) becomes a null type;
// - anyOf/oneOf over variants that carry a constant tag (TableUpdate by
//   `action`, TableRequirement by `type`, Type by `type`, OAuth by
//   `grant_type`) becomes a dispatch on the tag, so an unknown tag is named
//   and a known one is checked against its own variant only;
// - a schema with a discriminator mapping but no oneOf (TableRequirement)
//   dispatches over its mapping wherever it is used as a value;
// - remaining oneOf becomes anyOf (the spec's variants overlap: an int is
//   both an IntegerTypeValue and a LongTypeValue);
// - every object schema that lists properties and does not say otherwise
//   rejects unknown fields (unevaluatedProperties: false). Schemas reached
//   through allOf, or as alternatives of a schema that has properties of its
//   own (ReportMetricsRequest), use an open copy X__base and the outer
//   schema does the checking, so composition still works.

const REF = '#/components/schemas/';

// Name of the component a '#/components/schemas/X' reference points to.
function refName(ref) {
  return ref.startsWith(REF) ? ref.slice(REF.length) : null;
}

// The constant a variant schema gives property p (const or one-value enum).
function tagOf(s, p) {
  const ps = s && s.properties && s.properties[p];
  if (!ps) return undefined;
  if (ps.const !== undefined) return ps.const;
  if (Array.isArray(ps.enum) && ps.enum.length === 1) return ps.enum[0];
  return undefined;
}

function isObjectSchema(s) {
  return s.type === 'object' || s.properties !== undefined ||
    s.required !== undefined || s.allOf !== undefined;
}

// Build a dispatch schema on tag p over [{tag, ref}] plus scalar members.
function dispatch(p, variants, scalars) {
  const tags = variants.map((v) => v.tag);
  const byTag = {
    required: [p],
    properties: { [p]: { enum: tags } },
    allOf: variants.map((v) => ({
      if: { required: [p], properties: { [p]: { const: v.tag } } },
      then: { $ref: v.ref },
    })),
  };
  return {
    if: { type: 'object' },
    then: byTag,
    else: scalars.length ? { anyOf: scalars } : { type: 'object' },
  };
}

// Try to express a list of alternatives as a dispatch; null if not tagged.
function tryDispatch(members, raw) {
  const objects = [], scalars = [];
  for (const m of members) {
    const name = m.$ref && refName(m.$ref);
    const s = name ? raw[name] : m;
    if (s && isObjectSchema(s)) objects.push({ m, s });
    else scalars.push(m);
  }
  if (objects.length < 2) return null;
  const cands = Object.keys(objects[0].s.properties || {});
  for (const p of cands) {
    const tags = objects.map((o) => tagOf(o.s, p));
    if (tags.some((t) => t === undefined) || new Set(tags).size !== tags.length)
      continue;
    return dispatch(p, objects.map((o, k) => ({ tag: tags[k], ref: o.m.$ref })),
      scalars);
  }
  return null;
}

// Convert one schema node; open = reached through allOf (no strictness).
export function convert(node, raw, open) {
  if (Array.isArray(node)) return node.map((n) => convert(n, raw, false));
  if (!node || typeof node !== 'object') return node;
  const s = {};
  // Alternatives next to own properties: the node itself is checked for
  // unknown fields, so its alternatives must stay open.
  const composite = Boolean((node.anyOf || node.oneOf) && (node.properties || node.allOf));
  for (const [k, v] of Object.entries(node)) {
    switch (k) {
    case 'example': case 'discriminator': case 'nullable': case 'xml':
    case 'externalDocs':
      break;
    case 'allOf':
      s.allOf = v.map((m) => m.$ref ? { $ref: m.$ref + '__base' } :
        convert(m, raw, true)).concat(s.allOf || []);
      break;
    case 'anyOf': case 'oneOf': {
      const alts = composite ? v.map((m) => (m.$ref ? { $ref: m.$ref + '__base' } : m)) : v;
      const d = tryDispatch(alts, raw);
      if (d) s.allOf = (s.allOf || []).concat([d]);
      else s.anyOf = alts.map((m) => convert(m, raw, composite));
      break;
    }
    case 'properties': {
      s.properties = {};
      for (const [pk, pv] of Object.entries(v))
        s.properties[pk] = convert(pv, raw, false);
      break;
    }
    case 'items': case 'additionalProperties': case 'not':
      s[k] = convert(v, raw, false);
      break;
    default:
      s[k] = v;
    }
  }
  if (node.nullable === true) {
    if (typeof s.type === 'string') s.type = [s.type, 'null'];
    else return { anyOf: [s, { type: 'null' }] };
  }
  if (!open && (node.properties || node.allOf) &&
      node.additionalProperties === undefined &&
      node.unevaluatedProperties === undefined && (composite || (!node.anyOf && !node.oneOf)))
    s.unevaluatedProperties = false;
  return s;
}

// Convert components.schemas into ajv-ready schemas (X and its open X__base).
export function convertSchemas(rawSchemas) {
  const out = {};
  for (const [name, raw] of Object.entries(rawSchemas)) {
    let strict;
    const map = raw.discriminator && raw.discriminator.mapping;
    if (map && !raw.oneOf && !raw.anyOf) {
      const members = Object.values(map).map((ref) => ({ $ref: ref }));
      strict = tryDispatch(members, rawSchemas);
    }
    out[name] = strict || convert(raw, rawSchemas, false);
    out[name + '__base'] = convert(raw, rawSchemas, true);
  }
  return out;
}

// Turn ajv errors into one message naming the field that failed.
export function describeErrors(errors, where = 'body') {
  const wrappers = new Set(['if', 'then', 'else', 'anyOf', 'oneOf', 'allOf']);
  const useful = errors.filter((e) => !wrappers.has(e.keyword));
  const pick = (useful.length ? useful : errors).reduce((best, e) =>
    !best || depth(e) > depth(best) ? e : best, null);
  if (!pick) return `${where}: invalid`;
  let field = pathOf(pick.instancePath, where);
  let msg = pick.message;
  const p = pick.params || {};
  if (pick.keyword === 'required') {
    field = join(field, p.missingProperty);
    msg = 'is required';
  } else if (pick.keyword === 'unevaluatedProperties' ||
      pick.keyword === 'additionalProperties') {
    field = join(field, p.unevaluatedProperty || p.additionalProperty);
    msg = 'is not a field of this object in the spec';
  } else if (pick.keyword === 'enum') {
    msg = `must be one of ${p.allowedValues.map((a) => JSON.stringify(a)).join(', ')}`;
  } else if (pick.keyword === 'const') {
    msg = `must be ${JSON.stringify(p.allowedValue)}`;
  }
  if (['enum', 'const', 'type', 'format'].includes(pick.keyword) &&
      pick.data !== undefined && typeof pick.data !== 'object')
    msg += ` (got ${JSON.stringify(pick.data)})`;
  return `${field}: ${msg}`;
}

function depth(e) {
  let d = e.instancePath.split('/').length * 2;
  if (e.keyword === 'required' || e.keyword === 'unevaluatedProperties') d++;
  return d;
}

function join(field, k) {
  if (k === undefined) return field;
  return /^[A-Za-z_][\w-]*$/.test(k) ? `${field}.${k}` : `${field}[${JSON.stringify(k)}]`;
}

// '/updates/0/snapshot' -> 'body.updates[0].snapshot'.
function pathOf(ptr, where) {
  let f = where;
  for (const raw of ptr.split('/').slice(1)) {
    const k = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    f = /^[0-9]+$/.test(k) ? `${f}[${k}]` : join(f, k);
  }
  return f;
}
