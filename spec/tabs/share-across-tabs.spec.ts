// lib/tabs/share-across-tabs.ts in Chromium tabs: the fallback where Web Locks are missing. The store
// and lock themselves are proven in tab-store.spec.ts and tab-lock.spec.ts.
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SessionState } from '../../lib/session/token-set.js';
import { call, launchChromium, skipBrowserSpecs } from './helpers/chromium.js';
import { startTabServers, type TabServers } from './helpers/tab-servers.js';

describe.skipIf(skipBrowserSpecs)('shareAcrossTabs (store and lock, in Chromium)', { timeout: 60_000 }, () => {
  let browser: Browser;
  let servers: TabServers;
  let context: BrowserContext | undefined;

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

  const state = (generation: number, accessToken = `a${generation}`): SessionState => ({
    tokens: { accessToken, refreshToken: `r${generation}` },
    generation,
    revoked: false,
    receivedAt: 1,
    change: 'refresh',
  });

  describe('where Web Locks are missing', () => {
    it('warns once and gives each tab a store and lock of its own', async () => {
      context = await browser.newContext();
      await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined }));
      const warnings: string[] = [];
      const [a, b] = await Promise.all([context.newPage(), context.newPage()]);
      a!.on('console', (message) => message.type() === 'warning' && warnings.push(message.text()));
      await Promise.all([a!.goto(servers.appUrl), b!.goto(servers.appUrl)]);
      await call(a!, 'open', { name: 'fallback' });
      await call(a!, 'open', { name: 'fallback' });
      await call(b!, 'open', { name: 'fallback' });
      expect(await call(a!, 'write', state(1), 0)).toEqual(state(1));
      expect(await call(a!, 'read')).toEqual(state(1));
      expect(await call(b!, 'read')).toBeNull();
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/no Web Locks or BroadcastChannel.*each session refreshes on its own/);
    });
  });
});
