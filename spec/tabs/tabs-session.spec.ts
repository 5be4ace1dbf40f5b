import type { BrowserContext, Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { POLL, call, skipBrowserSpecs } from './helpers/chromium.js';
import type { Outcome, StartOptions } from './helpers/page-harness.js';
import { browser, servers, useChromiumTabs } from './tab-fixtures.js';

// createTokenSession + createHttpClient + oauth2RefreshGrant + shareAcrossTabs bundled into a page,
// five Chromium tabs of one origin, against a rotating OAuth2 server with reuse detection on a
// second origin (CORS with preflights).
describe.skipIf(skipBrowserSpecs)('shareAcrossTabs with createTokenSession (five Chromium tabs)', { timeout: 60_000 }, () => {
  useChromiumTabs();
  // A context of its own, not tab-fixtures' one: the tests here open and assign it themselves.
  let context: BrowserContext | undefined;
  let shares = 0;

  afterEach(async () => {
    await context?.close();
    context = undefined;
    servers.tokenDelay = () => 0;
    servers.answerDelay = 0;
    servers.fake.resetStats();
    Object.assign(servers.wire, { preflights: 0, apiAborted: 0, apiStarted: 0, tokenDecided: 0 });
  });

  async function openTab(options: Partial<StartOptions> = {}): Promise<Page> {
    context ??= await browser.newContext();
    const page = await context.newPage();
    await page.goto(servers.appUrl);
    await call(page, 'start', { authUrl: servers.authUrl, share: { name: `app-${shares}` }, ...options });
    return page;
  }

  /** Tab 0 signs in (with `expiresAt` when given); four more tabs start from the shared state. */
  async function fiveTabs(options: { expiresAt?: number; persist?: 'local' } = {}): Promise<Page[]> {
    shares++;
    const issued = servers.fake.signIn();
    const share = { name: `app-${shares}`, ...(options.persist ? { persist: options.persist } : {}) };
    const first = await openTab({ share, tokens: { accessToken: issued.accessToken, refreshToken: issued.refreshToken, expiresAt: options.expiresAt ?? issued.expiresAt } });
    const others = await Promise.all([1, 2, 3, 4].map(() => openTab({ share })));
    const pages = [first, ...others];
    await expect.poll(() => refreshTokens(pages), POLL).toEqual(pages.map(() => issued.refreshToken));
    return pages;
  }

  const refreshTokens = (pages: Page[]) => Promise.all(pages.map(async (page) => (await call(page, 'state')).refreshToken));
  const failures = (outcomes: Outcome[][]) => outcomes.flat().filter((outcome) => !outcome.ok);

  describe('when the token has expired and every tab fires 20 requests at once', () => {
    it('calls the token endpoint once, and 100 of 100 succeed, 20 times in a row', async () => {
      const pages = await fiveTabs();
      for (let round = 0; round < 20; round++) {
        const issued = servers.fake.signIn();
        await call(pages[0]!, 'setTokens', { accessToken: issued.accessToken, refreshToken: issued.refreshToken, expiresAt: Date.now() - 1_000 });
        await expect.poll(() => refreshTokens(pages), POLL).toEqual(pages.map(() => issued.refreshToken));
        servers.fake.resetStats();

        const outcomes = await Promise.all(pages.map((page) => call(page, 'burst', 20)));

        expect(failures(outcomes)).toEqual([]);
        expect(outcomes.flat()).toHaveLength(100);
        expect(servers.fake.stats).toMatchObject({ tokenRequests: 1, refreshGrants: 1, reuseDetected: 0, revokedFamilies: 0 });
      }
      const newest = servers.fake.issuedRefreshTokens.at(-1);
      await expect.poll(() => refreshTokens(pages), POLL).toEqual(pages.map(() => newest));
    }, 90_000);
  });

  describe('when the lock handover is raced (token endpoint 0-5 ms, tabs a few ms apart, busy main threads)', () => {
    it('never refreshes with a spent refresh token in 300 rounds', async () => {
      const pages = await fiveTabs();
      servers.tokenDelay = () => Math.floor(Math.random() * 6);
      servers.fake.resetStats();
      const rounds = 300;
      for (let round = 0; round < rounds; round++) {
        // Server-side expiry: every tab learns of it from a 401 and asks for the refresh lock. One
        // request per tab keeps the five under Chromium's six connections per host: no queueing.
        servers.fake.expireAccessTokens();
        const outcomes = await Promise.all(pages.map((page) => call(page, 'burst', 1, { delay: Math.floor(Math.random() * 4), busy: Math.floor(Math.random() * 6) })));
        expect(failures(outcomes)).toEqual([]);
      }
      expect(servers.fake.stats).toMatchObject({ reuseDetected: 0, revokedFamilies: 0, refreshGrants: rounds, tokenRequests: rounds });
    }, 180_000);
  });

  describe('when a tab opens after a refresh', () => {
    it('uses the current tokens and makes no token call', async () => {
      const pages = await fiveTabs({ expiresAt: Date.now() - 1_000 });
      expect(failures([await call(pages[0]!, 'burst', 3)])).toEqual([]);
      const calls = servers.fake.stats.tokenRequests;
      expect(calls).toBe(1);

      const late = await openTab({ share: { name: `app-${shares}` } });
      expect(failures([await call(late, 'burst', 5)])).toEqual([]);
      expect(servers.fake.stats.tokenRequests).toBe(calls);
      expect((await call(late, 'state')).refreshToken).toBe(servers.fake.issuedRefreshTokens.at(-1));
    });

    it("with persist: 'local', a tab reloaded after every tab closed starts signed in and makes no token call", async () => {
      const pages = await fiveTabs({ expiresAt: Date.now() - 1_000, persist: 'local' });
      expect(failures([await call(pages[0]!, 'burst', 3)])).toEqual([]);
      for (const page of pages.slice(1)) await page.close();
      await pages[0]!.reload();
      await call(pages[0]!, 'start', { authUrl: servers.authUrl, share: { name: `app-${shares}`, persist: 'local' } });
      expect(failures([await call(pages[0]!, 'burst', 5)])).toEqual([]);
      expect(servers.fake.stats.tokenRequests).toBe(1);
    });
  });

  describe('when a tab was blocked while another refreshed twice', () => {
    it('wakes up with the old generation, adopts the shared one, and makes no token call', async () => {
      const pages = await fiveTabs();
      const [refresher, sleeper] = pages as [Page, Page];
      servers.fake.resetStats();
      const blocked = call(sleeper, 'busy', 1_500);
      for (let i = 0; i < 2; i++) {
        servers.fake.expireAccessTokens();
        expect(failures([await call(refresher, 'burst', 1)])).toEqual([]);
      }
      await blocked;
      // Its own copy is two generations old; the server refuses that token. It must adopt, not refresh.
      expect(failures([await call(sleeper, 'burst', 5)])).toEqual([]);
      expect(servers.fake.stats).toMatchObject({ tokenRequests: 2, reuseDetected: 0 });
      expect((await call(sleeper, 'state')).refreshToken).toBe(servers.fake.issuedRefreshTokens.at(-1));
    });
  });

  describe('when one tab signs out, signs in, or sees a revocation', () => {
    const eventsOf = (page: Page) => page.evaluate(() => (globalThis as unknown as { tabs: { events: { type: string; origin?: string; change?: string; at: number }[] } }).tabs.events);

    it('every other tab learns of it, says it came from another tab, and a revoked tab stops touching the network', async () => {
      const pages = await fiveTabs();
      const [cause, ...others] = pages as [Page, ...Page[]];

      await call(cause, 'signOut');
      await expect.poll(() => Promise.all(others.map(async (page) => (await call(page, 'state')).accessToken)), POLL).toEqual(others.map(() => null));
      const issued = servers.fake.signIn();
      await call(cause, 'setTokens', { accessToken: issued.accessToken, refreshToken: issued.refreshToken });
      await expect.poll(() => refreshTokens(others), POLL).toEqual(others.map(() => issued.refreshToken));

      servers.fake.revokeAll();
      expect(failures([await call(cause, 'burst', 1)])).toHaveLength(1);
      await expect.poll(() => Promise.all(pages.map(async (page) => (await call(page, 'state')).revoked)), POLL).toEqual(pages.map(() => true));

      const latency: number[] = [];
      for (const [type, change] of [['tokens-changed', 'sign-out'], ['tokens-changed', 'sign-in'], ['session-revoked', undefined]] as const) {
        // The last one: every tab also saw the sign-in that started the test.
        const local = [...(await eventsOf(cause))].reverse().find((e) => e.type === type && (change === undefined || e.change === change));
        expect(local?.origin).toBe('local');
        for (const page of others) {
          const remote = [...(await eventsOf(page))].reverse().find((e) => e.type === type && (change === undefined || e.change === change));
          expect(remote?.origin).toBe('remote');
          latency.push(remote!.at - local!.at);
        }
      }
      console.info(`tabs: sign-out, sign-in and revocation reached the other tabs in ${Math.min(...latency)}-${Math.max(...latency)} ms`);
      // The issue's bound, on the tabs' one clock: a BroadcastChannel message takes a few ms even on a loaded machine.
      expect(Math.max(...latency)).toBeLessThanOrEqual(200);

      const started = servers.wire.apiStarted;
      const outcomes = await Promise.all(others.map((page) => call(page, 'burst', 3)));
      expect(outcomes.flat().every((outcome) => !outcome.ok && outcome.error?.startsWith('TokenRevokedError'))).toBe(true);
      expect(servers.wire.apiStarted).toBe(started);
    });
  });

  describe('when a tab learns of a revocation while every tab has a slow API request in flight', () => {
    const settledOf = (page: Page) => page.evaluate(() => (globalThis as unknown as { tabs: { settled: string[] } }).tabs.settled);

    it('fails them with TokenRevokedError in every tab, aborts their fetch, and starts no API request afterwards', async () => {
      const pages = await fiveTabs();
      const [cause] = pages as [Page, ...Page[]];
      const started = servers.wire.apiStarted;
      // One slow request per tab: five of Chromium's six connections per host, the sixth is left for the
      // request and the refresh that learn of the revocation. The API holds them 10 s, far longer than
      // the revocation takes to reach every tab, and answers none of them before that. Each tab asks a
      // URL of its own (its delay differs by a millisecond): Chromium's HTTP cache holds back a GET of a
      // URL another tab is already fetching (tried: with one URL only 2 of the 5 reached the server).
      for (const [index, page] of pages.entries()) await call(page, 'startSlow', 1, 10_000 + index);
      await expect.poll(() => servers.wire.apiStarted, POLL).toBe(started + 5);

      // Tab 0 learns of it first hand: a 401, then invalid_grant from its refresh. The others learn
      // of it through the shared store.
      servers.fake.revokeAll();
      const learned = await call(cause, 'burst', 1);
      expect(learned.every((outcome) => !outcome.ok)).toBe(true);
      await expect.poll(() => Promise.all(pages.map(async (page) => (await call(page, 'state')).revoked)), POLL).toEqual(pages.map(() => true));

      // The server saw every slow request's connection closed before it answered: the fetch was aborted.
      await expect.poll(() => servers.wire.apiAborted, POLL).toBe(5);
      const settled = await Promise.all(pages.map(settledOf));
      expect(settled.map((outcomes) => outcomes.map((outcome) => outcome.split(' ')[0]))).toEqual(pages.map(() => ['TokenRevokedError']));
      // Five slow requests and tab 0's one request: the revocation started nothing, not even a retry.
      expect(servers.wire.apiStarted).toBe(started + 6);
      expect(servers.fake.stats.tokenRequests).toBe(1);

      const outcomes = await Promise.all(pages.map((page) => call(page, 'burst', 3)));
      expect(outcomes.flat().every((outcome) => !outcome.ok && outcome.error?.startsWith('TokenRevokedError'))).toBe(true);
      expect(servers.wire.apiStarted).toBe(started + 6);
      expect(servers.fake.stats.tokenRequests).toBe(1);
    });
  });

  describe("when one tab signs in while another tab's refresh is on the wire", () => {
    it('the sign-in wins in every tab: the late refresh result is refused by its generation', async () => {
      const pages = await fiveTabs();
      const [refresher, signer] = pages as [Page, Page];
      servers.answerDelay = 500;
      const refreshed = call(refresher, 'refresh');
      await expect.poll(() => servers.wire.tokenDecided, POLL).toBe(1);
      const fresh = servers.fake.signIn('someone-else');
      await call(signer, 'setTokens', { accessToken: fresh.accessToken, refreshToken: fresh.refreshToken });
      await refreshed;
      servers.answerDelay = 0;
      await expect.poll(() => refreshTokens(pages), POLL).toEqual(pages.map(() => fresh.refreshToken));
      expect(servers.fake.stats.tokenRequests).toBe(1);
    });
  });

  describe('when the tab holding the lock closes mid-refresh, after the server rotated', () => {
    it('ends every other tab in one defined state, with at most one more token call', async () => {
      const pages = await fiveTabs();
      const [holder, ...others] = pages as [Page, ...Page[]];
      servers.answerDelay = 2_000;
      servers.fake.resetStats();
      void call(holder, 'refresh').catch(() => undefined);
      await expect.poll(() => servers.wire.tokenDecided, POLL).toBe(1);
      await holder.close();
      servers.answerDelay = 0;
      servers.fake.expireAccessTokens();

      const outcomes = await Promise.all(others.map((page) => call(page, 'burst', 3)));

      const states = await Promise.all(others.map((page) => call(page, 'state')));
      // The rotated refresh token died with the tab: the others refresh once with the old one, the
      // server sees reuse, and every tab ends revoked (with a reuse grace period they would go on).
      expect(states.every((state) => state.revoked)).toBe(true);
      expect(outcomes.flat().every((outcome) => !outcome.ok)).toBe(true);
      expect(servers.fake.stats.tokenRequests).toBeLessThanOrEqual(2);
    });
  });

  describe('when one shareAcrossTabs result is given to two sessions of a tab and one of them is disposed', () => {
    it('leaves the other refreshing with one token call and hearing another tab sign out', async () => {
      shares++;
      const name = `app-${shares}`;
      const issued = servers.fake.signIn();
      context ??= await browser.newContext();
      const page = await context.newPage();
      await page.goto(servers.appUrl);
      servers.fake.resetStats();
      const refreshed = await page.evaluate(
        async ({ authUrl, name, tokens }) => {
          type Lib = typeof import('../../lib/index.js') & typeof import('../../lib/tabs/index.js') & typeof import('rxjs');
          const lib = (globalThis as unknown as { rxTokenHttp: Lib }).rxTokenHttp;
          const share = lib.shareAcrossTabs({ name }); // once, as an app config is
          const refresh = lib.oauth2RefreshGrant({ tokenUrl: `${authUrl}/oauth/token` });
          const first = lib.createTokenSession({ tokens, refresh, share, refreshDeadline: 5_000 });
          const second = lib.createTokenSession({ refresh, share, refreshDeadline: 5_000 });
          for (let waited = 0; second.state.tokens?.refreshToken !== tokens.refreshToken; waited += 10) {
            if (waited > 5_000) throw new Error("the second session never learned the first one's sign-in");
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
          first.dispose();
          (globalThis as unknown as { second: typeof second }).second = second;
          return (await lib.lastValueFrom(second.refresh$)).refreshToken;
        },
        { authUrl: servers.authUrl, name, tokens: { accessToken: issued.accessToken, refreshToken: issued.refreshToken } },
      );

      expect(refreshed).toBe(servers.fake.issuedRefreshTokens.at(-1));
      expect(servers.fake.stats).toMatchObject({ tokenRequests: 1, reuseDetected: 0 });
      const other = await openTab({ share: { name } });
      await expect.poll(async () => (await call(other, 'state')).refreshToken, POLL).toBe(refreshed);
      await call(other, 'signOut');
      await expect.poll(() => page.evaluate(() => (globalThis as unknown as { second: { state: { tokens: unknown } } }).second.state.tokens), POLL).toBeNull();
    });
  });

  describe('at rest', () => {
    it('keeps no token in localStorage, sessionStorage, IndexedDB or cookies', async () => {
      const pages = await fiveTabs({ expiresAt: Date.now() - 1_000 });
      expect(failures(await Promise.all(pages.map((page) => call(page, 'burst', 2))))).toEqual([]);
      const tokens = [...servers.fake.issuedRefreshTokens];
      const rest = await call(pages[0]!, 'atRest');
      const cookies = JSON.stringify(await context!.cookies());
      for (const token of tokens) {
        expect(rest).not.toContain(token);
        expect(cookies).not.toContain(token);
      }
      const { accessToken } = await call(pages[0]!, 'state');
      expect(rest).not.toContain(accessToken!);
    });

    it("keeps them in localStorage with persist: 'local' (readable by any script of the origin)", async () => {
      const pages = await fiveTabs({ persist: 'local' });
      const { refreshToken } = await call(pages[0]!, 'state');
      expect(await call(pages[0]!, 'atRest')).toContain(refreshToken!);
    });
  });
});
