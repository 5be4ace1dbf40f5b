import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, jwtVerify, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { createDpopKeyStore } from '../../lib/dpop/dpop-key-store.js';
import { DpopKeyError } from '../../lib/dpop/dpop-key-error.js';
import { browser, loadKey, openPage, skipBrowserSpecs, useDpopPages } from './dpop-fixtures.js';

describe('createDpopKeyStore', () => {
  it('refuses a bad config with a TypeError naming the field', () => {
    expect(() => createDpopKeyStore({ id: '' })).toThrow(/id must be a non-empty string/);
    expect(() => createDpopKeyStore({ database: 42 as never })).toThrow(/database must be/);
    expect(() => createDpopKeyStore({ algorithm: 'HS256' as never })).toThrow(/algorithm must be a JWS algorithm/);
  });

  it('is unavailable, with a typed error, where there is no IndexedDB (node)', async () => {
    const error = await createDpopKeyStore({ id: 'alice' }).load().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DpopKeyError);
    expect(error).toMatchObject({ name: 'DpopKeyError', reason: 'unavailable' });
    expect((error as Error).message).toContain('"alice"');
  });
});

describe.skipIf(skipBrowserSpecs)('createDpopKeyStore in Chromium (IndexedDB)', { timeout: 60_000 }, () => {
  useDpopPages();

  it('makes a non-extractable ES256 key, and a reload keeps it: the same thumbprint', async () => {
    const context = await browser.newContext();
    try {
      const page = await openPage(context);
      const first = await loadKey(page, 'alice');
      expect(first).toMatchObject({ algorithm: 'ES256', extractable: false, exported: false });
      expect((first as { thumbprint: string }).thumbprint).toMatch(/^[\w-]{43}$/);

      await page.reload();
      const again = await loadKey(page, 'alice', { create: false });
      expect(again).toEqual(first);
    } finally {
      await context.close();
    }
  });

  it('gives two tabs of one origin the same key, also when both ask first at once', async () => {
    const context = await browser.newContext();
    try {
      const [a, b] = await Promise.all([openPage(context), openPage(context)]);
      const both = await Promise.all(Array.from({ length: 4 }, (_, i) => loadKey(i % 2 === 0 ? a : b, 'shared')));
      const thumbprints = new Set(both.map((key) => (key as { thumbprint?: string }).thumbprint));
      expect(thumbprints.size).toBe(1);
      expect([...thumbprints][0]).toMatch(/^[\w-]{43}$/);
      // Another id is another key.
      expect(await loadKey(a, 'other')).not.toMatchObject({ thumbprint: [...thumbprints][0] });
    } finally {
      await context.close();
    }
  });

  it("signs proofs in the page with the stored key that jose verifies, the header's jwk having the key's thumbprint", async () => {
    const context = await browser.newContext();
    try {
      const page = await openPage(context);
      const { thumbprint } = (await loadKey(page, 'dave')) as { thumbprint: string };
      await page.reload();
      const proof = await page.evaluate(async () => {
        const lib = (globalThis as unknown as { dpop: typeof import('../../lib/dpop/index.js') }).dpop;
        const key = await lib.createDpopKeyStore({ id: 'dave' }).load({ create: false });
        return lib.createDpopProof(key, { method: 'GET', url: 'https://api.example.com/orders?x=1', accessToken: 'at-1' });
      });
      const { payload } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'] });
      expect(payload).toMatchObject({ htm: 'GET', htu: 'https://api.example.com/orders' });
      expect(await calculateJwkThumbprint(decodeProtectedHeader(proof).jwk as JWK, 'sha256')).toBe(thumbprint);
    } finally {
      await context.close();
    }
  });

  it('says a database of that name made by other code is unavailable, with a typed error', async () => {
    const context = await browser.newContext();
    try {
      const page = await openPage(context);
      const answer = await page.evaluate(async () => {
        await new Promise<void>((resolve) => {
          const open = indexedDB.open('someone-elses', 1);
          open.onupgradeneeded = () => open.result.createObjectStore('other');
          open.onsuccess = () => (open.result.close(), resolve());
        });
        const lib = (globalThis as unknown as { dpop: typeof import('../../lib/dpop/index.js') }).dpop;
        return lib
          .createDpopKeyStore({ database: 'someone-elses' })
          .load()
          .then(
            () => 'loaded',
            (e: { name: string; reason: string }) => `${e.name} ${e.reason}`,
          );
      });
      expect(answer).toBe('DpopKeyError unavailable');
    } finally {
      await context.close();
    }
  });

  it('says a key is lost when the app expects one and none is stored (another profile, a cleared site)', async () => {
    const context = await browser.newContext();
    try {
      const page = await openPage(context);
      expect(await loadKey(page, 'bob', { create: false })).toMatchObject({ error: 'lost', name: 'DpopKeyError', message: expect.stringContaining('"bob"') });
      const made = await loadKey(page, 'bob');
      await page.evaluate(() => (globalThis as unknown as { dpop: typeof import('../../lib/dpop/index.js') }).dpop.createDpopKeyStore({ id: 'bob' }).forget());
      expect(await loadKey(page, 'bob', { create: false })).toMatchObject({ error: 'lost' });
      // A new key after forget is another key: the old binding is gone with the old key.
      expect(await loadKey(page, 'bob')).not.toMatchObject({ thumbprint: (made as { thumbprint: string }).thumbprint });
    } finally {
      await context.close();
    }
  });

  it('says a stored value that is not a key pair is unreadable, never a new key over it', async () => {
    const context = await browser.newContext();
    try {
      const page = await openPage(context);
      await loadKey(page, 'carol');
      // Overwrite the record with something that is not a key pair (a bug, another library).
      await page.evaluate(
        () =>
          new Promise<void>((resolve, reject) => {
            const open = indexedDB.open('rx-token-http-dpop', 1);
            open.onsuccess = () => {
              const tx = open.result.transaction('keys', 'readwrite');
              tx.objectStore('keys').put({ privateKey: 'not a key', publicKey: 'nor this', algorithm: 'ES256' }, 'carol');
              tx.oncomplete = () => (open.result.close(), resolve());
              tx.onerror = () => reject(tx.error);
            };
          }),
      );
      expect(await loadKey(page, 'carol')).toMatchObject({ error: 'unreadable', name: 'DpopKeyError' });
    } finally {
      await context.close();
    }
  });
});
