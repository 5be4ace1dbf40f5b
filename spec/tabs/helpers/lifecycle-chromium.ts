import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { chromiumPath } from './chromium.js';
import type { PageHarness } from './page-harness.js';

// Chromium driven through the DevTools protocol alone, for the Page Lifecycle (freeze, resume,
// hidden, visible). A browser Playwright launched or attached to keeps its pages visible and
// running (its focus emulation): `Page.setWebLifecycleState` frozen changes nothing there, even with
// `Emulation.setFocusEmulationEnabled` false (tried on 156: timers kept firing, no `freeze` event).
// Here, with no Playwright, freezing stops the page's timers and fires `freeze`, then `resume`.

/** One tab: the page harness's methods, and the lifecycle. */
export interface LifecycleTab {
  call<K extends keyof PageHarness>(method: K, ...args: PageHarness[K] extends (...a: infer A) => unknown ? A : never): Promise<PageHarness[K] extends (...a: never[]) => infer R ? Awaited<R> : never>;
  evaluate<T>(expression: string): Promise<T>;
  /** `Page.setWebLifecycleState`: frozen (no timers, no tasks; the page turns hidden) or active. */
  lifecycle(state: 'frozen' | 'active'): Promise<void>;
  /** Brings the tab to the front of its window: visible. */
  show(): Promise<void>;
  /** Network emulation: offline (requests fail, `navigator.onLine` false) or back online. */
  offline(on: boolean): Promise<void>;
}

export interface LifecycleBrowser {
  /** A new tab of the default context on `url`, once the page harness has loaded. */
  open(url: string): Promise<LifecycleTab>;
  close(): Promise<void>;
}

type Pending = { resolve: (value: Record<string, unknown>) => void; reject: (error: Error) => void };

/** Launches headless Chromium with a debugging port and speaks CDP to it over one WebSocket. */
export async function launchLifecycleChromium(): Promise<LifecycleBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'rx-token-http-lifecycle-'));
  const child = spawn(chromiumPath, ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const endpoint = await devtoolsUrl(child);
  const ws = new WebSocket(endpoint);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let next = 0;
  const pending = new Map<number, Pending>();
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as { id?: number; result?: Record<string, unknown>; error?: { message: string } };
    const waiter = message.id === undefined ? undefined : pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id!);
    if (message.error) waiter.reject(new Error(message.error.message));
    else waiter.resolve(message.result ?? {});
  });
  const send = (method: string, params: object = {}, sessionId?: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = ++next;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  return {
    async open(url) {
      const { targetId } = (await send('Target.createTarget', { url: 'about:blank', newWindow: false })) as { targetId: string };
      const { sessionId } = (await send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
      const evaluate = async <T>(expression: string): Promise<T> => {
        const { result, exceptionDetails } = (await send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }, sessionId)) as { result: { value: T }; exceptionDetails?: { text: string } };
        if (exceptionDetails) throw new Error(`in the page: ${exceptionDetails.text}`);
        return result.value;
      };
      await send('Page.navigate', { url }, sessionId);
      for (let i = 0; (await evaluate<string>('typeof tabs')) !== 'object'; i++) {
        if (i > 200) throw new Error('the page harness did not load');
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return {
        evaluate,
        call: (method, ...args) => evaluate(`tabs[${JSON.stringify(method)}](...${JSON.stringify(args)})`),
        lifecycle: async (state) => void (await send('Page.setWebLifecycleState', { state }, sessionId)),
        show: async () => void (await send('Target.activateTarget', { targetId })),
        offline: async (on) => void (await send('Network.enable', {}, sessionId), await send('Network.emulateNetworkConditions', { offline: on, latency: 0, downloadThroughput: -1, uploadThroughput: -1 }, sessionId)),
      };
    },
    async close() {
      const exited = new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(undefined)));
      await send('Browser.close').catch(() => undefined);
      ws.close();
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      child.kill();
      rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    },
  };
}

function devtoolsUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      text += String(chunk);
      const found = /DevTools listening on (ws:\/\/\S+)/.exec(text);
      if (found) resolve(found[1]!);
    });
    child.once('exit', (code) => reject(new Error(`Chromium exited (${code}) before it listened: ${text.slice(0, 500)}`)));
  });
}
