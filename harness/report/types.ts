import type { ResolvedConsumer, ResolvedProducer } from '../agents/kafkajs-driver.ts';
import type { HealthReport } from '../cluster/admin.ts';
import type { TimelineEntry } from '../faults/nemesis.ts';
import type { ScheduledFault } from '../faults/schedule.ts';
import type { PartitionRead } from '../ledger/events.ts';
import type { IdentityViolation, Metrics, MetricName } from '../reconcile/types.ts';
import type { ThresholdCheck } from '../run/thresholds.ts';

export interface DrainReport {
  drained: boolean;
  waitedMs: number;
  detail: string;
}

export interface ProfileResult {
  profile: string;
  description?: string;
  /** ok: reconciled; error: the harness failed (the numbers, if any, are not to be trusted) */
  status: 'ok' | 'error' | 'interrupted';
  error?: string;
  dir: string;
  /** the topic the profile wrote to */
  topic?: string;
  producer: ResolvedProducer;
  consumer: ResolvedConsumer;
  topicConfig: Record<string, string>;
  brokerConfig: Record<string, string>;
  versions: Record<string, string>;
  metrics?: Metrics;
  examples?: Partial<Record<MetricName, string[]>>;
  violations: IdentityViolation[];
  ackOffsetMismatches?: number;
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
  /** 0 every threshold met, 1 a threshold missed, 2 harness error, 130 interrupted */
  exitCode: number;
}
