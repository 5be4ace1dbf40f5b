import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { POLL, skipBrowserSpecs } from './helpers/chromium.js';
import { launchLifecycleChromium, type LifecycleBrowser, type LifecycleTab } from './helpers/lifecycle-chromium.js';
import { startTabServers, type TabServers } from './helpers/tab-servers.js';

// Issue 26 in real Chromium: the network emulated offline (DevTools protocol) during a burst after
// expiry. Before it, every request failed within 0.2-4 s and none succeeded once back online.
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(skipBrowserSpecs)('a session offline, then online, in Chromium (issue 26)', { timeout: 60_000 }, () => {
  let chromium: LifecycleBrowser;
  let servers: TabServers;

  beforeAll(async () => {
    [chromium, servers] = await Promise.all([launchLifecycleChromium(), startTabServers()]);
  }, 60_000);
  afterAll(async () => {
    await chromium?.close();
    await servers?.close();
  });
  afterEach(() => servers.fake.resetStats());

  async function expiredTab(requestTimeout?: number): Promise<LifecycleTab> {
    const issued = servers.fake.signIn();
    const tab = await chromium.open(servers.appUrl);
    const tokens = { accessToken: issued.accessToken, refreshToken: issued.refreshToken, expiresAt: Date.now() - 1_000 };
    await tab.call('start', { authUrl: servers.authUrl, tokens, ...(requestTimeout ? { requestTimeout } : {}) });
    servers.fake.resetStats();
    return tab;
  }

  it('offline for 5 s during a burst after expiry: no token call while offline, one after online, every request succeeds', async () => {
    const tab = await expiredTab();
    await tab.offline(true);
    await tab.call('startBurst', 20);
    await sleep(5_000);
    expect(servers.fake.stats.tokenRequests).toBe(0);
    expect(await tab.evaluate('tabs.outcomes')).toBeUndefined(); // none failed meanwhile
    expect(await tab.call('eventTypes')).toEqual(['refresh-started', 'network-waiting']);
    await tab.offline(false);
    await expect.poll(() => tab.evaluate<unknown[] | undefined>('tabs.outcomes'), POLL).toBeDefined();
    const outcomes = await tab.evaluate<{ ok: boolean }[]>('tabs.outcomes');
    expect(outcomes.filter((outcome) => !outcome.ok)).toEqual([]);
    expect(servers.fake.stats).toMatchObject({ tokenRequests: 1, refreshGrants: 1, apiRequests: 20, apiUnauthorized: 0, reuseDetected: 0 });
    expect(await tab.call('eventTypes')).toEqual(['refresh-started', 'network-waiting', 'network-back', 'refresh-succeeded']);
    await tab.call('dispose');
  });

  it('offline longer than the request timeout: the requests fail with the typed timeout, the session keeps its refresh token, and the next burst after online refreshes once', async () => {
    const tab = await expiredTab(2_000);
    const before = await tab.call('state');
    await tab.offline(true);
    const failed = await tab.call('burst', 20);
    expect(failed.every((outcome) => !outcome.ok && outcome.error?.startsWith('RequestTimeoutError'))).toBe(true);
    const kept = await tab.call('state');
    expect(kept).toMatchObject({ revoked: false, refreshToken: before.refreshToken });
    expect(servers.fake.stats.tokenRequests).toBe(0);
    await tab.offline(false);
    const outcomes = await tab.call('burst', 20);
    expect(outcomes.filter((outcome) => !outcome.ok)).toEqual([]);
    expect(servers.fake.stats).toMatchObject({ tokenRequests: 1, refreshGrants: 1, apiUnauthorized: 0, reuseDetected: 0 });
    await tab.call('dispose');
  });

  it('three tabs sharing the session, offline 5 s during their bursts after expiry: one token call in all, after online, and 60 of 60 succeed', async () => {
    const issued = servers.fake.signIn();
    const share = { name: 'offline-shared' };
    const tabs: LifecycleTab[] = [];
    for (let i = 0; i < 3; i++) {
      const tab = await chromium.open(servers.appUrl);
      const tokens = i === 0 ? { accessToken: issued.accessToken, refreshToken: issued.refreshToken, expiresAt: Date.now() - 1_000 } : null;
      await tab.call('start', { authUrl: servers.authUrl, tokens, share });
      tabs.push(tab);
    }
    await expect.poll(() => Promise.all(tabs.map((tab) => tab.call('state').then((s) => s.refreshToken))), POLL).toEqual(tabs.map(() => issued.refreshToken));
    servers.fake.resetStats();
    await Promise.all(tabs.map((tab) => tab.offline(true)));
    await Promise.all(tabs.map((tab) => tab.call('startBurst', 20)));
    await sleep(5_000);
    expect(servers.fake.stats.tokenRequests).toBe(0);
    await Promise.all(tabs.map((tab) => tab.offline(false)));
    for (const tab of tabs) await expect.poll(() => tab.evaluate<unknown[] | undefined>('tabs.outcomes'), POLL).toBeDefined();
    const outcomes = await Promise.all(tabs.map((tab) => tab.evaluate<{ ok: boolean }[]>('tabs.outcomes')));
    expect(outcomes.flat().filter((outcome) => !outcome.ok)).toEqual([]);
    expect(servers.fake.stats).toMatchObject({ tokenRequests: 1, refreshGrants: 1, apiRequests: 60, apiUnauthorized: 0, reuseDetected: 0, revokedFamilies: 0 });
    await Promise.all(tabs.map((tab) => tab.call('dispose')));
  });
});
