// What the DPoP specs in Chromium share: one browser per spec file, and a page server on
// 127.0.0.1 whose page carries lib/dpop/ bundled by esbuild as `window.dpop`.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { launchChromium } from '../tabs/helpers/chromium.js';

export { skipBrowserSpecs } from '../tabs/helpers/chromium.js';

// Live bindings, set by the hooks of `useDpopPages`.
export let browser: Browser;
/** The origin that serves the page (`/`) and the bundle (`/dpop.js`). */
export let pageUrl: string;

/** Launches Chromium and the page server before the describe, and stops both after it. */
export function useDpopPages(): void {
  let server: Server | undefined;
  beforeAll(async () => {
    const bundle = await build({
      entryPoints: [fileURLToPath(new URL('../../lib/dpop/index.ts', import.meta.url))],
      bundle: true,
      format: 'iife',
      globalName: 'dpop',
      platform: 'browser',
      target: 'chrome120',
      write: false,
      logLevel: 'silent',
    });
    const js = bundle.outputFiles[0]!.text;
    const html = '<!doctype html><meta charset="utf-8"><title>rx-token-http dpop</title><script src="/dpop.js"></script>';
    server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/dpop.js') res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' }).end(js);
      else if (path === '/') res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-store' }).end(html);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    pageUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  });
}

/** What `load` answers in a page: the key's public parts, and whether its private key could be exported. */
export interface LoadedKey {
  readonly thumbprint: string;
  readonly algorithm: string;
  readonly extractable: boolean;
  readonly exported: boolean;
}

type DpopGlobal = typeof import('../../lib/dpop/index.js');

/**
 * Loads the key of `id` from the page's key store (`createDpopKeyStore`), and tries to export its
 * private key; a failure comes back as `{ error: reason }`.
 */
export function loadKey(page: Page, id: string, options: { create?: boolean } = {}): Promise<LoadedKey | { error: string; name: string; message: string }> {
  return page.evaluate(
    async ([keyId, create]) => {
      const lib = (globalThis as unknown as { dpop: DpopGlobal }).dpop;
      try {
        const key = await lib.createDpopKeyStore({ id: keyId }).load({ create });
        const exported = await crypto.subtle.exportKey('jwk', key.privateKey).then(
          () => true,
          () => false,
        );
        return { thumbprint: key.thumbprint, algorithm: key.algorithm, extractable: key.privateKey.extractable, exported };
      } catch (error) {
        const e = error as { reason?: string; name: string; message: string };
        return { error: e.reason ?? 'none', name: e.name, message: e.message };
      }
    },
    [id, options.create ?? true] as const,
  );
}

/** A new page of `context` on the page server, ready to call `window.dpop`. */
export async function openPage(context: { newPage(): Promise<Page> }): Promise<Page> {
  const page = await context.newPage();
  await page.goto(pageUrl);
  return page;
}
