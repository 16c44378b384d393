import type { ResolvedConsumer, ResolvedProducer } from '../clients/settings.ts';
import type { ClientName } from '../clients/protocol.ts';
import type { HealthReport } from '../cluster/admin.ts';
import type { KafkaFeatures } from '../cluster/features.ts';
import type { TimelineEntry } from '../faults/nemesis.ts';
import type { ScheduledFault } from '../faults/schedule.ts';
import type { PartitionRead } from '../ledger/events.ts';
import type { Availability } from '../reconcile/availability.ts';
import type { ExampleMetricName } from '../reconcile/metrics.ts';
import type { IdentityViolation, Metrics, RetrySummary } from '../reconcile/types.ts';
import type { PartitionEnds } from '../run/log-ends.ts';
import type { ThresholdCheck } from '../run/thresholds.ts';
import type { RepetitionSummary } from './repetitions.ts';
import type { BackwardCommit } from '../reconcile/commits.ts';
import type { TransactionOutcome } from '../reconcile/transactions.ts';

export interface DrainReport {
  drained: boolean;
  waitedMs: number;
  detail: string;
  /** the log's ends as the drain left them (settled) */
  ends?: PartitionEnds[];
  /** how the log differed at the final read from the ends the drain settled on: the run did not settle */
  changedAfter?: string;
}

/** One producer incarnation's pace against its target rate. */
export interface ProducerThroughput {
  pid: string;
  targetPerSecond: number;
  /** messages handed to the client per second of workload */
  achievedPerSecond: number;
  /** when it fell behind (ms from the workload start), or null if it kept up */
  behindSinceMs: number | null;
  maxQueued: number;
  unsent: number;
}

export interface ProfileResult {
  profile: string;
  /** which repetition of the profile this is (1-based), with --repeat */
  repetition?: number;
  description?: string;
  /**
   * ok: reconciled; error: the harness failed (the numbers, if any, are not to be trusted);
   * inconclusive: the run did not settle (see `inconclusive`), so its numbers are not a result
   */
  status: 'ok' | 'error' | 'inconclusive' | 'interrupted';
  /** why the run did not settle */
  inconclusive?: string[];
  error?: string;
  dir: string;
  /** the topic the profile wrote to */
  topic?: string;
  /** the client every agent of the profile ran, and its version */
  client?: { name: ClientName; version: string };
  /** the configuration the driver gave the client, in the client's own names */
  clientConfig?: { producer?: Record<string, string>; consumer?: Record<string, string> };
  producer: ResolvedProducer;
  consumer: ResolvedConsumer;
  topicConfig: Record<string, string>;
  brokerConfig: Record<string, string>;
  versions: Record<string, string>;
  /** the cluster's KRaft features and whether eligible leader replicas (KIP-966) were on */
  features?: KafkaFeatures;
  metrics?: Metrics;
  examples?: Partial<Record<ExampleMetricName, string[]>>;
  violations: IdentityViolation[];
  retries?: RetrySummary;
  /** consume-transform-produce: the transaction checks and counts (with transformers) */
  transactions?: TransactionOutcome;
  /** commits that moved a partition's committed offset backwards (the first few) */
  backwardCommits?: BackwardCommit[];
  /** the Watch series of the profile (in its directory): how many seconds, and how many the cluster could not be asked */
  series?: {
    file: string;
    points: number;
    unknownSamples: number;
    /** failed commits of the group's members in the series (absent: the profile has no consumers or transformers) */
    commitFailures?: { count: number; firstS: number | null; lastS: number | null };
    /** member assignments in rebalances during the series */
    rebalances?: number;
  };
  /** acknowledgements without an offset, and how many of those messages are not in the log */
  acksWithoutOffset?: { acked: number; lost: number };
  availability?: Availability;
  /** wall clock when the workload started (ms since epoch): times in the report are relative to it */
  workloadStartedAt?: number;
  throughput?: ProducerThroughput[];
  thresholds: ThresholdCheck[];
  /** true when status is ok, no identity was violated and every threshold held */
  passed: boolean;
  health?: HealthReport;
  drain?: DrainReport;
  timeline: TimelineEntry[];
  partitions?: PartitionRead[];
  tornLedgerTails: string[];
  /** phase durations in ms */
  durations: Record<string, number>;
}

export interface RunResult {
  tool: string;
  runId: string;
  experiment: string;
  file: string;
  seed: number;
  backend: string;
  startedAt: string;
  finishedAt: string;
  runDir: string;
  schedule: ScheduledFault[];
  profiles: ProfileResult[];
  /** --repeat: how many times each profile ran, and per profile and metric k of n and the spread */
  repeat?: number;
  repetitions?: RepetitionSummary[];
  /** 0 every threshold met, 1 a threshold missed, 2 harness error or inconclusive, 130 interrupted */
  exitCode: number;
}
