// tap.mjs: a minimal TAP producer for the end-to-end tests (node scripts).
// Usage: const t = tap(); t.ok(cond, 'name'); t.eq(got, want, 'name');
// await t.done(). A thrown error is reported as a failed test, never lost.
import { isDeepStrictEqual, inspect } from 'node:util';

export function tap() {
  let n = 0, failed = 0;
  const out = (s) => process.stdout.write(s + '\n');
  const t = {
    ok(cond, name, detail) {
      n++;
      if (!cond) failed++;
      out(`${cond ? '' : 'not '}ok ${n} - ${name}`);
      if (!cond && detail !== undefined)
        for (const line of String(detail).split('\n')) out(`# ${line}`);
      return !!cond;
    },
    eq(got, want, name) {
      const same = isDeepStrictEqual(got, want);
      return t.ok(same, name, same ? undefined :
        `got:  ${inspect(got, { depth: 6 })}\nwant: ${inspect(want, { depth: 6 })}`);
    },
    skipAll(reason) {
      out(`1..0 # SKIP ${reason}`);
      process.exit(0);
    },
    diag(msg) { for (const line of String(msg).split('\n')) out(`# ${line}`); },
    async done() {
      out(`1..${n}`);
      process.exitCode = failed ? 1 : 0;
    },
  };
  process.on('uncaughtException', (e) => { t.ok(false, 'uncaught exception', e.stack); t.done(); process.exit(1); });
  process.on('unhandledRejection', (e) => { t.ok(false, 'unhandled rejection', e && e.stack); t.done(); process.exit(1); });
  return t;
}
