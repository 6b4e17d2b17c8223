#!/usr/bin/env node
// restcatalog.mjs: a strict Iceberg REST catalog for bronzed's tests. Every
// request is checked against the REST catalog OpenAPI spec (400 naming the
// failing field), commits check requirements and apply updates exactly, and
// faults (409/5xx/timeout/lost response) can be injected deterministically.
//
//   node t/helpers/restcatalog.mjs --warehouse DIR [--port 0] [--prefix P]
//     [--token T | --client-id ID --client-secret S] [--faults SPEC]
//     [--seed N] [--reassign-ids] [--check-files] [--require-asserts]
//     [--location-base URI] [--warehouse-name NAME] [--quiet]
//
// --reassign-ids     fresh field ids start at 101 and partition ids at 1100
//                    (clients must take ids from the returned metadata)
// --check-files      a committed manifest list given as a file: URI must exist
// --require-asserts  a commit moving a ref must assert the table uuid and
//                    that ref's snapshot id (else 400)
// --location-base    URI that stands for the warehouse directory in metadata
//                    (default file://DIR), e.g. s3://warehouse
// --client-config    JSON object of catalog properties for clients, sent as
//                    the config route's defaults (e.g. s3.endpoint and keys)
//
// Prints "LISTENING http://127.0.0.1:PORT" once ready; logs one line per
// request on stderr; exits 0 on SIGTERM. Control routes (not in the spec):
//   GET    /_test/log[?since=N]   every request: status, validation outcome, fault
//   DELETE /_test/log
//   GET    /_test/faults          current rules and seed
//   POST   /_test/faults          {"rules": [...] | "compact", "seed": N}
//   GET    /_test/tables/NS/TBL   {metadata-location, metadata}
// See restcatalog/faults.mjs for the fault syntax and restcatalog/launch.mjs
// for starting it from a test.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CatalogServer } from './restcatalog/server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const FLAGS = { '--reassign-ids': 'reassignIds', '--check-files': 'checkFiles', '--quiet': 'quiet',
  '--require-asserts': 'requireAsserts' };
const VALUES = {
  '--warehouse': 'warehouse', '--port': 'port', '--prefix': 'prefix', '--token': 'token',
  '--client-id': 'clientId', '--client-secret': 'clientSecret', '--faults': 'faults',
  '--seed': 'seed', '--location-base': 'locationBase', '--warehouse-name': 'warehouseName',
  '--spec': 'specFile', '--host': 'host', '--client-config': 'clientConfig',
};

function usage(msg) {
  process.stderr.write(`restcatalog: ${msg}\nusage: node restcatalog.mjs --warehouse DIR [--port N] [--prefix P] ` +
    '[--token T | --client-id ID --client-secret S] [--faults SPEC] [--seed N] [--reassign-ids] ' +
    '[--check-files] [--require-asserts] [--location-base URI] [--warehouse-name NAME] [--client-config JSON] [--quiet]\n');
  process.exit(64);
}

// Parse argv into options; exits 64 on a usage error.
function options(argv) {
  const o = { specFile: path.join(here, 'restcatalog', 'rest-catalog-open-api.yaml') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (FLAGS[a]) o[FLAGS[a]] = true;
    else if (VALUES[a] && i + 1 < argv.length) o[VALUES[a]] = argv[++i];
    else usage(`unknown or incomplete option ${a}`);
  }
  if (!o.warehouse) usage('--warehouse is required');
  if (o.token && o.clientId) usage('use --token or --client-id, not both');
  if (Boolean(o.clientId) !== Boolean(o.clientSecret)) usage('--client-id needs --client-secret');
  for (const k of ['port', 'seed'])
    if (o[k] !== undefined && !/^[0-9]+$/.test(o[k])) usage(`--${k} must be a number`);
  o.port = Number(o.port || 0);
  o.seed = o.seed === undefined ? 1 : Number(o.seed);
  return o;
}

const opts = options(process.argv.slice(2));
let server;
try {
  server = await CatalogServer.create(opts);
} catch (e) {
  usage(e.message);
}
const port = await server.listen(opts.port, opts.host || '127.0.0.1');
process.stdout.write(`LISTENING http://127.0.0.1:${port}\n`);
const stop = () => server.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
