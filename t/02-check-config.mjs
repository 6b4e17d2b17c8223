// 02-check-config.mjs: `bronzed --check-config` on the example configs
// (exit 0) and on every broken config of t/conf/bad/ (exit 78, and stderr
// names the place: "FILE:LINE: KEY:", as the file's "# expect:" line says).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { tap } from './lib/tap.mjs';

const t = tap();
const bronzed = process.env.BRONZED ||
  path.join(process.env.BRONZE_BUILDDIR || '.', 'src', 'bronzed');
const srcdir = process.env.BRONZE_SRCDIR || '.';

// A clean environment: no AWS keys, no bootstrap override, so the example
// files must parse on their own and the corpus sees only its own errors.
const env = { PATH: process.env.PATH };
for (const k of ['ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS', 'BRONZED_REAL'])
  if (process.env[k] !== undefined) env[k] = process.env[k];

function check(file, extra = {}) {
  const r = spawnSync(bronzed, ['--check-config', '-c', file],
    { env: { ...env, ...extra }, encoding: 'utf8', timeout: 20000 });
  if (r.error) throw r.error;
  return r;
}

for (const name of ['bronzed.conf', 'bronzed-local.conf']) {
  const file = path.join(srcdir, 'etc', name);
  const r = check(file);
  t.eq(r.status, 0, `${name}: --check-config exits 0`);
  t.ok(r.stdout.includes('configuration OK (2 job(s))'),
    `${name}: reports two jobs`, r.stdout + r.stderr);
}

{
  const local = path.join(srcdir, 'etc', 'bronzed-local.conf');
  const r = check(local, { BRONZE_KAFKA_BOOTSTRAP: 'broker:1234' });
  t.eq(r.status, 0, 'bronzed-local.conf with BRONZE_KAFKA_BOOTSTRAP set');
  const missing = path.join(srcdir, 't', 'conf', 'no-such-file.conf');
  const m = check(missing);
  t.eq(m.status, 78, 'a missing file exits 78');
  t.ok(m.stderr.includes(`${missing}: No such file or directory`),
    'a missing file is named', m.stderr);
}

const dir = path.join(srcdir, 't', 'conf', 'bad');
const files = readdirSync(dir).filter((f) => f.endsWith('.conf')).sort();
t.ok(files.length >= 20, `corpus has ${files.length} broken configs`);
for (const f of files) {
  const file = path.join(dir, f);
  const m = /^# expect: (\d+): (\S+)\s*$/m.exec(
    readFileSync(file, 'utf8').split('\n')[0]);
  if (!t.ok(m, `${f}: has an "# expect: LINE: KEY" first line`))
    continue;
  const r = check(file);
  t.eq(r.status, 78, `${f}: exits 78`);
  const want = `${file}:${m[1]}: ${m[2]}:`;
  t.ok(r.stderr.includes(want), `${f}: stderr names ${m[1]}: ${m[2]}`,
    `want: ${want}\nstderr: ${r.stderr}`);
  t.eq(r.stderr.trim().split('\n').length, 1, `${f}: one error line`);
}

// A secret never reaches the error output, whatever the error.
{
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const os = await import('node:os');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bronze-cfg-'));
  const secret = 'Sup3rS3cretValue';
  const base = 'catalog.warehouse: /tmp/wh\nkafka.bootstrap.servers: k:9092\n' +
    'job.a.source.topic: a\njob.a.sink.table: ns.a\n';
  const broken = [
    `s3.secret-access-key: ${secret}\ns3.secret-access-key: ${secret}\n`,
    `s3.secret-access-key: "${secret}" trailing\n`,
    `admin.token: '${secret}\n`,
    `kafka.sasl.password: ${secret}\nkafka.sasl.password: ${secret}\n`,
    `catalog.token ${secret}\n`,
    `${secret}\n`,
    `kafka.sasl.password=${secret}\n`,
    `s3.secret-access-key=${secret}:x\n`,
  ];
  broken.forEach((text, i) => {
    const file = path.join(tmp, `s${i}.conf`);
    writeFileSync(file, base + text);
    const r = check(file);
    t.eq(r.status, 78, `secret case ${i}: exits 78`);
    t.ok(!r.stderr.includes(secret) && !r.stdout.includes(secret),
      `secret case ${i}: the value is not printed`, r.stderr);
  });
  rmSync(tmp, { recursive: true, force: true });
}

await t.done();
