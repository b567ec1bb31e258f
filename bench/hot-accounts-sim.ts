// Past this machine, by simulation (issue 10, item 5): optimistic appends on DynamoDB with its documented limits
// (1,000 WCU/s per partition, 2 WCU per transactional item ≤ 1 KB), the latency distribution measured on DynamoDB
// Local here (bench/support/ddb-local-latency.json; `--measure` re-measures it), and N shard streams per system
// account. Prints, per tenant and currency, the ceiling of deposits/s and payments/s against N (today N = 1),
// conflicts per commit at that ceiling, and the smallest N that sustains 5,000 payments/s.
// Model: bench/support/hot-accounts-model.ts. Deterministic for a seed (`--seed 42`); `--quick` fewer operations.
// Usage: npm exec -- node bench/hot-accounts-sim.ts [--seed N] [--quick] [--measure]
import { readFileSync } from 'node:fs';
import {
  LATENCY_FILE,
  type MeasuredLatency,
  measureDynamoDbLocal,
  saveLatency,
} from './support/ddb-latency.ts';
import {
  ceiling,
  DEFAULT_PARAMS,
  DEFAULT_SUSTAIN,
  depositShape,
  LatencyDistribution,
  type ModelParams,
  partitionBound,
  paymentShape,
} from './support/hot-accounts-model.ts';
import { emitResult, progress } from './support/output.ts';
import { round } from './support/stats.ts';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const SEED = option('--seed', 42);
const OPERATIONS = flag('--quick') ? 800 : 2_000;
const TARGET_PAYMENTS_PER_SECOND = 5_000;
/** Each probe simulates at least this long (steady state, not a burst the partitions' burst allowance absorbs). */
const MIN_SECONDS = flag('--quick') ? 1 : 1.5;
const MAX_OPERATIONS = flag('--quick') ? 8_000 : 20_000;
/** The search stops here: a ceiling shown as this value means "at least". */
const SEARCH_CAP_PER_SECOND = 12_000;
/** Client accounts (payers, depositors): many, so they never meet. Merchants for the many-merchants curve. */
const ACCOUNTS = 1_000_000;
const MERCHANTS = 1_000;
/**
 * Cloud column: the measured shape scaled to DynamoDB's documented latency ("single-digit milliseconds" for reads
 * and writes in a Region): a strongly consistent Query at 5 ms p50; a TransactWriteItems does two underlying
 * writes per item (prepare and commit), so 2 × 5 ms = 10 ms p50.
 */
const CLOUD_READ_P50_MS = 5;
const CLOUD_WRITE_P50_MS = 10;

if (flag('--measure')) {
  progress('measuring DynamoDB Local (one client): Query and 3-item TransactWriteItems');
  saveLatency(await measureDynamoDbLocal());
  progress(`saved ${LATENCY_FILE}`);
}
const measured = JSON.parse(readFileSync(LATENCY_FILE, 'utf8')) as MeasuredLatency;
const localRead = new LatencyDistribution(measured.readQuantiles);
const localWrite = new LatencyDistribution(measured.writeQuantiles);

const columns: Record<string, ModelParams> = {
  cloud: {
    ...DEFAULT_PARAMS,
    read: localRead.withMedian(CLOUD_READ_P50_MS),
    write: localWrite.withMedian(CLOUD_WRITE_P50_MS),
  },
  'dynamodb-local-latency': { ...DEFAULT_PARAMS, read: localRead, write: localWrite },
};

const wcuPerExistingStream = DEFAULT_PARAMS.wcuPerItem * DEFAULT_PARAMS.itemsPerExistingStream;
const shardCounts = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];
const started = performance.now();
const rows: Record<string, unknown[]> = {};
const smallestN: Record<string, { payments: number | null; paymentsOneMerchant: number | null }> = {};

for (const [column, params] of Object.entries(columns)) {
  rows[column] = [];
  let foundPayments: number | null = null;
  let foundOneMerchant: number | null = null;
  for (const n of shardCounts) {
    // Past 64, only while the answer is still missing.
    if (n > 64 && foundPayments !== null && foundOneMerchant !== null) break;
    // WCU bounds: a deposit writes one settlement shard; a payment writes two clearing legs (the hottest).
    const depositBound = partitionBound(params, wcuPerExistingStream) * n;
    const paymentBound = partitionBound(params, 2 * wcuPerExistingStream) * n;
    const search = {
      lo: 1,
      operations: OPERATIONS,
      minSeconds: MIN_SECONDS,
      maxOperations: MAX_OPERATIONS,
      seed: SEED,
      iterations: 9,
    };
    const hi = (bound: number) => Math.min(bound * 1.2, SEARCH_CAP_PER_SECOND);
    const d = ceiling(depositShape(n, ACCOUNTS), params, { ...search, hi: hi(depositBound) });
    const p = ceiling(paymentShape(n, 0, MERCHANTS, ACCOUNTS), params, { ...search, hi: hi(paymentBound) });
    const m = ceiling(paymentShape(n, n, MERCHANTS, ACCOUNTS), params, { ...search, hi: hi(paymentBound) });
    if (foundPayments === null && p.perSecond >= TARGET_PAYMENTS_PER_SECOND) foundPayments = n;
    if (foundOneMerchant === null && m.perSecond >= TARGET_PAYMENTS_PER_SECOND) foundOneMerchant = n;
    const at = (r: typeof d) =>
      r.run
        ? {
            conflictsPerCommit: round(r.run.conflictsPerCommit, 3),
            throttlesPerCommit: round(r.run.throttles / Math.max(1, r.run.commits), 3),
            p99Ms: round(r.run.latencyP99Ms),
          }
        : null;
    rows[column]?.push({
      n,
      depositsPerSecond: Math.round(d.perSecond),
      paymentsPerSecond: Math.round(p.perSecond),
      paymentsOneMerchantPerSecond: Math.round(m.perSecond),
      wcuBound: { depositsPerSecond: depositBound, paymentsPerSecond: paymentBound },
      atCeiling: { deposits: at(d), payments: at(p), paymentsOneMerchant: at(m) },
    });
    progress(
      `${column} N=${n}: deposits ${Math.round(d.perSecond)}/s, payments ${Math.round(p.perSecond)}/s, one merchant ${Math.round(m.perSecond)}/s`,
    );
  }
  smallestN[column] = { payments: foundPayments, paymentsOneMerchant: foundOneMerchant };
}

emitResult('hot-accounts-sim', {
  bench: 'hot-accounts-sim',
  seed: SEED,
  operationsPerProbe: { min: OPERATIONS, minSeconds: MIN_SECONDS, max: MAX_OPERATIONS },
  searchCapPerSecond: SEARCH_CAP_PER_SECOND,
  targetPaymentsPerSecond: TARGET_PAYMENTS_PER_SECOND,
  smallestN,
  today: { n: 1, cloud: rows.cloud?.[0] },
  rows,
  model: {
    limits: {
      partitionWcuPerSecond: DEFAULT_PARAMS.partitionWcuPerSecond,
      wcuPerTransactionalItem: DEFAULT_PARAMS.wcuPerItem,
      itemsPerExistingStream: `${DEFAULT_PARAMS.itemsPerExistingStream} (ConditionCheck on the previous version + Put, today's adapter)`,
      partitionBurstWcu: DEFAULT_PARAMS.partitionBurstWcu,
    },
    retry: { maxAttempts: DEFAULT_PARAMS.maxAttempts, backoff: 'full jitter, 10 ms doubling, cap 200 ms' },
    decideMs: DEFAULT_PARAMS.decideMs,
    sustained: DEFAULT_SUSTAIN,
    latency: {
      source: `samples measured at ${measured.measuredAt}: ${measured.source} (${measured.samples} each)`,
      local: {
        readP50: localRead.at(50),
        readP99: localRead.at(99),
        writeP50: localWrite.at(50),
        writeP99: localWrite.at(99),
      },
      cloud: {
        readP50: CLOUD_READ_P50_MS,
        writeP50: CLOUD_WRITE_P50_MS,
        scaling:
          'the measured shape, scaled to DynamoDB single-digit-ms reads/writes; a transaction = 2 writes',
      },
    },
    shapes: {
      deposit: 'transfer (new) + customer + settlement shard',
      payment:
        'reserve: payment + transfer (new) + payer + clearing shard; settle: payment + clearing shard + merchant + fees shard + 2 transfers (new)',
      paymentsOneMerchant:
        'the same, all to one merchant whose credits go to N credit shards (issue 10 item 2)',
    },
  },
});
// Not in the JSON line, which depends on the seed only.
progress(`simulated in ${Math.round(performance.now() - started)} ms`);
