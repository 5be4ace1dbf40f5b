/**
 * `npm run bench`: rx-token-http next to plain fetch, the one-shared-promise pattern, axios with
 * axios-auth-refresh, and ky with an afterResponse hook (GitHub issue 3).
 *
 *   npm run bench                         all scenarios, then rewrites docs/benchmarks.md
 *   npm run bench -- --quick              a smoke run (< 60 s), prints only
 *   npm run bench -- --only=stampede,bundle
 *   options: --lib=source (measure lib/ through tsx instead of compiled), --profile=always|never,
 *            --write-docs / --no-docs (override when docs/benchmarks.md is written),
 *            --rounds=N (throughput rounds, default 15: more rounds, a tighter median on a noisy machine)
 *
 * Exits non-zero when our client misses a stampede correctness target: that is a bug, not noise.
 * Network only to 127.0.0.1; every loop is bounded; the process ends by itself.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { runBundle } from './bundle-size.js';
import { libMode, loadLib } from './lib-under-test.js';
import { runMemory } from './memory.js';
import { runOverhead } from './overhead.js';
import { environment, printSection, printTargets, renderMarkdown, type Section } from './report.js';
import { runStampede } from './stampede.js';
import { runThroughput } from './throughput.js';

const SCENARIOS = ['bundle', 'stampede', 'throughput', 'overhead', 'dpop', 'memory', 'tabs', 'fleet'] as const;
/** The tabs scenario needs a browser; without one it is skipped, not failed. */
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
type Scenario = (typeof SCENARIOS)[number];
const WATCHDOG_MS = 12 * 60_000;
/** What one throughput round adds to a run: five clients for 2 s each, and slack. */
const ROUND_MS = 12_000;

interface Options {
  readonly quick: boolean;
  readonly only: ReadonlySet<Scenario>;
  readonly lib: 'built' | 'source';
  readonly profile: 'auto' | 'always' | 'never';
  readonly writeDocs: boolean;
  /** Throughput rounds (each runs every client for 2 s). */
  readonly rounds: number;
}

function parseArgs(argv: readonly string[]): Options {
  let quick = false;
  let only: Set<Scenario> | undefined;
  let lib: 'built' | 'source' = 'built';
  let profile: 'auto' | 'always' | 'never' | undefined;
  let writeDocs: boolean | undefined;
  let rounds: number | undefined;
  for (const arg of argv) {
    const [key, value = ''] = arg.split('=', 2) as [string, string?];
    if (key === '--quick') quick = true;
    else if (key === '--only') {
      only = new Set();
      for (const name of value.split(',').filter(Boolean)) {
        const scenario = name === 'bundle-size' ? 'bundle' : name;
        if (!(SCENARIOS as readonly string[]).includes(scenario)) throw new Error(`--only: unknown scenario ${JSON.stringify(name)}; use ${SCENARIOS.join(', ')}`);
        only.add(scenario as Scenario);
      }
    } else if (key === '--lib' && (value === 'built' || value === 'source')) lib = value;
    else if (key === '--profile' && (value === 'auto' || value === 'always' || value === 'never')) profile = value;
    else if (key === '--write-docs') writeDocs = true;
    else if (key === '--no-docs') writeDocs = false;
    else if (key === '--rounds' && /^\d+$/.test(value) && Number(value) >= 2 && Number(value) <= 200) rounds = Number(value);
    else if (key === '--help' || key === '-h') {
      console.log('usage: npm run bench -- [--quick] [--only=bundle,stampede,throughput,overhead,dpop,memory,tabs,fleet] [--lib=built|source] [--profile=auto|always|never] [--write-docs|--no-docs] [--rounds=2..200]');
      process.exit(0);
    } else throw new Error(`unknown option ${arg} (try --help)`);
  }
  const all = only === undefined;
  return {
    quick,
    only: only ?? new Set(SCENARIOS),
    lib,
    // A quick run has no time for profiles unless asked.
    profile: profile ?? (quick ? 'never' : 'auto'),
    writeDocs: writeDocs ?? (!quick && all),
    rounds: rounds ?? (quick ? 2 : 15),
  };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const limit = WATCHDOG_MS + Math.max(0, options.rounds - 15) * ROUND_MS;
  const watchdog = setTimeout(() => {
    console.error(`bench: still running after ${Math.round(limit / 60_000)} min; giving up`);
    process.exit(2);
  }, limit);
  watchdog.unref();

  const started = performance.now();
  const env = environment();
  await loadLib(options.lib);
  const log = (line: string) => console.log(line);
  console.log(`rx-token-http benchmarks (${options.quick ? 'quick' : 'full'}; library ${libMode()}; ${[...options.only].join(', ')})`);
  console.log(`${env.cpus}, ${env.memory}, Node ${env.node}, load ${env.loadStart}`);

  const sections: Section[] = [];
  const run = async (scenario: Scenario, title: string, body: () => Promise<Section>) => {
    if (!options.only.has(scenario)) return;
    console.log(`\n${title}…`);
    const t = performance.now();
    const section = await body();
    sections.push(section);
    printSection(section);
    console.log(`(${((performance.now() - t) / 1000).toFixed(1)} s)`);
  };

  let throughputMissed = false;
  await run('bundle', 'Bundle size', async () => (await runBundle({ log })).section);
  // The CPU-sensitive scenarios (throughput, overhead) run before the stampede, whose bursts of
  // up to 10,000 concurrent requests leave this process with a grown heap and many closed sockets.
  await run('throughput', 'Throughput', async () => {
    const result = await runThroughput({ quick: options.quick, rounds: options.rounds, profile: options.profile, log });
    throughputMissed = result.section.targets.some((t) => !t.met);
    return result.section;
  });
  await run('overhead', 'Pipeline overhead', async () => {
    // A throughput miss is explained by a profile of the overhead loop.
    const profile = options.profile === 'auto' && throughputMissed ? 'always' : options.profile;
    return (await runOverhead({ quick: options.quick, profile, log })).section;
  });
  // CPU-sensitive too: a proof per request against Bearer, over the loopback socket (issue 23).
  await run('dpop', 'DPoP against Bearer', async () => {
    const { runDpop } = await import('./dpop.js');
    return (await runDpop({ quick: options.quick, log })).section;
  });
  await run('stampede', 'Stampede', async () => (await runStampede({ quick: options.quick, log })).section);
  await run('memory', 'Memory', async () => (await runMemory({ quick: options.quick, log })).section);
  if (options.only.has('tabs') && !existsSync(CHROMIUM)) console.log(`\nTabs: skipped (no ${CHROMIUM})`);
  else {
    await run('tabs', 'Tabs (headless Chromium)', async () => {
      // Imported only here: it loads the browser helpers, which the other scenarios do not need.
      const { runTabs } = await import('./tabs.js');
      return (await runTabs({ quick: options.quick, log: (line) => log(`  ${line}`) })).section;
    });
  }
  // The fleet scenario needs redis-server (scripts/ci/setup-redis.sh); without it it is skipped.
  const { findRedisServer } = await import('../scripts/fleet/redis-server.js');
  if (options.only.has('fleet') && !findRedisServer()) console.log('\nFleet: skipped (no redis-server on PATH)');
  else {
    await run('fleet', 'Fleet (8 processes through Redis)', async () => {
      const { runFleetBench } = await import('./fleet.js');
      return (await runFleetBench({ quick: options.quick, log: (line) => log(`  ${line}`) })).section;
    });
  }

  printTargets(sections);
  const seconds = (performance.now() - started) / 1000;
  console.log(`\nDone in ${seconds.toFixed(0)} s.`);

  if (options.writeDocs) {
    const file = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
    const command = `npm run bench${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
    // bench/analysis.md: the hand-written reading of a run (what changed, where the time goes), kept beside the generated tables.
    const analysisFile = fileURLToPath(new URL('./analysis.md', import.meta.url));
    const analysis = existsSync(analysisFile) ? readFileSync(analysisFile, 'utf8') : undefined;
    writeFileSync(file, renderMarkdown(env, sections, { seconds, loadEnd: os.loadavg().map((l) => l.toFixed(2)).join(' / '), command, libMode: libMode(), ...(analysis ? { analysis } : {}) }));
    console.log(`Wrote ${file}`);
  }

  const broken = sections.flatMap((s) => s.targets).filter((t) => t.blocking && !t.met);
  if (broken.length) {
    console.error(`\nrx-token-http missed ${broken.length} correctness target(s):\n${broken.map((t) => `  ${t.name}: ${t.detail}`).join('\n')}`);
    process.exitCode = 1;
  }
}

await main();
