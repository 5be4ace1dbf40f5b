import { pathToFileURL } from 'node:url';
import { catchError, forkJoin, lastValueFrom, map, of, type Observable } from 'rxjs';
import {
  createHttpClient,
  createTokenSession,
  oauth2RefreshGrant,
  TokenRevokedError,
  type RxHttpClient,
  type SessionEvent,
  type TokenSession,
} from '../lib/index.js';
import type { FakeAuthorizationServer } from '../lib/testing/fake-authorization-server.js';
import { count, explainTokenCalls } from './demo-words.js';
import { createNaiveClient } from './naive-client.js';
import { startOAuth2Server } from './oauth2-server.js';

/** One row of the summary table. */
export interface ScenarioResult {
  readonly scenario: string;
  readonly client: 'naive fetch' | 'rx-token-http';
  readonly requests: number;
  /** Calls of the token endpoint while the scenario's requests ran. */
  readonly tokenCalls: number;
  readonly ok: number;
  readonly failed: number;
  /** Whether a follow-up request succeeded once the scenario was over. */
  readonly sessionWorksAfter: boolean;
}

/** The revocation scenario, with what it promises beyond the table row. */
export interface RevokedResult extends ScenarioResult {
  /** Requests that failed with `TokenRevokedError`. */
  readonly revokedErrors: number;
  readonly sessionRevokedEvents: number;
  /** API requests that reached the server from the requests made after the revocation was known. */
  readonly apiRequestsAfterRevocation: number;
}

/** What {@link runDemo} observed. `failures` is empty when rx-token-http kept every promise. */
export interface DemoResult {
  readonly naiveSix: ScenarioResult;
  readonly oursSix: ScenarioResult;
  readonly naiveBurst: ScenarioResult;
  readonly oursBurst: ScenarioResult;
  readonly revoked: RevokedResult;
  readonly failures: readonly string[];
}

/** Where {@link runDemo} prints. */
export interface DemoOptions {
  /** Receives each line. @default console.log */
  readonly write?: (line: string) => void;
  /** @default true when stdout is a TTY and NO_COLOR is unset */
  readonly color?: boolean;
}

const TOKEN_DELAY = 50;
const TOKEN_PATH = '/oauth/token';
const DASHBOARD = ['/api/profile', '/api/inbox', '/api/projects', '/api/calendar', '/api/billing', '/api/activity'];
const BURST = 1_000;
const LATER_CLICKS = DASHBOARD.slice(0, 3);

type Paint = (text: string) => string;
type Palette = Record<'dim' | 'bold' | 'red' | 'green' | 'yellow' | 'cyan', Paint>;

interface Outcome {
  readonly ok: boolean;
  readonly error?: unknown;
}

interface Phase {
  readonly startedAt: number;
  readonly quiet: boolean;
  readonly on401: string;
  readonly attempts: Map<string, number>;
  readonly unauthorizedAt: number[];
  refreshedAt: number | undefined;
  revokedEvents: number;
}

interface Recorder {
  readonly phase: Phase;
  begin(options: { quiet?: boolean; on401: string }): void;
  elapsed(): number;
  log(text: string, always?: boolean): void;
  readonly fetch: typeof fetch;
}

interface Demo {
  readonly server: FakeAuthorizationServer;
  readonly url: string;
  readonly recorder: Recorder;
  readonly write: (line: string) => void;
  readonly paint: Palette;
}

/**
 * Plays the demo against a fake OAuth2 server on 127.0.0.1: six requests just after the access
 * token expired, then 1,000, first with a naive interceptor and then with rx-token-http, then a
 * session revoked on the server. Prints a timeline and a summary table; never prints a token.
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const write = options.write ?? ((line: string) => console.log(line));
  const paint = palette(options.color ?? (process.stdout.isTTY === true && !process.env.NO_COLOR));
  const running = await startOAuth2Server({ tokenDelay: TOKEN_DELAY });
  const recorder = createRecorder(write, paint);
  const demo: Demo = { server: running.server, url: running.url, recorder, write, paint };
  try {
    intro(demo);
    heading(demo, '1. Six dashboard requests, just after the access token expired');
    const naiveSix = await runNaive(demo, '6 requests after expiry', DASHBOARD);
    const oursSix = await withOurSession(demo, (session, client) => runOurs(demo, session, client, '6 requests after expiry', DASHBOARD));
    heading(demo, `2. A burst of ${count(BURST)} requests, just after the access token expired`);
    const burst = Array.from({ length: BURST }, (_, i) => `/api/items/${i + 1}`);
    const naiveBurst = await runNaive(demo, `${count(BURST)} requests after expiry`, burst, true);
    const oursBurst = await withOurSession(demo, (session, client) =>
      runOurs(demo, session, client, `${count(BURST)} requests after expiry`, burst, true),
    );
    heading(demo, '3. The user changes their password: the server revokes the session');
    const revoked = await withOurSession(demo, (_, client) => runRevoked(demo, client));
    const results = { naiveSix, oursSix, naiveBurst, oursBurst, revoked };
    const failures = verify(results);
    summary(demo, [naiveSix, oursSix, naiveBurst, oursBurst, revoked], failures);
    return { ...results, failures };
  } finally {
    await running.close();
  }
}

/**
 * Runs one scenario of rx-token-http on a session of its own: a fresh sign-in, so the
 * scenario's generations start at 0 whatever the scenarios before it did.
 */
async function withOurSession<T>(demo: Demo, scenario: (session: TokenSession, client: RxHttpClient) => Promise<T>): Promise<T> {
  const session = createOurSession(demo);
  try {
    return await scenario(session, createHttpClient({ baseUrl: demo.url, session, fetch: demo.recorder.fetch }));
  } finally {
    session.dispose();
  }
}

function intro({ write, paint, url }: Demo): void {
  write(paint.bold('rx-token-http demo'));
  write(`A fake OAuth2 server on ${url} (the one the tests use) rotates the refresh token`);
  write('on every refresh and, when a spent refresh token comes back, revokes the whole session');
  write(`(RFC 9700). Its token endpoint answers in ${TOKEN_DELAY} ms. Each scenario starts just after the`);
  write('access token expired: the server rejects it, the client has not noticed yet.');
  write('Each scenario signs in afresh. A generation is one token pair: the sign-in gives generation 0,');
  write('each refresh the next one; a 401 for a token of an older generation needs no new refresh.');
}

function heading({ write, paint }: Demo, title: string): void {
  write('');
  write(paint.bold(paint.cyan(title)));
}

async function runNaive(demo: Demo, scenario: string, paths: readonly string[], quiet = false): Promise<ScenarioResult> {
  const { server, url, recorder, write, paint } = demo;
  const tokens = server.signIn();
  server.expireAccessTokens();
  server.resetStats();
  write('');
  write(`  ${paint.bold('naive interceptor')}: every 401 calls the token endpoint on its own`);
  recorder.begin({ quiet, on401: paint.dim('(token expired): refreshes on its own') });
  const naive = createNaiveClient({ baseUrl: url, tokenUrl: `${url}${TOKEN_PATH}`, tokens, fetch: recorder.fetch });
  const outcomes = await Promise.all(
    paths.map(async (path): Promise<Outcome> => {
      const response = await naive.get(path).catch((error: unknown) => ({ ok: false, status: 0, error }));
      if (!response.ok) recorder.log(`GET  ${pad(path)} ${paint.red(`✗ failed with ${response.status}`)}`);
      return { ok: response.ok };
    }),
  );
  const elapsed = recorder.elapsed();
  const stats = server.stats;
  const { tokenRequests } = stats;
  const ok = outcomes.filter((o) => o.ok).length;
  if (quiet) write(burstLine(demo, paths.length, elapsed));
  recorder.begin({ quiet: true, on401: '' });
  const followUp = await naive.get('/api/me').catch(() => ({ status: 0, ok: false }));
  const verdict = followUp.ok ? '' : ': the user is signed out';
  write(`  = ${plural(tokenRequests, 'token-endpoint call')}, one for each request that got 401:`);
  for (const line of explainTokenCalls(stats)) write(`    - ${line}`);
  write(`    ${count(ok)} of ${count(paths.length)} requests ok. Follow-up GET /api/me → ${followUp.status}${verdict}.`);
  const failed = paths.length - ok;
  return { scenario, client: 'naive fetch', requests: paths.length, tokenCalls: tokenRequests, ok, failed, sessionWorksAfter: followUp.ok };
}

function createOurSession({ server, url, recorder, paint }: Demo): TokenSession {
  const session = createTokenSession({
    tokens: server.signIn(),
    refresh: oauth2RefreshGrant({ tokenUrl: `${url}${TOKEN_PATH}`, fetch: recorder.fetch }),
  });
  session.events$.subscribe((event) => onSessionEvent(recorder, paint, event));
  return session;
}

function onSessionEvent(recorder: Recorder, paint: Palette, event: SessionEvent): void {
  const { phase } = recorder;
  switch (event.type) {
    case 'refresh-started':
      recorder.log(paint.yellow(`refresh started (generation ${event.generation})`), true);
      break;
    case 'refresh-succeeded':
      phase.refreshedAt = recorder.elapsed();
      recorder.log(paint.yellow(`refresh succeeded → generation ${event.generation}`), true);
      break;
    case 'refresh-failed':
      recorder.log(paint.red(`refresh failed: ${event.error.message}`), true);
      break;
    case 'session-revoked':
      phase.revokedEvents++;
      recorder.log(paint.red('session revoked: its tokens are cleared, requests now fail with TokenRevokedError'), true);
      break;
  }
}

async function runOurs(
  demo: Demo,
  session: TokenSession,
  client: RxHttpClient,
  scenario: string,
  paths: readonly string[],
  quiet = false,
): Promise<ScenarioResult> {
  const { server, recorder, write, paint } = demo;
  server.expireAccessTokens();
  server.resetStats();
  write('');
  write(`  ${paint.bold('rx-token-http')}: one refresh per token generation, shared by every 401`);
  recorder.begin({ quiet, on401: paint.dim('(token expired)') });
  const outcomes = await settle(client, paths, recorder, paint);
  const elapsed = recorder.elapsed();
  const tokenCalls = server.stats.tokenRequests;
  const ok = outcomes.filter((o) => o.ok).length;
  if (quiet) write(burstLine(demo, paths.length, elapsed));
  recorder.begin({ quiet: true, on401: '' });
  const worksAfter = await lastValueFrom(client.get('/api/me')).then(
    () => server.stats.tokenRequests === tokenCalls,
    () => false,
  );
  const shared = tokenCalls === 1 ? ': every request that got 401 waited for that one refresh, or came after it' : '';
  write(`  = ${plural(tokenCalls, 'token-endpoint call')}${shared}; ${count(ok)} of ${count(paths.length)} requests ok.`);
  write(`    Follow-up GET /api/me → ${worksAfter ? '200 without refreshing again' : paint.red('failed or refreshed again')}.`);
  const failed = paths.length - ok;
  return { scenario, client: 'rx-token-http', requests: paths.length, tokenCalls, ok, failed, sessionWorksAfter: worksAfter };
}

async function runRevoked(demo: Demo, client: RxHttpClient): Promise<RevokedResult> {
  const { server, recorder, write, paint } = demo;
  server.revokeAll();
  server.resetStats();
  write('');
  write(`  ${paint.bold('rx-token-http')}: the dashboard reloads, then the user clicks three more times`);
  recorder.begin({ on401: paint.dim('(session revoked on the server)') });
  const first = await settle(client, DASHBOARD, recorder, paint);
  const apiBefore = server.stats.apiRequests;
  recorder.log(paint.dim(`the user clicks ${LATER_CLICKS.length} more times`));
  const later = await settle(client, LATER_CLICKS, recorder, paint);
  const apiRequestsAfterRevocation = server.stats.apiRequests - apiBefore;
  const outcomes = [...first, ...later];
  const ok = outcomes.filter((o) => o.ok).length;
  const revokedErrors = outcomes.filter((o) => o.error instanceof TokenRevokedError).length;
  const tokenCalls = server.stats.tokenRequests;
  write(`  = ${plural(tokenCalls, 'token-endpoint call')}, refused with invalid_grant: the refresh token is no longer valid, the session is over.`);
  write(`    ${revokedErrors} of ${outcomes.length} requests failed with TokenRevokedError, the error that means "sign in again".`);
  write(`    The ${LATER_CLICKS.length} later clicks failed at once: ${apiRequestsAfterRevocation} API requests reached the server.`);
  write('    Time to send the user to sign-in.');
  return {
    scenario: 'revoked on the server',
    client: 'rx-token-http',
    requests: outcomes.length,
    tokenCalls,
    ok,
    failed: outcomes.length - ok,
    sessionWorksAfter: later.some((o) => o.ok),
    revokedErrors,
    sessionRevokedEvents: recorder.phase.revokedEvents,
    apiRequestsAfterRevocation,
  };
}

function settle(client: RxHttpClient, paths: readonly string[], recorder: Recorder, paint: Palette): Promise<Outcome[]> {
  const requests: Observable<Outcome>[] = paths.map((path) =>
    client.get(path).pipe(
      map((): Outcome => ({ ok: true })),
      catchError((error: unknown) => {
        recorder.log(`GET  ${pad(path)} ${paint.red(`✗ ${error instanceof Error ? error.name : String(error)}`)}`);
        return of<Outcome>({ ok: false, error });
      }),
    ),
  );
  return lastValueFrom(forkJoin(requests));
}

function burstLine({ recorder, paint }: Demo, requests: number, elapsed: number): string {
  const { unauthorizedAt, refreshedAt } = recorder.phase;
  const first = Math.min(...unauthorizedAt);
  const last = Math.max(...unauthorizedAt);
  const span = unauthorizedAt.length > 0 ? ` between +${first} and +${last} ms` : '';
  const stamp = paint.dim(`+${String(elapsed).padStart(4)} ms`);
  const lines = [`  ${stamp}  all ${count(requests)} settled; ${count(unauthorizedAt.length)} got 401${span}`];
  if (refreshedAt !== undefined) {
    const joined = unauthorizedAt.filter((t) => t <= refreshedAt).length;
    const late = unauthorizedAt.length - joined;
    lines.push(`            ${count(joined)} of them waited for the one refresh (done at +${refreshedAt} ms)`);
    if (late > 0) lines.push(`            ${count(late)} came back after it: retried at once with the new token, no second refresh`);
  }
  return lines.join('\n');
}

function createRecorder(write: (line: string) => void, paint: Palette): Recorder {
  const fresh = (quiet: boolean, on401: string): Phase => ({
    startedAt: performance.now(),
    quiet,
    on401,
    attempts: new Map(),
    unauthorizedAt: [],
    refreshedAt: undefined,
    revokedEvents: 0,
  });
  let phase = fresh(true, '');
  const elapsed = () => Math.round(performance.now() - phase.startedAt);
  const log = (text: string, always = false) => {
    if (!phase.quiet || always) write(`  ${paint.dim(`+${String(elapsed()).padStart(4)} ms`)}  ${text}`);
  };

  async function describeExchange(method: string, path: string, response: Response): Promise<void> {
    if (path === TOKEN_PATH) {
      const error = response.ok ? undefined : await oauthError(response);
      const outcome = response.ok ? paint.green(`${response.status} new token pair`) : paint.red(`${response.status} ${error}`);
      log(`${method.padEnd(4)} ${pad(path)} → ${outcome}`);
      return;
    }
    const key = `${method} ${path}`;
    const attempt = (phase.attempts.get(key) ?? 0) + 1;
    phase.attempts.set(key, attempt);
    if (response.status === 401 && attempt === 1) phase.unauthorizedAt.push(elapsed());
    const status = response.ok ? paint.green(String(response.status)) : paint.red(String(response.status));
    const note = response.status === 401 && attempt === 1 ? ` ${phase.on401}` : '';
    log(`${method.padEnd(4)} ${pad(path)} ${attempt > 1 ? 'retried ' : ''}→ ${status}${note}`);
  }

  const traced: typeof fetch = async (input, init) => {
    const response = await globalThis.fetch(input, init);
    const url = new URL(input instanceof Request ? input.url : input);
    await describeExchange((init?.method ?? 'GET').toUpperCase(), url.pathname, response);
    return response;
  };

  return {
    get phase() {
      return phase;
    },
    begin: ({ quiet = false, on401 }) => {
      phase = fresh(quiet, on401);
    },
    elapsed,
    log,
    fetch: traced,
  };
}

async function oauthError(response: Response): Promise<string> {
  try {
    const body = (await response.clone().json()) as { error?: unknown };
    return typeof body.error === 'string' ? body.error : 'error';
  } catch {
    return 'error';
  }
}

function verify(results: Omit<DemoResult, 'failures'>): string[] {
  const failures: string[] = [];
  const expect = (condition: boolean, message: string) => {
    if (!condition) failures.push(message);
  };
  for (const row of [results.oursSix, results.oursBurst]) {
    expect(row.tokenCalls === 1, `${row.scenario}: ${row.tokenCalls} token-endpoint calls, expected 1`);
    expect(row.ok === row.requests, `${row.scenario}: ${row.failed} of ${row.requests} requests failed, expected none`);
    expect(row.sessionWorksAfter, `${row.scenario}: the follow-up request failed or refreshed again`);
  }
  const { revoked } = results;
  expect(revoked.tokenCalls === 1, `revoked: ${revoked.tokenCalls} token-endpoint calls, expected 1`);
  expect(
    revoked.revokedErrors === revoked.requests,
    `revoked: ${revoked.revokedErrors} of ${revoked.requests} requests failed with TokenRevokedError, expected all`,
  );
  expect(revoked.sessionRevokedEvents === 1, `revoked: ${revoked.sessionRevokedEvents} session-revoked events, expected 1`);
  expect(
    revoked.apiRequestsAfterRevocation === 0,
    `revoked: ${revoked.apiRequestsAfterRevocation} API requests after the revocation, expected 0`,
  );
  return failures;
}

function summary({ write, paint }: Demo, rows: readonly ScenarioResult[], failures: readonly string[]): void {
  const header = ['scenario', 'client', 'token calls', 'ok', 'failed', 'session afterwards'];
  const body = rows.map((row) => [
    row.scenario,
    row.client,
    count(row.tokenCalls),
    count(row.ok),
    count(row.failed),
    afterwards(row),
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...body.map((cells) => (cells[i] ?? '').length)));
  const numeric = new Set([2, 3, 4]);
  const format = (cells: readonly string[]) =>
    cells.map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  write('');
  write(paint.bold('Summary'));
  write(`  ${format(header)}`);
  write(`  ${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const cells of body) write(`  ${format(cells)}`);
  write('');
  if (failures.length === 0) {
    write(paint.green('rx-token-http kept its promises: one refresh per expiry, every request ok, revocation terminal.'));
  } else {
    write(paint.red('rx-token-http misbehaved:'));
    for (const failure of failures) write(paint.red(`  - ${failure}`));
  }
}

function afterwards(row: ScenarioResult): string {
  if (row.sessionWorksAfter) return 'works';
  if (row.client === 'naive fetch') return 'dead: user signed out';
  return 'revoked: sign in again';
}

function palette(enabled: boolean): Palette {
  const code = (open: number, close: number): Paint => (enabled ? (text) => `\x1b[${open}m${text}\x1b[${close}m` : (text) => text);
  return { dim: code(2, 22), bold: code(1, 22), red: code(31, 39), green: code(32, 39), yellow: code(33, 39), cyan: code(36, 39) };
}

function pad(path: string): string {
  return path.padEnd(14);
}

function plural(n: number, noun: string): string {
  return `${count(n)} ${noun}${n === 1 ? '' : 's'}`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runDemo().then(
    (result) => process.exit(result.failures.length === 0 ? 0 : 1),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
