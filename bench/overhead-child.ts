/**
 * The in-memory pipeline's latency in a fresh process, for bench/overhead.ts:
 *   node --import tsx bench/overhead-child.ts '{"lib":"built","quick":false}'
 * Prints `{ medianUs, referenceUs }` as one JSON line. A fresh process, because the type feedback
 * and compiled code the stampede and throughput scenarios leave in the bench process move this
 * figure by more than the target's margin (see the overhead section's note).
 */
import { firstValueFrom, of } from 'rxjs';
import { Bench } from 'tinybench';
import { loadLib } from './lib-under-test.js';
import { OURS_MEMORY, overheadClients } from './overhead.js';

const job = JSON.parse(process.argv[2] ?? '{}') as { readonly lib?: 'built' | 'source'; readonly quick?: boolean };
await loadLib(job.lib ?? 'built');
const ours = overheadClients().find((c) => c.name === OURS_MEMORY)?.peer;
if (!ours) throw new Error(`no client named ${OURS_MEMORY}`);
const bench = new Bench({ time: job.quick ? 150 : 1000, warmupTime: job.quick ? 50 : 250, iterations: 64, throws: true });
const response = { status: 200 };
bench.add('reference', () => firstValueFrom(of(response)));
bench.add(OURS_MEMORY, async () => {
  const outcome = await ours.get('/api/items');
  if (outcome.kind !== 'ok') throw new Error(`${OURS_MEMORY}: ${outcome.kind} ${outcome.detail ?? ''}`);
});
await bench.run();
const [reference, memory] = bench.tasks.map((task) => {
  const r = task.result;
  if (r.state !== 'completed' && r.state !== 'aborted-with-statistics') throw new Error(`${task.name}: ${r.state}`);
  return r.latency.p50 * 1000;
});
ours.close();
process.stdout.write(`${JSON.stringify({ medianUs: memory, referenceUs: reference })}\n`);
