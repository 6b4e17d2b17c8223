// store.mjs: the catalog's state (namespaces and tables) and the files it
// writes. Each table version is written as
// <location>/metadata/NNNNN-<uuid>.metadata.json (the metadata-location),
// plus v<N+1>.metadata.json and version-hint.text so file-based readers
// (DuckDB, icebird, pyiceberg) open the same table. The state is saved to
// <warehouse>/.restcatalog-state.json after every change, so a restarted
// server carries on where it stopped.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse, stringify } from './json.mjs';

const SEP = '\x1f';

export class Store {
  // warehouse: local directory; base: URI of that directory in metadata.
  constructor(warehouse, base) {
    this.warehouse = path.resolve(warehouse);
    this.base = (base || pathToFileURL(this.warehouse).href).replace(/\/+$/, '');
    this.stateFile = path.join(this.warehouse, '.restcatalog-state.json');
    this.namespaces = new Map();
    this.tables = new Map();
    mkdirSync(this.warehouse, { recursive: true });
    if (existsSync(this.stateFile)) this.load();
  }

  load() {
    const s = parse(readFileSync(this.stateFile, 'utf8'));
    for (const n of s.namespaces) this.namespaces.set(n.namespace.join(SEP), n);
    for (const t of s.tables) this.tables.set(tableKey(t.namespace, t.name), t);
  }

  save() {
    const tmp = this.stateFile + '.tmp';
    writeFileSync(tmp, stringify({ namespaces: [...this.namespaces.values()],
      tables: [...this.tables.values()] }));
    renameSync(tmp, this.stateFile);
  }

  // Default table location: <base>/<ns parts>/<table>.
  locationOf(ns, name) {
    return [this.base, ...ns.map(encodeURIComponent), encodeURIComponent(name)].join('/');
  }

  // Local file for a URI under the base or a file: URI; null otherwise.
  localPath(uri) {
    if (uri === this.base || uri.startsWith(this.base + '/'))
      return path.join(this.warehouse, ...uri.slice(this.base.length).split('/').map(decodeURIComponent));
    if (uri.startsWith('file:')) return fileURLToPath(uri);
    return null;
  }

  namespace(ns) { return this.namespaces.get(ns.join(SEP)) || null; }

  table(ns, name) { return this.tables.get(tableKey(ns, name)) || null; }

  // Namespaces one level below parent (implied levels included).
  children(parent) {
    const out = new Map();
    for (const n of this.namespaces.values()) {
      const ns = n.namespace;
      if (ns.length <= parent.length || parent.some((p, k) => ns[k] !== p)) continue;
      const child = ns.slice(0, parent.length + 1);
      out.set(child.join(SEP), child);
    }
    return [...out.values()];
  }

  tablesIn(ns) {
    const key = ns.join(SEP);
    return [...this.tables.values()].filter((t) => t.namespace.join(SEP) === key);
  }

  putNamespace(ns, properties) {
    const n = { namespace: ns, properties };
    this.namespaces.set(ns.join(SEP), n);
    this.save();
    return n;
  }

  dropNamespace(ns) {
    this.namespaces.delete(ns.join(SEP));
    this.save();
  }

  // Record a new version of a table (a new one when t is null) and write
  // its metadata files. Returns the table entry.
  putTable(ns, name, t, metadata) {
    const version = t ? t.version + 1 : 0;
    const loc = `${metadata.location}/metadata/${String(version).padStart(5, '0')}-${randomUUID()}.metadata.json`;
    this.writeMetadata(loc, metadata, version + 1);
    const entry = { namespace: ns, name, version, 'metadata-location': loc, metadata };
    this.tables.set(tableKey(ns, name), entry);
    this.save();
    return entry;
  }

  dropTable(ns, name) {
    this.tables.delete(tableKey(ns, name));
    this.save();
  }

  // Write the metadata file (create-only), the vN copy and the version hint.
  writeMetadata(loc, metadata, n) {
    const file = this.localPath(loc);
    if (!file) return;
    const dir = path.dirname(file);
    mkdirSync(dir, { recursive: true });
    const text = stringify(metadata, 2);
    writeFileSync(file, text, { flag: 'wx' });
    writeFileSync(path.join(dir, `v${n}.metadata.json`), text);
    writeFileSync(path.join(dir, 'version-hint.text'), String(n));
  }
}

function tableKey(ns, name) {
  return ns.join(SEP) + SEP + SEP + name;
}
