// The outcome metrics: one catalogue that the checker fills, the experiment schema
// takes threshold names from, and the reporters render. See the README's "Outcomes".

export interface MetricDef {
  readonly name: string;
  /** column title in tables */
  readonly title: string;
  /** a consumer-side metric: n/a (null) in a profile without consumers */
  readonly consumer: boolean;
  /** derived from the workload's timing (availability): n/a (null) in a history without it */
  readonly availability?: boolean;
  /**
   * n/a (null) unless the profile has what it measures: transformers (`transactions`) or
   * a fire-and-forget producer (`fireAndForget`); filled after the main checker
   */
  readonly only?: 'transactions' | 'fireAndForget' | 'consumers';
  /**
   * shown in the outcome table: always, when some profile has it non-zero, when some
   * profile has it at all (not n/a), or never (result.json only)
   */
  readonly column: 'always' | 'nonzero' | 'applicable' | 'never';
  /** the report lists example ids for it */
  readonly examples: boolean;
  /** one line for the report's legend */
  readonly means: string;
}

export const METRICS = [
  { name: 'attempted', title: 'attempted', column: 'always', consumer: false, examples: false, means: 'handed to the client' },
  { name: 'acked', title: 'acked', column: 'always', consumer: false, examples: false, means: 'the client reported success' },
  { name: 'failed', title: 'failed', column: 'always', consumer: false, examples: false, means: 'a definite failure: the broker refused the only attempt, so it was not appended' },
  { name: 'unknown', title: 'unknown', column: 'always', consumer: false, examples: false, means: 'neither acked nor definitely failed (timeouts, retries, a dead producer)' },
  { name: 'unsent', title: 'unsent', column: 'nonzero', consumer: false, examples: true, means: 'still waiting in the producer agent when producers stopped: never handed to the client' },
  { name: 'lost', title: 'lost', column: 'always', consumer: false, examples: true, means: 'acked, not in the log, and its acked offset is not below the log start' },
  { name: 'belowLogStart', title: 'below log start', column: 'nonzero', consumer: false, examples: true, means: 'acked at an offset below the final log start: removed by retention or DeleteRecords, not lost' },
  { name: 'ackedAtForeignOffset', title: 'acked at foreign offset', column: 'nonzero', consumer: false, examples: true, means: 'lost, and its acked offset holds an earlier record of the same producer: the client acknowledged a write it never appended' },
  { name: 'lostAfterConsume', title: 'lost after consume', column: 'always', consumer: true, examples: true, means: 'processed by a consumer, then gone from the log' },
  { name: 'landedUnacked', title: 'landed unacked', column: 'always', consumer: false, examples: true, means: 'unknown, and in the log anyway' },
  { name: 'failedButLanded', title: 'failed but landed', column: 'nonzero', consumer: false, examples: true, means: 'a definite failure found in the log: an anomaly of the client or broker' },
  { name: 'logDuplicates', title: 'log duplicates', column: 'always', consumer: false, examples: true, means: 'extra copies in the log (sum of copies - 1)' },
  { name: 'notProcessed', title: 'not processed', column: 'always', consumer: true, examples: true, means: 'in the log, never processed' },
  { name: 'processedTwice', title: 'processed twice+', column: 'always', consumer: true, examples: true, means: 'extra processings (sum of times processed - 1)' },
  { name: 'endToEndLost', title: 'end-to-end lost', column: 'always', consumer: true, examples: true, means: 'acked and never processed: what the business sees' },
  { name: 'reordered', title: 'reordered', column: 'always', consumer: false, examples: true, means: 'messages out of send order per producer and partition (messages minus the longest in-order run)' },
  { name: 'unexpected', title: 'unexpected', column: 'always', consumer: false, examples: true, means: 'records in the log that no producer ledger knows' },
  { name: 'refused', title: 'refused', column: 'always', consumer: false, examples: false, availability: true, means: 'writes the brokers refused with a definite error (NOT_ENOUGH_REPLICAS and friends): unavailability, not loss' },
  { name: 'unavailableMs', title: 'unavailable ms', column: 'always', consumer: false, examples: false, availability: true, means: 'total time partitions could not be written: stretches over 1 s with sends waiting and no ack' },
  { name: 'present', title: 'present', column: 'never', consumer: false, examples: false, means: 'distinct ids in the log' },
  { name: 'processed', title: 'processed', column: 'never', consumer: true, examples: false, means: 'distinct ids processed at least once' },
  { name: 'logRecords', title: 'log records', column: 'never', consumer: false, examples: false, means: 'records in the final read' },
  { name: 'reorderedPairs', title: 'reordered pairs', column: 'never', consumer: false, examples: false, means: 'pairs from one producer to one partition whose log order inverts their send order' },
  { name: 'commitsBackwards', title: 'commits backwards', column: 'nonzero', consumer: true, examples: false, means: 'successful commits that moved a partition\'s committed offset below one committed before (a retried commitAsync landing late)' },
  { name: 'unnoticedFailures', title: 'failures unnoticed', column: 'applicable', consumer: false, only: 'fireAndForget', examples: false, means: 'fire-and-forget: sends that failed or stayed unknown, which the application never looked at' },
  { name: 'outputDuplicates', title: 'output duplicates', column: 'applicable', consumer: false, only: 'transactions', examples: true, means: 'transactions: extra copies of an input message in the committed output (read_committed)' },
  { name: 'outputMissing', title: 'output missing', column: 'applicable', consumer: false, only: 'transactions', examples: true, means: 'transactions: input messages a transformer consumed that are not in the committed output' },
  { name: 'abortedRead', title: 'aborted read', column: 'applicable', consumer: false, only: 'transactions', examples: true, means: 'transactions: records of aborted transactions that read_committed returned' },
  { name: 'offsetsPastUnprocessed', title: 'offsets past unprocessed', column: 'applicable', consumer: false, only: 'transactions', examples: true, means: 'transactions: input records below the offset committed with a transaction that are not in the committed output' },
  { name: 'retried', title: 'retried', column: 'never', consumer: false, examples: false, means: 'messages the client sent more than once (in a retried batch)' },
] as const satisfies readonly MetricDef[];

export type MetricName = (typeof METRICS)[number]['name'];
export const METRIC_NAMES = METRICS.map((m) => m.name) as readonly MetricName[] as [MetricName, ...MetricName[]];
type ConsumerMetricName = Extract<(typeof METRICS)[number], { consumer: true }>['name'];
type AvailabilityMetricName = Extract<(typeof METRICS)[number], { availability: true }>['name'];
type OptionalMetricName = Extract<(typeof METRICS)[number], { only: string }>['name'];
export type ExampleMetricName = Extract<(typeof METRICS)[number], { examples: true }>['name'];

/** The counts of one profile. A consumer metric is null (n/a) when the profile has no consumers. */
export type Metrics = { [K in MetricName]: K extends ConsumerMetricName | AvailabilityMetricName | OptionalMetricName ? number | null : number };

export const CONSUMER_METRICS = new Set<MetricName>(METRICS.filter((m) => m.consumer).map((m) => m.name));
export const EXAMPLE_METRICS = METRICS.filter((m) => m.examples).map((m) => m.name) as ExampleMetricName[];

/**
 * Every metric at zero; with `consumers: false` the consumer metrics are null (n/a), and
 * with `availability: false` (a history without the workload's timing) the availability ones.
 */
export function zeroMetrics(opts: { consumers: boolean; availability?: boolean } = { consumers: true }): Metrics {
  const na = (d: MetricDef) => (d.consumer && !opts.consumers) || (d.availability === true && opts.availability === false) || (d.only !== undefined && d.only !== 'consumers');
  const m = Object.fromEntries(METRICS.map((d) => [d.name, na(d) ? null : 0]));
  return m as Metrics;
}
