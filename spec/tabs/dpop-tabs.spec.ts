import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLIENTS, introspect as introspectToken, provider, useOidcProvider } from '../oidc/oidc-provider-fixtures.js';
import { launchChromium, POLL, skipBrowserSpecs } from './helpers/chromium.js';
import type { KeyReport, Outcome } from './helpers/dpop-page-harness.js';
import { dpopCall, startDpopPageServer, startDpopResourceServer, type DpopResourceServer } from './helpers/dpop-servers.js';

/*
 * Issue 23 in real Chromium: five tabs of one origin sharing one DPoP session (`shareAcrossTabs`,
 * `dpopBinding({ key: createDpopKeyStore().load() })` for the refresh grant and the requests),
 * against oidc-provider on another origin (DPoP and nonces required, rotation on, 6 s access
 * tokens) and a resource server on a third that verifies every proof with jose. The tokens come
 * from the provider's code flow, the code exchange's proof signed in the page with the stored key.
 */
const TAB_COUNT = 5;
const PER_TAB = 10;

describe.skipIf(skipBrowserSpecs)('five Chromium tabs sharing one DPoP session, against oidc-provider', { timeout: 60_000 }, () => {
  useOidcProvider({ dpopNonces: true, accessTokenTtl: 6 });
  let browser: Browser;
  let app: Awaited<ReturnType<typeof startDpopPageServer>>;
  let rs: DpopResourceServer;
  let context: BrowserContext | undefined;
  let shares = 0;

  beforeAll(async () => {
    [browser, app] = await Promise.all([launchChromium(), startDpopPageServer()]);
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });
  afterEach(async () => {
    await context?.close();
    context = undefined;
    await rs?.close();
  });

  const introspect = (token: string) => introspectToken(provider, token);

  /**
   * Five tabs: tab 0 loads the key from its key store, the user signs in through the code flow
   * with tab 0's proof, tab 0 starts with the tokens and the other four from the shared state.
   */
  async function fiveTabs(keyIdOf: (tab: number) => string = () => 'default'): Promise<{ pages: Page[]; key: KeyReport }> {
    rs = await startDpopResourceServer(() => app.url, introspect);
    context = await browser.newContext();
    const shareName = `dpop-${++shares}`;
    const pages = await Promise.all(
      Array.from({ length: TAB_COUNT }, async () => {
        const page = await context!.newPage();
        await page.goto(app.url);
        return page;
      }),
    );
    const key = await dpopCall(pages[0]!, 'key', keyIdOf(0));
    const tokens = await provider.signIn({ dpop: (url, nonce) => dpopCall(pages[0]!, 'prove', keyIdOf(0), url, nonce) });
    expect(tokens.tokenType).toBe('DPoP');
    const start = { tokenUrl: provider.tokenUrl, clientId: CLIENTS.public.clientId, apiUrl: rs.url, shareName };
    const signedIn = { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiresAt: Date.now() + tokens.expiresIn * 1000, tokenType: 'DPoP' as const };
    await dpopCall(pages[0]!, 'start', { ...start, keyId: keyIdOf(0), tokens: signedIn });
    await Promise.all(pages.slice(1).map((page, i) => dpopCall(page, 'start', { ...start, keyId: keyIdOf(i + 1) })));
    await expect.poll(() => refreshTokens(pages), POLL).toEqual(pages.map(() => tokens.refreshToken));
    return { pages, key };
  }

  const refreshTokens = (pages: Page[]) => Promise.all(pages.map(async (page) => (await dpopCall(page, 'state')).refreshToken));
  const refreshCalls = () => provider.calls({ grantType: 'refresh_token' });
  /** The refresh grant calls since `from`, the provider's nonce challenges left out (they spend nothing). */
  const grantsSince = (from: number) => refreshCalls().slice(from).filter((call) => call.error !== 'use_dpop_nonce');
  const challengesSince = (from: number) => refreshCalls().slice(from).filter((call) => call.error === 'use_dpop_nonce');
  const failures = (outcomes: Outcome[][]) => outcomes.flat().filter((outcome) => !outcome.ok);
  /** Waits until the shared access token has expired (bounded: a 6 s token). */
  async function pastExpiry(page: Page): Promise<void> {
    const { expiresAt } = await dpopCall(page, 'state');
    const wait = (expiresAt ?? 0) - Date.now() + 100;
    expect(wait).toBeLessThan(7_000);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
  }
  /** Every tab fires PER_TAB requests at once; all must succeed, each answered 200 by the resource server. */
  async function burstEverywhere(pages: Page[], path: string): Promise<void> {
    const ok = rs.counts.ok;
    const outcomes = await Promise.all(pages.map((page) => dpopCall(page, 'burst', PER_TAB, path)));
    expect(failures(outcomes)).toEqual([]);
    expect(rs.counts.ok - ok).toBe(pages.length * PER_TAB);
  }

  it('make one refresh grant per expiry, every proof and token bound to one non-extractable key', async () => {
    const { pages, key } = await fiveTabs();
    const first = refreshCalls().length;

    // Fresh tokens: no grant; every tab meets the resource server's nonce challenge once at most per request.
    await burstEverywhere(pages, '/orders');
    expect(grantsSince(first)).toEqual([]);

    // Two expiries: each burst of 50 across the five tabs makes one refresh grant, with a proof.
    for (const expiry of [1, 2]) {
      await pastExpiry(pages[expiry]!);
      const before = refreshCalls().length;
      await burstEverywhere(pages, '/orders');
      expect(grantsSince(before).map((call) => [call.status, call.error, call.dpop])).toEqual([[200, undefined, true]]);
      expect(challengesSince(before).length).toBeLessThanOrEqual(1);
    }

    // One key: every tab's, every proof's (the token endpoint's and the resource server's), every
    // token's cnf.jkt. Three access tokens used (sign-in, two grants).
    const keys = await Promise.all(pages.map((page) => dpopCall(page, 'key', 'default')));
    expect(keys).toEqual(pages.map(() => key));
    expect(new Set(refreshCalls().slice(first).map((call) => call.dpopJkt))).toEqual(new Set([key.thumbprint]));
    expect(rs.refusals).toEqual([]);
    expect([...rs.proofKeys]).toEqual([key.thumbprint]);
    expect([...rs.tokenKeys]).toEqual([key.thumbprint]);
    expect(rs.accessTokens.size).toBe(3);
    // The private key is a non-extractable CryptoKey: exporting it is refused in every tab.
    expect(key).toMatchObject({ algorithm: 'ES256', isCryptoKey: true, extractable: false, type: 'private', exports: { jwk: 'InvalidAccessError', pkcs8: 'InvalidAccessError' } });

    // The grant lives on: the refresh token rotated each time, the newest one active, no tab revoked.
    const newest = (await dpopCall(pages[0]!, 'state')).refreshToken!;
    await expect.poll(() => refreshTokens(pages), POLL).toEqual(pages.map(() => newest));
    expect(await provider.isActive(newest, 'RefreshToken')).toBe(true);
    expect(refreshCalls().slice(first).every((call) => call.status === 200 || call.error === 'use_dpop_nonce')).toBe(true);
    for (const page of pages) expect(await dpopCall(page, 'state')).toMatchObject({ revoked: false, tokenType: 'DPoP' });
  });

  it('keep the key and the binding of a reloaded tab: it sends requests and makes the next refresh grant with the same key', async () => {
    const { pages, key } = await fiveTabs();
    await burstEverywhere(pages, '/items');
    const reloaded = pages[2]!;
    const first = refreshCalls().length;

    await reloaded.reload();
    expect(await dpopCall(reloaded, 'key', 'default')).toEqual(key);
    await dpopCall(reloaded, 'start', { tokenUrl: provider.tokenUrl, clientId: CLIENTS.public.clientId, apiUrl: rs.url, shareName: `dpop-${shares}`, keyId: 'default' });
    const held = (await dpopCall(pages[0]!, 'state')).refreshToken;
    await expect.poll(async () => (await dpopCall(reloaded, 'state')).refreshToken, POLL).toBe(held);
    await burstEverywhere([reloaded], '/items');

    // After expiry the reloaded tab, first to need a token, makes the grant; the others adopt it.
    await pastExpiry(reloaded);
    const before = refreshCalls().length;
    const seen = (await dpopCall(reloaded, 'eventTypes')).length;
    await burstEverywhere([reloaded], '/after-reload');
    expect(grantsSince(before).map((call) => [call.status, call.dpop])).toEqual([[200, true]]);
    expect((await dpopCall(reloaded, 'eventTypes')).slice(seen)).toContain('refresh-succeeded');
    await burstEverywhere(pages, '/after-reload');
    expect(grantsSince(before)).toHaveLength(1);

    expect(new Set(refreshCalls().slice(first).map((call) => call.dpopJkt))).toEqual(new Set([key.thumbprint]));
    expect(rs.refusals).toEqual([]);
    expect([...rs.proofKeys]).toEqual([key.thumbprint]);
    expect([...rs.tokenKeys]).toEqual([key.thumbprint]);
    const newest = (await dpopCall(reloaded, 'state')).refreshToken!;
    expect(newest).not.toBe(held);
    expect(await provider.isActive(newest, 'RefreshToken')).toBe(true);
    expect(refreshCalls().slice(first).every((call) => call.status === 200 || call.error === 'use_dpop_nonce')).toBe(true);
    for (const page of pages) expect(await dpopCall(page, 'state')).toMatchObject({ revoked: false, refreshToken: newest });
  });
});
