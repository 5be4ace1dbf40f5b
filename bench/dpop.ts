/**
 * The cost of DPoP (issue 23): client CPU per request with a DPoP-bound token (a fresh proof per
 * request, one ES256 signature and one SHA-256 of the token) against the same client with a Bearer
 * token, in the same run, over the loopback socket. The server is the testing fake with
 * `dpop: { required: false }` (it takes both; each proof verified), in a child process: this one's
 * `process.cpuUsage()` then measures the client alone. The two clients alternate, round by round,
 * and the report gives medians and their ratio DPoP / Bearer.
 *
 *   npm run bench -- --only=dpop            (--quick: 2 short rounds)
 *   node --import tsx bench/dpop.ts --serve <jkt>   the server process (started by this file)
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { firstValueFrom } from 'rxjs';
import type * as Dpop from '../lib/dpop/index.js';
import type { IssuedTokens } from '../lib/testing/index.js';
import { BUILT_FILE, lib } from './lib-under-test.js';
import type { Section } from './report.js';
import { fmt, median, summarize, fmtSummary } from './stats.js';

const CONCURRENCY = 16;
const PATH = '/api/items';

interface ServerReady {
  readonly url: string;
  readonly bearer: IssuedTokens;
  readonly dpop: IssuedTokens;
}

/** A client of the run: its name and one request. */
interface Client {
  readonly name: 'Bearer' | 'DPoP';
  get(): Promise<void>;
  close(): void;
}

export interface DpopResult {
  readonly section: Section;
  /** Median client CPU µs per request, DPoP over Bearer. */
  readonly ratio: number;
}

if (process.argv[2] === '--serve') await serve(process.argv[3] ?? '');

/** The child: the fake server, with one Bearer sign-in and one bound to the parent's key. */
async function serve(jkt: string): Promise<void> {
  const { startOAuth2Server } = await import('../scripts/oauth2-server.js');
  const running = await startOAuth2Server({ accessTokenTtl: 3_600_000, dpop: { required: false } });
  const ready: ServerReady = { url: running.url, bearer: running.server.signIn('bearer'), dpop: running.server.signIn('dpop', { jkt }) };
  process.send?.(ready);
  process.once('disconnect', () => void running.close());
}

/** `lib/dpop/index.ts` compiled as `lib/index.ts` is (bench/lib-under-test.ts), next to it. */
async function loadDpop(): Promise<typeof Dpop> {
  const outfile = BUILT_FILE.replace(/index\.mjs$/, 'dpop.mjs');
  const entry = fileURLToPath(new URL('../lib/dpop/index.ts', import.meta.url));
  await build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'node', target: 'es2022', packages: 'external', outfile, logLevel: 'warning' });
  return (await import(`${pathToFileURL(outfile).href}?t=${Date.now()}`)) as typeof Dpop;
}

function client(name: Client['name'], url: string, tokens: IssuedTokens, dpop?: Dpop.DpopBinding): Client {
  const { createHttpClient, createTokenSession } = lib();
  const session = createTokenSession({
    tokens: { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiresAt: tokens.expiresAt, ...(dpop && { tokenType: 'DPoP' as const }) },
    refresh: () => Promise.reject(new Error('bench: no refresh expected')),
    ...(dpop && { dpop }),
  });
  const http = createHttpClient({ baseUrl: url, session, retry: false });
  return {
    name,
    get: async () => {
      await firstValueFrom(http.get(PATH));
    },
    close: () => session.dispose(),
  };
}

/** `CONCURRENCY` loops of back-to-back requests until `count` are done; client CPU µs per request. */
async function cpuPerRequest(c: Client, count: number): Promise<number> {
  let started = 0;
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (started < count) {
        started++;
        await c.get();
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / count;
}

export async function runDpop(options: { quick: boolean; log: (line: string) => void }): Promise<DpopResult> {
  const { createDpopKey, createDpopProof, dpopBinding } = await loadDpop();
  const key = await createDpopKey();
  const child = fork(fileURLToPath(import.meta.url), ['--serve', key.thumbprint], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [ready] = (await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(() => {
      throw new Error('bench/dpop: the server process exited before it was ready');
    }),
  ])) as [ServerReady];
  const clients = [client('Bearer', ready.url, ready.bearer), client('DPoP', ready.url, ready.dpop, dpopBinding({ key }))];
  const rounds = options.quick ? 2 : 8;
  const perRound = options.quick ? 400 : 2_000;
  const samples: Record<Client['name'], number[]> = { Bearer: [], DPoP: [] };
  const ratios: number[] = [];
  try {
    for (const c of clients) await cpuPerRequest(c, perRound / 4); // warm-up
    for (let round = 0; round < rounds; round++) {
      // Alternated, so a drift of the machine's load falls on both alike.
      const order = round % 2 === 0 ? clients : [...clients].reverse();
      const got: Partial<Record<Client['name'], number>> = {};
      for (const c of order) got[c.name] = await cpuPerRequest(c, perRound);
      samples.Bearer.push(got.Bearer as number);
      samples.DPoP.push(got.DPoP as number);
      ratios.push((got.DPoP as number) / (got.Bearer as number));
      options.log(`  round ${round + 1}: Bearer ${fmt(got.Bearer as number)} µs, DPoP ${fmt(got.DPoP as number)} µs per request`);
    }
  } finally {
    clients.forEach((c) => c.close());
    const exited = once(child, 'exit');
    child.disconnect();
    await exited;
  }
  // The proof alone, in this process: what DPoP adds to a request before the socket.
  const proofs = options.quick ? 200 : 2_000;
  const cpu = process.cpuUsage();
  for (let i = 0; i < proofs; i++) await createDpopProof(key, { method: 'GET', url: `${ready.url}${PATH}`, accessToken: ready.dpop.accessToken });
  const used = process.cpuUsage(cpu);
  const proofCpu = (used.user + used.system) / proofs;

  const bearer = summarize(samples.Bearer);
  const dpop = summarize(samples.DPoP);
  const ratio = median(ratios);
  return {
    ratio,
    section: {
      id: 'dpop',
      title: 'DPoP: client CPU per request against Bearer',
      headers: ['client', 'client CPU µs/req', 'DPoP / Bearer (median of rounds)'],
      rows: [
        ['rx-token-http, Bearer token', fmtSummary(bearer, 0), ''],
        ['rx-token-http, DPoP-bound token (a proof per request)', fmtSummary(dpop, 0), `${fmt(ratio, 2)}× [${fmt(Math.min(...ratios), 2)}–${fmt(Math.max(...ratios), 2)}]`],
        ['createDpopProof alone (ES256, with ath)', `${fmt(proofCpu, 0)}`, ''],
      ],
      notes: [
        `${rounds} rounds of ${fmt(perRound)} GET requests per client, ${CONCURRENCY} in flight, over the loopback socket to the testing fake server (\`dpop: { required: false }\`, no nonces: the steady state) in a child process; the clients alternate first and second. "client CPU µs/req" is this process's user+system CPU time per request (process.cpuUsage): the client's own cost, proof included; the server's verification is the other process's. The library is the compiled one (bench/lib-under-test.ts), \`rx-token-http/dpop\` compiled the same way.`,
        'The typical import is the same size with or without DPoP: `rx-token-http/dpop` is an entry of its own (the Bundle size section and `scripts/ci/check-bundle-budget.ts`).',
      ],
      targets: [],
    },
  };
}
