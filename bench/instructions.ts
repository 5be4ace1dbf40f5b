/**
 * Instructions per request, counted by valgrind (cachegrind, no cache simulation): the work a
 * client does, without the noise CPU time has on a shared machine. `npx tsx bench/ab.ts <other
 * tree> instructions` compares both trees' clients and fetch + AbortSignal this way.
 *
 * Each client runs bench/count-client.mjs twice under valgrind, for `small` and `large` requests
 * (64 in flight, against the throughput scenario's server, which runs outside valgrind); the
 * difference divided by `large - small` is the count per request with start-up and warm-up taken
 * out. What remains noisy is the process's own: a major GC or a TurboFan compile falls in one
 * window and not in another (the same tree read ±4 % against itself over 4,000 requests), so
 * compare medians of several runs.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServerProcess } from './throughput.js';

const CLIENT = fileURLToPath(new URL('./count-client.mjs', import.meta.url));

/** A client to count: `fetch`, or a built lib/index.mjs. */
export interface Counted {
  readonly name: string;
  readonly client: 'fetch' | { readonly lib: string };
}

/** Instructions per request of each client, by name. */
export async function countInstructions(clients: readonly Counted[], window: { small: number; large: number }, log: (line: string) => void): Promise<Map<string, number>> {
  ensureValgrind();
  // Under valgrind the warm-up is slow enough for Node's 5 s keep-alive to close connections under it.
  const server = await startServerProcess({ keepAliveMs: 300_000 });
  const dir = mkdtempSync(join(tmpdir(), 'rx-token-http-count-'));
  const job = join(dir, 'job.json');
  writeFileSync(job, JSON.stringify({ url: server.url, tokens: server.tokens }));
  const perRequest = new Map<string, number>();
  try {
    // Two valgrind processes at a time: one per core; the server waits on the network most of the time.
    for (let i = 0; i < clients.length; i += 2) {
      await Promise.all(
        clients.slice(i, i + 2).map(async ({ name, client }) => {
          const which = client === 'fetch' ? 'fetch' : client.lib;
          const small = await instructionsOf(which, window.small, job);
          const large = await instructionsOf(which, window.large, job);
          const each = (large - small) / (window.large - window.small);
          log(`  ${name}: ${fmtCount(small)} instructions for ${window.small} requests, ${fmtCount(large)} for ${window.large}: ${fmtCount(each)} per request`);
          perRequest.set(name, each);
        }),
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await server.stop();
  }
  return perRequest;
}

function instructionsOf(which: string, requests: number, job: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('valgrind', ['--tool=cachegrind', '--cache-sim=no', '--cachegrind-out-file=/dev/null', process.execPath, CLIENT, which, String(requests), job], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const refs = /I\s+refs:\s+([\d,]+)/.exec(stderr)?.[1];
      const resent = /count-client: .*/.exec(stderr)?.[0];
      if (resent) console.warn(`  ${which.split('/').at(-1) ?? which} (${requests} requests): ${resent}`);
      if (code === 0 && refs) resolve(Number(refs.replaceAll(',', '')));
      else reject(new Error(`valgrind on ${which} (${requests} requests) exited ${String(code)}: ${stderr.trim().split('\n').slice(-3).join(' / ')}`));
    });
  });
}

// Debian's valgrind, installed when missing and this process may (the bench's own machine).
function ensureValgrind(): void {
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
    return;
  } catch {
    if (process.getuid?.() !== 0) throw new Error('valgrind is missing: apt-get install -y valgrind');
  }
  const options = { stdio: 'inherit' as const, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } };
  const install = () => execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'valgrind'], options);
  try {
    install();
  } catch {
    // Old package lists on a fresh image: refresh them once, as scripts/ci/setup-redis.sh does.
    execFileSync('apt-get', ['update', '-qq'], options);
    install();
  }
}

function fmtCount(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(3)} M` : `${(n / 1e3).toFixed(1)} k`;
}
