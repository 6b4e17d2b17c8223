// faults.mjs: seeded, deterministic fault injection for the catalog. A rule
// names a route kind (or an operationId, or "any"), a fault, a rate in 0..1
// and optionally a count. Faults: an HTTP status answered before anything is
// applied (409, 500, 502, 503, 504), "timeout" (hold the request ms
// milliseconds, then close the connection unanswered, nothing applied) and
// "lost" / "lost-<status>" (apply the request, then drop the connection or
// answer that status: the response is lost, the change is not), and the
// hostile answers "truncated" (the JSON cut in half) and "wrong-types"
// (metadata fields of the wrong JSON type), both after applying.
//
// Compact form: ROUTE:FAULT[=MS][@RATE][#COUNT], comma separated, e.g.
// "commit:409@0.5,commit:lost#1,load:timeout=2000@0.2". JSON form:
// [{"route":"commit","fault":"503","rate":0.5,"count":2,"ms":1000}].

const KINDS = {
  getConfig: 'config', getToken: 'token', createTable: 'create', loadTable: 'load',
  updateTable: 'commit', tableExists: 'exists', listTables: 'list', dropTable: 'drop',
  listNamespaces: 'namespace', createNamespace: 'namespace',
  loadNamespaceMetadata: 'namespace', namespaceExists: 'namespace',
  dropNamespace: 'namespace', updateProperties: 'namespace',
};
const FAULT = /^(409|500|502|503|504|timeout|lost|lost-(500|502|503|504)|truncated|wrong-types)$/;

// Route kind of an operation id (for fault rules and logs).
export function kindOf(opId) {
  return KINDS[opId] || 'other';
}

// mulberry32: a small seeded PRNG giving floats in [0, 1).
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Parse the compact or JSON form into checked rules; throws Error.
export function parseFaults(spec) {
  if (Array.isArray(spec)) return spec.map(checkRule);
  spec = String(spec).trim();
  if (!spec) return [];
  if (spec.startsWith('[')) return JSON.parse(spec).map(checkRule);
  return spec.split(',').map((part) => {
    const m = /^([A-Za-z]+):([a-z0-9-]+)(?:=([0-9]+))?(?:@([0-9.]+))?(?:#([0-9]+))?$/.exec(part.trim());
    if (!m) throw new Error(`fault rule "${part}": expected ROUTE:FAULT[=MS][@RATE][#COUNT]`);
    return checkRule({ route: m[1], fault: m[2], ms: m[3] && Number(m[3]),
      rate: m[4] && Number(m[4]), count: m[5] && Number(m[5]) });
  });
}

function checkRule(r) {
  const rule = { route: r.route, fault: String(r.fault), rate: r.rate ?? 1,
    count: r.count ?? null, ms: r.ms ?? 30000 };
  if (typeof rule.route !== 'string' || !rule.route)
    throw new Error('fault rule: route is required (a route kind, an operationId or "any")');
  if (!FAULT.test(rule.fault))
    throw new Error(`fault rule: fault "${rule.fault}" is not one of 409, 500, 502, 503, 504, timeout, lost, lost-<5xx>, truncated, wrong-types`);
  if (!(rule.rate >= 0 && rule.rate <= 1)) throw new Error(`fault rule: rate ${rule.rate} is not in 0..1`);
  if (rule.count !== null && !(Number.isInteger(rule.count) && rule.count >= 0))
    throw new Error(`fault rule: count ${rule.count} is not a count`);
  if (!(Number.isInteger(rule.ms) && rule.ms >= 0)) throw new Error(`fault rule: ms ${rule.ms} is not a duration`);
  return rule;
}

export class Faults {
  constructor(rules = [], seed = 1) {
    this.set(rules, seed);
  }

  // Replace the rules (and restart the random sequence from seed).
  set(rules, seed = this.seed) {
    this.rules = rules;
    this.seed = seed;
    this.random = rng(seed);
  }

  // The fault to inject for an operation, or null. Counts are consumed.
  pick(opId) {
    const kind = kindOf(opId);
    for (const r of this.rules) {
      if (r.route !== 'any' && r.route !== kind && r.route !== opId) continue;
      if (r.count === 0) continue;
      if (this.random() >= r.rate) continue;
      if (r.count !== null) r.count--;
      return r;
    }
    return null;
  }
}
