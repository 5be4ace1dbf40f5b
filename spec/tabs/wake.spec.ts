import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { POLL, skipBrowserSpecs } from './helpers/chromium.js';
import { launchLifecycleChromium, type LifecycleBrowser, type LifecycleTab } from './helpers/lifecycle-chromium.js';
import { startTabServers, type TabServers } from './helpers/tab-servers.js';

// Issue 26 in real Chromium: a tab frozen past its token's life (Page Lifecycle, through the DevTools
// protocol), then resumed, and a hidden tab made visible again. Access tokens live 3 s on the
// server (so an expired one gets a 401 there); `refreshAhead` is on; the page's clock is real.
const LIFE = 3_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(skipBrowserSpecs)('refreshAhead through sleep and wake, in Chromium (issue 26)', { timeout: 60_000 }, () => {
  let chromium: LifecycleBrowser;
  let servers: TabServers;
  let shares = 0;

  beforeAll(async () => {
    [chromium, servers] = await Promise.all([launchLifecycleChromium(), startTabServers({ accessTokenTtl: LIFE })]);
  }, 60_000);
  afterAll(async () => {
    await chromium?.close();
    await servers?.close();
  });
  afterEach(() => servers.fake.resetStats());

  /** `count` tabs sharing one session (when more than one); the first signs in with a fresh token. */
  async function signedInTabs(count: number): Promise<LifecycleTab[]> {
    const share = count > 1 ? { share: { name: `wake-${++shares}` } } : {};
    const issued = servers.fake.signIn();
    const tabs: LifecycleTab[] = [];
    for (let i = 0; i < count; i++) {
      const tab = await chromium.open(servers.appUrl);
      const tokens = i === 0 ? { accessToken: issued.accessToken, refreshToken: issued.refreshToken, expiresAt: Date.now() + LIFE } : null;
      await tab.call('start', { authUrl: servers.authUrl, tokens, refreshAhead: true, ...share });
      await tab.call('startTicking');
      tabs.push(tab);
    }
    if (count > 1) await expect.poll(() => Promise.all(tabs.map((tab) => tab.call('state').then((s) => s.refreshToken))), POLL).toEqual(tabs.map(() => issued.refreshToken));
    servers.fake.resetStats();
    return tabs;
  }

  async function freezeFor(tabs: LifecycleTab[], ms: number): Promise<number[]> {
    const before = await Promise.all(tabs.map((tab) => tab.evaluate<number>('tabs.ticks')));
    await Promise.all(tabs.map((tab) => tab.lifecycle('frozen')));
    await sleep(ms);
    // Frozen: not one token call, whatever the timers had been armed for.
    expect(servers.fake.stats.tokenRequests).toBe(0);
    await Promise.all(tabs.map((tab) => tab.lifecycle('active')));
    return before;
  }

  it('makes one token call on resume from frozen past expiry, before the next burst, which gets no 401', async () => {
    const [tab] = await signedInTabs(1);
    const before = await freezeFor([tab!], LIFE + 1_500);
    const resumedAt = Date.now();
    await expect.poll(() => servers.fake.stats.tokenRequests, POLL).toBe(1);
    const afterResume = Date.now() - resumedAt;
    // The page's timers did not run while frozen: a 100 ms interval ticked far fewer than 45 times.
    expect((await tab!.evaluate<number>('tabs.ticks')) - before[0]!).toBeLessThan(15);
    const outcomes = await tab!.call('burst', 20);
    expect(outcomes.filter((outcome) => !outcome.ok)).toEqual([]);
    expect(servers.fake.stats).toMatchObject({ tokenRequests: 1, refreshGrants: 1, apiRequests: 20, apiUnauthorized: 0, reuseDetected: 0 });
    expect(afterResume).toBeLessThan(2_000);
    await tab!.call('dispose');
  });

  it('makes one token call in all when five tabs sharing the session are frozen past expiry and resumed', async () => {
    const tabs = await signedInTabs(5);
    await freezeFor(tabs, LIFE + 1_500);
    await expect.poll(() => servers.fake.stats.tokenRequests, POLL).toBe(1);
    const outcomes = await Promise.all(tabs.map((tab) => tab.call('burst', 20)));
    expect(outcomes.flat().filter((outcome) => !outcome.ok)).toEqual([]);
    expect(servers.fake.stats).toMatchObject({ tokenRequests: 1, refreshGrants: 1, apiRequests: 100, apiUnauthorized: 0, reuseDetected: 0, revokedFamilies: 0 });
    await Promise.all(tabs.map((tab) => tab.call('dispose')));
  });

  it('sends no expired token from a hidden tab, refreshes once per generation while hidden, and needs none more on becoming visible', async () => {
    const [tab] = await signedInTabs(1);
    // Another tab in front of it: hidden, its timers throttled.
    const front = await chromium.open(servers.appUrl);
    await expect.poll(() => tab!.call('visibility'), POLL).toBe('hidden');
    await sleep(LIFE + 1_500);
    const hidden = await tab!.call('burst', 20);
    expect(hidden.filter((outcome) => !outcome.ok)).toEqual([]);
    await tab!.show();
    await expect.poll(() => tab!.call('visibility'), POLL).toBe('visible');
    const outcomes = await tab!.call('burst', 20);
    expect(outcomes.filter((outcome) => !outcome.ok)).toEqual([]);
    // One token call per generation the tab went through (its 3 s tokens are renewed 750 ms before
    // expiry), never two for one: every call a grant, no refresh token spent twice, no 401.
    const { tokenRequests, refreshGrants } = servers.fake.stats;
    expect(tokenRequests).toBeGreaterThanOrEqual(1);
    expect(refreshGrants).toBe(tokenRequests);
    expect(servers.fake.stats).toMatchObject({ apiRequests: 40, apiUnauthorized: 0, reuseDetected: 0 });
    expect((await tab!.call('state')).generation).toBe(tokenRequests);
    await tab!.call('dispose');
    await front.call('dispose');
  });

  it('without refreshAhead, a hidden tab past expiry still sends no expired token: one refresh first, no 401', async () => {
    const issued = servers.fake.signIn();
    const tab = await chromium.open(servers.appUrl);
    await tab.call('start', { authUrl: servers.authUrl, tokens: { accessToken: issued.accessToken, refreshToken: issued.refreshToken, expiresAt: Date.now() + LIFE } });
    const front = await chromium.open(servers.appUrl);
    await expect.poll(() => tab.call('visibility'), POLL).toBe('hidden');
    servers.fake.resetStats();
    await sleep(LIFE + 500);
    const outcomes = await tab.call('burst', 20);
    expect(outcomes.filter((outcome) => !outcome.ok)).toEqual([]);
    expect(servers.fake.stats).toMatchObject({ tokenRequests: 1, refreshGrants: 1, apiRequests: 20, apiUnauthorized: 0 });
    await tab.call('dispose');
    await front.call('dispose');
  });
});
