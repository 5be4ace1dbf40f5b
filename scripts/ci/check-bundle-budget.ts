/**
 * CI: fails when the typical import (client + session + refresh grant + errors), minified by
 * esbuild and gzipped without rxjs, grows past its budget (bench/bundle-budget.ts, the one place
 * the number lives). Prints the size, the budget and the five heaviest source files.
 *   npx tsx scripts/ci/check-bundle-budget.ts
 */
import { TYPICAL_IMPORT, TYPICAL_IMPORT_BUDGET_BYTES } from '../../bench/bundle-budget.js';
import { measureBundle } from '../../bench/bundle-size.js';

const row = await measureBundle({ name: 'typical import', entry: { contents: TYPICAL_IMPORT }, external: ['rxjs'] });
const heaviest = row.inputs.slice(0, 5).map((i) => `${i.file} ${i.bytes} B`).join(', ');
console.log(`typical import: ${row.gzipped} B gzipped (${row.minified} B minified), budget ${TYPICAL_IMPORT_BUDGET_BYTES} B; heaviest (minified): ${heaviest}`);
if (row.gzipped > TYPICAL_IMPORT_BUDGET_BYTES) {
  console.error(`bundle budget: the typical import grew to ${row.gzipped} B gzipped, over its budget of ${TYPICAL_IMPORT_BUDGET_BYTES} B (bench/bundle-budget.ts). Cut what it does not need, or raise the budget with a reason.`);
  process.exit(1);
}
