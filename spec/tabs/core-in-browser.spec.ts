import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLL, call, launchChromium, skipBrowserSpecs } from './helpers/chromium.js';
import { startTabServers, type TabServers } from './helpers/tab-servers.js';

// The core client in a real browser: cross-origin requests with Authorization (so CORS preflights),
// and unsubscribing aborting the browser's own fetch.
describe.skipIf(skipBrowserSpecs)('createHttpClient in Chromium against a cross-origin API', { timeout: 60_000 }, () => {
  let browser: Browser;
  let servers: TabServers;
  let page: Page;

  beforeAll(async () => {
    [browser, servers] = await Promise.all([launchChromium(), startTabServers()]);
    page = await browser.newPage();
    await page.goto(servers.appUrl);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await servers?.close();
  });

  it('sends a burst of 100 authorized requests through CORS preflights, with one refresh for an expired token', async () => {
    const issued = servers.fake.signIn();
    await call(page, 'start', { authUrl: servers.authUrl, tokens: { accessToken: issued.accessToken, refreshToken: issued.refreshToken, expiresAt: Date.now() - 1_000 } });
    const outcomes = await call(page, 'burst', 100);
    expect(outcomes.filter((outcome) => !outcome.ok)).toEqual([]);
    expect(servers.wire.preflights).toBeGreaterThanOrEqual(1);
    expect(servers.fake.stats).toMatchObject({ tokenRequests: 1, apiRequests: 100, apiUnauthorized: 0, reuseDetected: 0 });
    await call(page, 'dispose');
  });

  it("aborts the browser's fetch when the request is unsubscribed", async () => {
    const issued = servers.fake.signIn();
    await call(page, 'start', { authUrl: servers.authUrl, tokens: { accessToken: issued.accessToken, refreshToken: issued.refreshToken } });
    const started = servers.wire.apiStarted;
    await call(page, 'startSlow', 1, 10_000);
    await expect.poll(() => servers.wire.apiStarted, POLL).toBe(started + 1);
    await call(page, 'stopSlow');
    await expect.poll(() => servers.wire.apiAborted, POLL).toBe(1);
    expect(await page.evaluate(() => (globalThis as unknown as { tabs: { settled: string[] } }).tabs.settled)).toEqual([]);
    await call(page, 'dispose');
  });
});
