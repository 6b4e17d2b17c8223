// 08-contrib.mjs: the operator files in contrib/ are valid: the Prometheus
// alert rules pass promtool, and the systemd unit names the binaries and
// flags bronzed really has.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { tap } from './lib/tap.mjs';

const t = tap();
const srcdir = process.env.BRONZE_SRCDIR || '.';
const builddir = process.env.BRONZE_BUILDDIR || '.';
const rules = path.join(srcdir, 'contrib/prometheus/bronzed-rules.yml');

const promtool = spawnSync('promtool', ['check', 'rules', rules], { encoding: 'utf8' });
if (promtool.error) t.ok(true, '# SKIP promtool not installed');
else {
  t.eq(promtool.status, 0, 'promtool check rules: exit 0');
  t.ok(/SUCCESS: \d+ rules found/.test(promtool.stdout), 'promtool finds the rules', promtool.stdout + promtool.stderr);
}
const text = readFileSync(rules, 'utf8');
const names = new Set([...text.matchAll(/\b((?:flink|bronzed)_[a-zA-Z_]+)/g)].map((m) => m[1]));
t.ok(names.size >= 5, `rules use ${names.size} bronzed/Flink series`);

const unit = readFileSync(path.join(srcdir, 'contrib/bronzed.service'), 'utf8');
t.ok(/--check-config/.test(unit), 'unit checks the config before starting');
t.ok(/RestartPreventExitStatus=78/.test(unit), 'unit does not restart on config errors (78)');
const help = spawnSync(path.join(builddir, 'src/bronzed'), ['--help'], { encoding: 'utf8' });
t.ok(/--check-config/.test(help.stdout) && /-c, --config/.test(help.stdout),
  'the flags the unit uses exist', help.stdout);
const hardening = unit.split('\n').filter((l) => /^#[A-Z][A-Za-z]+=/.test(l));
const explained = hardening.filter((l) => {
  const i = unit.split('\n').indexOf(l);
  return /^# /.test(unit.split('\n')[i - 1]) || /^#[A-Z]/.test(unit.split('\n')[i - 1]);
});
t.ok(hardening.length >= 5 && explained.length === hardening.length,
  `${hardening.length} hardening lines, each commented out and explained`);
await t.done();
