import type { ConsumerEvent, FinalRead, MessageId, ProducerEvent } from '../ledger/events.ts';

/** Everything the checker needs: the ledgers as recorded and the final read of the log. */
export interface History {
  runId: string;
  /** every event of every producer ledger, in file order per ledger */
  producers: ProducerEvent[][];
  /** every event of every consumer ledger, in file order per ledger */
  consumers: ConsumerEvent[][];
  finalRead: FinalRead;
}

/** The outcome metrics of DESIGN.md, as counts. */
export interface Metrics {
  attempted: number;
  acked: number;
  failed: number;
  unknown: number;
  /** acked and present 0 times in the final read */
  lost: number;
  /** processed at least once and present 0 times */
  lostAfterConsume: number;
  /** not acked (failed or unknown) and present at least once */
  landedUnacked: number;
  /** sum over ids of (copies in the log - 1) */
  logDuplicates: number;
  /** present at least once and never processed */
  notProcessed: number;
  /** sum over ids of (times processed - 1) */
  processedTwice: number;
  /** acked and never processed */
  endToEndLost: number;
  /** pairs of messages from one producer to one partition whose log order inverts send order */
  reordered: number;
  /** records in the log that no producer ledger knows */
  unexpected: number;
  /** distinct ids present in the log */
  present: number;
  /** distinct ids processed at least once */
  processed: number;
  /** records in the final read */
  logRecords: number;
}

export type MetricName = keyof Metrics;

/** Every metric at zero. */
export function zeroMetrics(): Metrics {
  return {
    attempted: 0,
    acked: 0,
    failed: 0,
    unknown: 0,
    lost: 0,
    lostAfterConsume: 0,
    landedUnacked: 0,
    logDuplicates: 0,
    notProcessed: 0,
    processedTwice: 0,
    endToEndLost: 0,
    reordered: 0,
    unexpected: 0,
    present: 0,
    processed: 0,
    logRecords: 0,
  };
}

/** A broken accounting identity: an error of the harness, never a finding about Kafka. */
export interface IdentityViolation {
  identity: string;
  detail: string;
}

export interface Reconciliation {
  metrics: Metrics;
  /** up to 20 example ids per non-zero metric, for the report */
  examples: Partial<Record<MetricName, string[]>>;
  violations: IdentityViolation[];
  /** acked messages whose acked offset now holds another record or lies beyond the log */
  ackOffsetMismatches: number;
}

export type { MessageId };
