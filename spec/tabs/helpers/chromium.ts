import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { PageHarness } from './page-harness.js';

/** Debian's Chromium (scripts/ci/setup-chromium.sh installs it), or the one CHROMIUM_PATH names. */
export const chromiumPath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/**
 * True when the browser specs cannot run here and may skip: only outside CI. In CI (CI=true) a
 * missing Chromium is a failure, not a skip: the specs run and fail at launch with how to fix it.
 */
export const skipBrowserSpecs = !existsSync(chromiumPath) && process.env['CI'] !== 'true';
if (skipBrowserSpecs) {
  console.warn(`spec/tabs: skipped, no Chromium at ${chromiumPath}. Install it with: sudo bash scripts/ci/setup-chromium.sh (apt-get install -y chromium), or set CHROMIUM_PATH.`);
}

/** For `expect.poll`: tabs on a loaded machine may take more than the default second to agree. */
export const POLL = { timeout: 10_000, interval: 20 } as const;

/** One headless Chromium per spec file; pages and contexts are cheap, browsers are not. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`No Chromium at ${chromiumPath}: run scripts/ci/setup-chromium.sh (apt-get install -y chromium) before the browser specs`);
  }
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

type Method = { [K in keyof PageHarness]: PageHarness[K] extends (...args: never[]) => unknown ? K : never }[keyof PageHarness];

/** Calls the page harness (`window.tabs`, see page-harness.ts) in `page` and returns what it answered. */
export function call<K extends Method>(page: Page, method: K, ...args: Parameters<PageHarness[K]>): Promise<Awaited<ReturnType<PageHarness[K]>>> {
  return page.evaluate(
    ([name, values]) => {
      const tabs = (globalThis as unknown as { tabs: Record<string, (...a: unknown[]) => unknown> }).tabs;
      return tabs[name]!(...values);
    },
    [method as string, args as unknown[]] as const,
  ) as Promise<Awaited<ReturnType<PageHarness[K]>>>;
}
