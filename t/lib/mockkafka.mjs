// mockkafka.mjs: start t/helpers/bronze-mockkafka (librdkafka's mock
// cluster behind a line protocol) from a test.
//
//   const k = await startMockKafka({ brokers: 3,
//     topics: [{ name: 'binance.raw', partitions: 4 }] });
//   k.bootstrap                       'host:port,host:port,...'
//   await k.cmd('produce binance.raw FILE')   -> 'OK 4000' or 'ERR ...'
//   await k.stop()                    -> exit status (quit, then SIGKILL)
//
// Commands: down|up BROKER, leader TOPIC PARTITION BROKER, produce TOPIC
// FILE [KEYFIELD], trickle TOPIC FILE RATE, stop TOPIC, count TOPIC, quit
// (see bronze-mockkafka -h).  Every wait is bounded.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { lineReader, track, within } from './proc.mjs';

export const mockKafkaPath = process.env.BRONZE_MOCKKAFKA ||
  path.join(process.env.BRONZE_BUILDDIR || process.cwd(),
    't/helpers/bronze-mockkafka');

export function haveMockKafka() {
  return existsSync(mockKafkaPath);
}

// codec: the producer compresses its batches (gzip, snappy, lz4, zstd).
export async function startMockKafka({ brokers = 3, topics = [], codec,
  timeoutMs = 15000, cmdTimeoutMs = 45000, quiet = true } = {}) {
  const args = ['-b', String(brokers)];
  if (codec) args.push('-z', codec);
  for (const t of topics)
    args.push('-t', `${t.name}:${t.partitions ?? 1}${t.rf ? `:${t.rf}` : ''}`);
  if (quiet) args.push('-q');
  const proc = spawn(mockKafkaPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = track(proc);
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  proc.stdin.on('error', () => {});	/* EPIPE once it has exited */
  const next = lineReader(proc.stdout);
  const spawned = new Promise((resolve, reject) => {
    proc.once('error', reject);
    proc.once('spawn', resolve);
  });
  let first;
  try {
    await spawned;
    first = await next(timeoutMs, 'BOOTSTRAP line');
  } catch (e) {
    proc.kill('SIGKILL');
    throw new Error(`bronze-mockkafka: ${e.message}\n${stderr}`);
  }
  const m = /^BOOTSTRAP (\S+)$/.exec(first);
  if (!m) {
    proc.kill('SIGKILL');
    throw new Error(`bronze-mockkafka: unexpected first line: ${first}\n${stderr}`);
  }
  return {
    bootstrap: m[1],
    proc,
    exited,
    logs: () => stderr,
    // Send one command line; resolve with its one-line answer.
    cmd(line, ms = cmdTimeoutMs) {
      proc.stdin.write(line + '\n');
      return next(ms, line);
    },
    // Quit (EOF on stdin), then SIGKILL past the bound; the exit status.
    async stop(ms = 10000) {
      proc.stdin.end();
      const r = await within(exited, ms);
      if (r) return r.status;
      proc.kill('SIGKILL');
      throw new Error(`bronze-mockkafka did not exit in ${ms} ms`);
    },
  };
}
