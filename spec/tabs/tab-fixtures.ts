// What the tabs' specs share: Chromium and the tab servers for the file's describe, a browser
// context per test, and tabs opened on one shared name.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { SessionState } from '../../lib/session/token-set.js';
import { call, launchChromium } from './helpers/chromium.js';
import { startTabServers, type TabServers } from './helpers/tab-servers.js';

// Live bindings, set by the hooks of `useChromiumTabs` and by `tabs`.
export let browser: Browser;
export let servers: TabServers;
/** The test's browser context, opened by `tabs` and closed after the test. */
export let context: BrowserContext | undefined;
/** The count of shared names `tabs` handed out: its last one is `contract-${name}`. */
export let name = 0;

/** Launches Chromium and starts the tab servers before the describe; closes the test's context after each test. */
export function useChromiumTabs(): void {
  beforeAll(async () => {
    [browser, servers] = await Promise.all([launchChromium(), startTabServers()]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await servers?.close();
  });
  afterEach(async () => {
    await context?.close();
    context = undefined;
  });
}

/** `count` tabs of the test's context, each with the store and lock opened on one new name. */
export async function tabs(count: number, config: Record<string, unknown> = {}): Promise<Page[]> {
  context ??= await browser.newContext();
  const share = { name: `contract-${++name}`, ...config };
  return Promise.all(
    Array.from({ length: count }, async () => {
      const page = await context!.newPage();
      await page.goto(servers.appUrl);
      await call(page, 'open', share as never);
      return page;
    }),
  );
}

export const state = (generation: number, accessToken = `a${generation}`): SessionState => ({
  tokens: { accessToken, refreshToken: `r${generation}` },
  generation,
  revoked: false,
  receivedAt: 1,
  change: 'refresh',
});
