import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { call, chromiumPath, launchChromium } from '../spec/tabs/helpers/chromium.js';
import type { Outcome } from '../spec/tabs/helpers/page-harness.js';
import { startTabServers, type TabServers } from '../spec/tabs/helpers/tab-servers.js';
import { explainTokenCalls } from './demo-words.js';

/** What five tabs did with one expired token, each firing `perTab` requests at once. */
export interface TabsRun {
  readonly tokenCalls: number;
  /** Token calls that got a new token pair. */
  readonly refreshGrants: number;
  /** Token calls that presented a refresh token already rotated out. */
  readonly reuseDetected: number;
  readonly ok: number;
  readonly failed: number;
  /** From the moment the tabs fired to the last response, in ms (wall clock, node side). */
  readonly lastResponseMs: number;
  /** Per tab: 'refreshed', 'adopted', 'revoked' or 'no refresh' (in the order the tabs opened). */
  readonly roles: readonly string[];
}

/**
 * Opens five tabs of one origin in `browser`, signs in with an expired access token, and fires
 * `perTab` requests in every tab at once. `shared: true` spreads `shareAcrossTabs` into each tab's
 * session; `false` gives each tab its own session with the same tokens (what apps do without it).
 */
export async function runFiveTabs(browser: Browser, servers: TabServers, options: { shared: boolean; perTab: number; name: string }): Promise<TabsRun> {
  const context = await browser.newContext();
  try {
    const issued = servers.fake.signIn();
    const tokens = { accessToken: issued.accessToken, refreshToken: issued.refreshToken, expiresAt: Date.now() - 1_000 };
    const share = options.shared ? { name: options.name } : undefined;
    const pages: Page[] = [];
    for (let i = 0; i < 5; i++) {
      const page = await context.newPage();
      await page.goto(servers.appUrl);
      // Sharing tabs start from the shared state; independent ones each need the tokens.
      await call(page, 'start', { authUrl: servers.authUrl, ...(share ? { share } : {}), ...(i === 0 || !share ? { tokens } : {}) });
      pages.push(page);
    }
    if (share) await waitUntil(async () => (await Promise.all(pages.map((page) => call(page, 'state')))).every((state) => state.refreshToken === issued.refreshToken));
    servers.fake.resetStats();
    const started = Date.now();
    const outcomes: Outcome[][] = await Promise.all(pages.map((page) => call(page, 'burst', options.perTab)));
    const lastResponseMs = Date.now() - started;
    const roles = await Promise.all(pages.map(roleOf));
    const all = outcomes.flat();
    return {
      tokenCalls: servers.fake.stats.tokenRequests,
      refreshGrants: servers.fake.stats.refreshGrants,
      reuseDetected: servers.fake.stats.reuseDetected,
      ok: all.filter((outcome) => outcome.ok).length,
      failed: all.filter((outcome) => !outcome.ok).length,
      lastResponseMs,
      roles,
    };
  } finally {
    await context.close();
  }
}

/** What each role means, for the printout. */
const ROLES: Record<string, string> = {
  refreshed: 'refreshed: called the token endpoint and got new tokens',
  adopted: 'adopted: took the new tokens another tab got, without a token call',
  revoked: 'revoked: its session ended, its requests failed with TokenRevokedError',
  'no refresh': 'no refresh',
};

async function roleOf(page: Page): Promise<string> {
  const events = await page.evaluate(() => (globalThis as unknown as { tabs: { events: { type: string; origin?: string; change?: string }[] } }).tabs.events);
  if (events.some((event) => event.type === 'session-revoked')) return 'revoked';
  if (events.some((event) => event.type === 'refresh-succeeded')) return 'refreshed';
  if (events.some((event) => event.type === 'tokens-changed' && event.change === 'refresh' && event.origin === 'remote')) return 'adopted';
  return 'no refresh';
}

async function waitUntil(check: () => Promise<boolean>, limit = 5_000): Promise<void> {
  const end = Date.now() + limit;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('The tabs did not agree on the shared state in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** `npm run demo:tabs`: five headless tabs, with and without sharing, and what each tab did. */
export async function demoTabs(print: (line: string) => void = console.log): Promise<void> {
  const [browser, servers] = await Promise.all([launchChromium(), startTabServers()]);
  try {
    print('Five tabs of one origin, access token expired, each tab fires 20 requests at once.');
    print('The token server, on another origin (CORS), rotates the refresh token on every refresh and, when a');
    print('spent refresh token comes back, takes it for a stolen one and revokes the whole session (reuse detection).');
    print('Each run signs in afresh.\n');
    for (const shared of [false, true]) {
      const run = await runFiveTabs(browser, servers, { shared, perTab: 20, name: 'demo' });
      print(shared ? "With shareAcrossTabs({ name: 'demo' }):" : 'Five independent sessions (no sharing):');
      run.roles.forEach((role, i) => print(`  tab ${i + 1}: ${ROLES[role] ?? role}`));
      print(`  ${run.ok} of ${run.ok + run.failed} requests ok, last response after ${run.lastResponseMs} ms.`);
      print(`  ${run.tokenCalls} token-endpoint call${run.tokenCalls === 1 ? '' : 's'} (reuse detected: ${run.reuseDetected}):`);
      if (shared && run.tokenCalls === 1) print('    - 1 by the tab that took the lock; the other tabs waited and took its new tokens.');
      else for (const line of explainTokenCalls({ tokenRequests: run.tokenCalls, refreshGrants: run.refreshGrants, reuseDetected: run.reuseDetected })) print(`    - ${line}`);
      print('');
    }
  } finally {
    await browser.close();
    await servers.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  demoTabs().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    console.error(`(The demo needs Chromium at ${chromiumPath}: bash scripts/ci/setup-chromium.sh)`);
    process.exitCode = 1;
  });
}
