import type { ConsumerColumns, FinalReadColumns, ProducerColumns } from '../ledger/columns.ts';
import type { ConsumerEvent, FinalRead, MessageId, ProducerEvent } from '../ledger/events.ts';
import type { Availability } from './availability.ts';
import type { ExampleMetricName, Metrics } from './metrics.ts';

export { zeroMetrics, type MetricName, type Metrics } from './metrics.ts';

/** Everything the checker needs: the ledgers as recorded and the final read of the log. */
export interface History {
  runId: string;
  /** every event of every producer ledger, in file order per ledger */
  producers: ProducerEvent[][];
  /** every event of every consumer ledger, in file order per ledger; none at all means the profile had no consumers */
  consumers: ConsumerEvent[][];
  finalRead: FinalRead;
  /** the workload's timing and the faults as applied: with it, the checker also derives availability */
  workload?: {
    /** wall clock ms when the workload started and when producers were told to stop */
    start: number;
    end: number;
    partitions: number;
    faults: AppliedFault[];
  };
}

/** The faults as applied, for availability. */
export type AppliedFault = { index: number; action: string; resolved: string; appliedAtMs: number | null; healedAtMs: number | null };

/**
 * The same history as columns (ledger/columns.ts): what the checker reads from disk. A
 * ledger may come in several parts (ranges of its file, in order); parts and ledgers are
 * read in order, so only the order of the parts matters, not where one ledger ends.
 */
export interface ColumnHistory {
  runId: string;
  producers: ProducerColumns[];
  consumers: ConsumerColumns[];
  /** how many consumer ledgers there were: none at all means the profile had no consumers */
  consumerLedgers: number;
  finalRead: FinalReadColumns;
  workload?: History['workload'];
}

/** A broken check: an error of the harness or a client, never a count about Kafka. */
export interface IdentityViolation {
  identity: string;
  detail: string;
}

/** What one producer (one incarnation) did, from its ledger. */
export interface ProducerSummary {
  pid: string;
  attempted: number;
  unsent: number;
  /** wall clock of the first and last message handed to the client (ms since epoch) */
  firstAttemptAt: number | null;
  lastAttemptAt: number | null;
  /** when the producer first fell behind its target rate, if it did */
  behindSince: number | null;
  /** the largest backlog it reported (messages waiting in the agent) */
  maxQueued: number;
}

/** The client's retries, from the retry events the driver counted. */
export interface RetrySummary {
  /** batches sent more than once */
  batches: number;
  /** distinct messages in those batches */
  messages: number;
  /** extra sends (sum of attempts - 1 over batches) */
  resends: number;
  firstAt: number | null;
  lastAt: number | null;
  /** messages of retried batches that landed after a later send of their producer (overtaken) */
  overtakenRetried: number;
}

export interface Reconciliation {
  metrics: Metrics;
  /** up to 20 example ids per non-zero metric, for the report */
  examples: Partial<Record<ExampleMetricName, string[]>>;
  violations: IdentityViolation[];
  producers: ProducerSummary[];
  retries: RetrySummary;
  /**
   * acknowledgements that carried no offset (always so with acks=0; otherwise the client
   * resolved a send with no result for its partition), and how many of those messages are
   * not in the log
   */
  acksWithoutOffset: { acked: number; lost: number };
  /** write availability, when the history has the workload's timing */
  availability?: Availability;
}

export type { MessageId };
