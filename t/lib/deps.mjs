// deps.mjs: load the independent readers (icebird, hyparquet, DuckDB, avsc)
// from BRONZE_NODE_MODULES, so tests run from any build directory
// (VPATH, make distcheck). `npm ci` in t/ installs them.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const nodeModules = process.env.BRONZE_NODE_MODULES ||
  path.join(here, '..', 'node_modules');

export function haveDeps() {
  return existsSync(path.join(nodeModules, 'avsc'));
}

function entryOf(dir, pkg) {
  let e = pkg.exports;
  if (e && typeof e === 'object' && e['.'] !== undefined) e = e['.'];
  while (e && typeof e === 'object')
    e = e.import ?? e.node ?? e.default ?? e.require;
  let f = path.join(dir, e || pkg.module || pkg.main || 'index.js');
  if (existsSync(f) && statSync(f).isDirectory()) f = path.join(f, 'index.js');
  else if (!existsSync(f) && existsSync(f + '.js')) f += '.js';
  return f;
}

// Import a package by name from nodeModules, e.g. await dep('hyparquet').
export async function dep(name) {
  const dir = path.join(nodeModules, name);
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  return import(pathToFileURL(entryOf(dir, pkg)).href);
}
