/**
 * `npm run projections:rebuild -- <read model|all> [--local] [--rate N] [--page-size N] [--settle-ms N] [--restart]`:
 * replays the event store into the spare table of a read model, switches the read path to it (a
 * pointer item, no deploy) and catches up. Rate-limited, resumable (run it again after a crash), with
 * a progress bar on stderr. Prints one JSON line per model.
 */
import { parseArgs } from 'node:util';
import { READ_MODELS, type ReadModelName } from '../lambdas/domain/projections/read-model.ts';
import { type RebuildProgress, rebuild } from '../lambdas/operations/rebuild.ts';
import { cloudTarget, localTarget } from './projections-config.ts';

const USAGE = `Usage: npm run projections:rebuild -- <${READ_MODELS.join('|')}|all> [--local] [--rate N] [--page-size N] [--settle-ms N] [--restart]`;
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    local: { type: 'boolean', default: false },
    rate: { type: 'string' },
    'page-size': { type: 'string' },
    'settle-ms': { type: 'string' },
    restart: { type: 'boolean', default: false },
  },
});
const [which] = positionals;
const models = which === 'all' ? [...READ_MODELS] : READ_MODELS.filter((m) => m === which);
if (models.length === 0) {
  console.error(USAGE);
  process.exit(2);
}

function bar(progress: RebuildProgress): void {
  const { phase, done, total, perSecond } = progress;
  const share = total ? Math.min(1, done / total) : 0;
  const width = 30;
  const filled = Math.round(share * width);
  const text = `${phase.padEnd(8)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${total ? `${Math.round(share * 100)}%` : '?'} ${done}${total ? `/~${total}` : ''} ${perSecond}/s`;
  if (process.stderr.isTTY) process.stderr.write(`\r${text}\u001b[K`);
  else process.stderr.write(`${text}\n`);
}

const target = values.local ? localTarget() : cloudTarget();
try {
  for (const model of models as ReadModelName[]) {
    const report = await rebuild({
      dynamodb: target.dynamodb,
      eventsTable: target.eventsTable,
      model,
      tables: target.tables[model],
      pointersTable: target.pointersTable,
      ...(values.rate ? { ratePerSecond: Number(values.rate) } : {}),
      ...(values['page-size'] ? { pageSize: Number(values['page-size']) } : {}),
      ...(values['settle-ms'] ? { settleMs: Number(values['settle-ms']) } : {}),
      restart: values.restart,
      onProgress: bar,
      log: (line) => process.stderr.write(`\n${line}\n`),
    });
    if (process.stderr.isTTY) process.stderr.write('\n');
    console.log(JSON.stringify(report));
  }
} finally {
  target.destroy();
}
