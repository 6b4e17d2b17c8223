// 09-packaging.mjs: what an operator installs: `make install` puts the
// binaries, config and mdoc man pages where bronzed.8 says; the container
// image's runtime packages exist in Debian 12 and provide every library
// the daemon links; the compose file runs bronzed beside Kafka, MinIO and
// a REST catalog with a config bronzed accepts.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tap } from './lib/tap.mjs';
import { dep, haveDeps } from './lib/deps.mjs';

const t = tap();
const srcdir = process.env.BRONZE_SRCDIR || '.';
const builddir = process.env.BRONZE_BUILDDIR || '.';
const bronzed = process.env.BRONZED_REAL || path.join(builddir, 'src/bronzed');
const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { encoding: 'utf8', ...opts });

// ---- make install into a staging directory ----
const dest = mkdtempSync(path.join(os.tmpdir(), 'bronze-install-'));
process.on('exit', () => rmSync(dest, { recursive: true, force: true }));
const env = { ...process.env, MAKEFLAGS: '', MFLAGS: '', MAKELEVEL: '' };
const inst = run('make', ['-s', '-C', builddir, 'install', `DESTDIR=${dest}`], { env });
t.eq(inst.status, 0, 'make install DESTDIR=... exits 0', inst.stderr);
const prefix = path.join(dest, run('sh', ['-c', `sed -n 's/^prefix = //p' ${builddir}/Makefile`]).stdout.trim());
const want = { 'sbin/bronzed': 0o111, 'bin/bronzectl': 0o111, 'etc/bronzed/bronzed.conf': 0,
  'share/man/man8/bronzed.8': 0, 'share/man/man1/bronzectl.1': 0, 'share/man/man5/bronzed.conf.5': 0,
  'share/bronzed/ui/index.html': 0, 'share/bronzed/ui/app.js': 0, 'share/bronzed/ui/style.css': 0 };
for (const [f, exec] of Object.entries(want)) {
  const p = path.join(prefix, f);
  t.ok(existsSync(p) && (statSync(p).mode & exec) === exec, `installed: ${f}${exec ? ' (executable)' : ''}`);
}
for (const m of ['man8/bronzed.8', 'man1/bronzectl.1', 'man5/bronzed.conf.5']) {
  const text = readFileSync(path.join(prefix, 'share/man', m), 'utf8');
  t.ok(/^\.Dd /m.test(text) && /^\.Dt /m.test(text) && /^\.Sh NAME/m.test(text), `${m} is mdoc`);
}
const man8 = readFileSync(path.join(prefix, 'share/man/man8/bronzed.8'), 'utf8');
t.ok(!man8.includes('@SYSCONFDIR@') && man8.includes('/etc/bronzed/bronzed.conf'),
  'bronzed.8 names the installed config path');
const check = run(path.join(prefix, 'sbin/bronzed'), ['--check-config', '-c',
  path.join(prefix, 'etc/bronzed/bronzed.conf')], { env: { ...process.env, AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's' } });
t.eq(check.status, 0, 'the installed bronzed accepts the installed config', check.stderr);

// ---- Dockerfile: runtime packages cover the daemon's libraries ----
const docker = readFileSync(path.join(srcdir, 'contrib/docker/Dockerfile'), 'utf8');
const stages = docker.split(/^FROM /m).slice(1);
t.eq(stages.length, 2, 'two stages: build and runtime');
const pkgs = (stage) => [...stage.matchAll(/apt-get install[^\n]*\\\n([\s\S]*?)(?:&&|$)/g)]
  .flatMap((m) => m[1].split(/\s+/)).filter((w) => /^[a-z0-9][a-z0-9.+-]+$/.test(w));
const runtime = pkgs(stages[1]);
t.ok(runtime.length >= 10, `runtime stage installs ${runtime.length} packages`);
const policy = run('apt-cache', ['policy', ...runtime]);
if (policy.error) t.ok(true, '# SKIP apt-cache missing (not a Debian system)');
else {
  const missing = runtime.filter((p) => !new RegExp(`^${p.replace(/[.+]/g, '\\$&')}:\\n\\s+Installed: .*\\n\\s+Candidate: (?!\\(none\\))`, 'm').test(policy.stdout));
  t.eq(missing, [], 'every runtime package exists in Debian 12');
  const needed = [...run('objdump', ['-p', bronzed]).stdout.matchAll(/NEEDED\s+(\S+)/g)].map((m) => m[1]);
  // every package that ships the library (multiarch: libc6 and libc6-i386 both have libm.so.6)
  const owners = needed.map((lib) => {
    const r = run('sh', ['-c', `dpkg -S "*/${lib}" 2>/dev/null | cut -d: -f1 | tr -d ' ' | tr ',' '\\n' | sort -u`]);
    return [lib, r.stdout.trim().split('\n').filter(Boolean)];
  });
  // sanitizer runtimes come from an instrumented build, not the image's
  const uncovered = owners.filter(([lib, pkgs]) => !pkgs.some((p) => p === 'libc6' || runtime.includes(p)) &&
    !/^lib(asan|ubsan|lsan|tsan)\./.test(lib));
  t.ok(needed.length >= 8 && uncovered.length === 0,
    `runtime packages provide all ${needed.length} libraries bronzed links`, JSON.stringify(uncovered));
}
t.ok(/HEALTHCHECK[\s\S]*bronzectl[^\n]*health/.test(docker), 'the image health check is bronzectl health');
t.ok(/^USER bronzed/m.test(docker), 'the daemon runs as an unprivileged user');

// ---- docker-compose.yml ----
if (!haveDeps()) t.ok(true, '# SKIP js-yaml not installed');
else {
  const yaml = (await dep('js-yaml')).default;
  const compose = yaml.load(readFileSync(path.join(srcdir, 'contrib/docker/docker-compose.yml'), 'utf8'));
  t.eq(Object.keys(compose.services).sort(), ['bronzed', 'iceberg-rest', 'kafka', 'minio', 'minio-init'],
    'compose: one bronzed beside Kafka, MinIO and a REST catalog');
  const b = compose.services.bronzed;
  const mount = b.volumes.find((v) => v.endsWith(':/etc/bronzed/bronzed.conf:ro'));
  t.ok(!!mount, 'compose: bronzed mounts the config read-only');
  const conf = path.resolve(path.join(srcdir, 'contrib/docker'), mount.split(':')[0]);
  const text = readFileSync(conf, 'utf8');
  for (const [svc, re] of [['kafka', /kafka\.bootstrap\.servers:\s*kafka:29092/], ['iceberg-rest', /catalog\.uri:\s*http:\/\/iceberg-rest:8181/],
    ['minio', /s3\.endpoint:\s*http:\/\/minio:9000/]])
    t.ok(re.test(text) && compose.services[svc], `compose: the config reaches ${svc} by its service name`);
  const envKeys = Object.keys(b.environment);
  const vars = [...text.replace(/^\s*#.*$/gm, '').matchAll(/\$\{([A-Z_]+)\}/g)].map((m) => m[1]);
  t.ok(vars.every((v) => envKeys.includes(v)), 'compose: every required ${VAR} of the config is set');
  t.ok(b.ports.includes('8082:8082') && b.ports.includes('9091:9091'), 'compose: admin and metrics ports published');
  t.ok(b.stop_grace_period && b.restart === 'unless-stopped', 'compose: graceful stop and restart policy');
}
await t.done();
