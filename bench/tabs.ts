import { pathToFileURL } from 'node:url';
import { runFiveTabs, type TabsRun } from '../scripts/demo-tabs.js';
import { call, launchChromium } from '../spec/tabs/helpers/chromium.js';
import { raceHandovers } from '../spec/tabs/helpers/handover-race.js';
import { startTabServers } from '../spec/tabs/helpers/tab-servers.js';
import { printSection, type Section, type TargetCheck } from './report.js';
import { fmtRange, fmtSummary, summarize } from './stats.js';

/**
 * Tabs: five headless Chromium tabs of one origin, access token expired, 20 requests per tab at
 * once, against a rotating OAuth2 server with reuse detection on a second origin (CORS). One row
 * with `shareAcrossTabs`, one with five independent sessions holding the same tokens.
 * Not wired into bench/run.ts yet: `npx tsx bench/tabs.ts [--quick]`.
 */
export async function runTabs(options: { quick?: boolean; log?: (line: string) => void } = {}): Promise<{ section: Section }> {
  const repeats = options.quick ? 3 : 10;
  const [browser, servers] = await Promise.all([launchChromium(), startTabServers()]);
  const rows: string[][] = [];
  const targets: TargetCheck[] = [];
  try {
    for (const shared of [true, false]) {
      const runs: TabsRun[] = [];
      for (let i = 0; i < repeats; i++) {
        runs.push(await runFiveTabs(browser, servers, { shared, perTab: 20, name: `bench-${i}` }));
        options.log?.(`tabs ${shared ? 'shared' : 'independent'} run ${i + 1}/${repeats}`);
      }
      const ok = summarize(runs.map((run) => run.ok));
      rows.push([
        shared ? 'shareAcrossTabs (5 tabs × 20)' : '5 independent sessions (5 × 20)',
        fmtRange(summarize(runs.map((run) => run.tokenCalls))),
        fmtRange(summarize(runs.map((run) => run.reuseDetected))),
        `${fmtRange(ok)} / 100`,
        fmtSummary(summarize(runs.map((run) => run.lastResponseMs)), 0, ' ms'),
      ]);
      if (shared) {
        const perfect = runs.every((run) => run.tokenCalls === 1 && run.reuseDetected === 0 && run.ok === 100);
        targets.push({ name: 'tabs: 1 token call, 100/100, no reuse', met: perfect, detail: `${runs.filter((run) => run.tokenCalls === 1 && run.ok === 100).length}/${repeats} runs`, blocking: true });
      }
    }
    // The lock handover race on the store alone: ours beside a store that trusts message order.
    for (const naive of [false, true]) {
      const context = await browser.newContext();
      const pages = await Promise.all([0, 1, 2, 3, 4].map(async () => {
        const page = await context.newPage();
        await page.goto(servers.appUrl);
        await call(page, 'open', { name: 'race', naive });
        return page;
      }));
      await call(pages[0]!, 'write', { tokens: { accessToken: 'a1' }, generation: 1, revoked: false, receivedAt: 1, change: 'sign-in' }, 0);
      const race = await raceHandovers(pages, options.quick ? 20 : 60);
      await context.close();
      rows.push([naive ? 'lock + store trusting BroadcastChannel order' : 'shareAcrossTabs lock handover', '', `${race.staleReads} / ${race.steps} stale reads`, '', '']);
      if (!naive) targets.push({ name: 'tabs: no stale read in the handover race', met: race.staleReads === 0, detail: `${race.staleReads}/${race.steps}`, blocking: true });
      options.log?.(`tabs race ${naive ? 'naive' : 'ours'}: ${race.staleReads}/${race.steps} stale`);
    }
  } finally {
    await browser.close();
    await servers.close();
  }
  return {
    section: {
      id: 'tabs',
      title: 'Tabs: 5 Chromium tabs × 20 requests on an expired token',
      headers: ['client', 'token calls', 'reuse detected', 'ok', 'time to last response'],
      rows,
      notes: [
        `${repeats} runs each, median [min–max] or median ± MAD; headless Chromium, node:http servers on 127.0.0.1.`,
        'Independent sessions each refresh: rotation spends the token the others hold and reuse detection revokes the family.',
        'The time includes the handover of the refresh lock from tab to tab (each adopts the shared state without a token call).',
        'Race rows: 5 busy tabs hand the lock around (read, 0-5 ms "token call", write); a stale read is a refresh with a spent refresh token.',
      ],
      targets,
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { section } = await runTabs({ quick: process.argv.includes('--quick') });
  printSection(section);
}
