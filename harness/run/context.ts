// What the phases of one profile's run share. Each phase reads what earlier phases left
// here and adds its own part; teardown is one stack of disposers run in reverse order.
import fs from 'node:fs';
import path from 'node:path';
import type { AgentHandle } from '../agents/handle.ts';
import type { PreparedClient } from '../clients/driver.ts';
import type { ResolvedConsumer, ResolvedProducer } from '../clients/settings.ts';
import type { ClusterAdmin } from '../cluster/admin.ts';
import type { Cluster, ClusterBackend } from '../cluster/backend.ts';
import type { KafkaFeatures } from '../cluster/features.ts';
import type { Experiment, Profile } from '../experiment/schema.ts';
import type { Nemesis } from '../faults/nemesis.ts';
import type { WatchSampler } from '../watch/sampler.ts';
import type { ScheduledFault } from '../faults/schedule.ts';
import type { FinalRead } from '../ledger/events.ts';
import type { ProfileResult } from '../report/types.ts';
import { errorMessage, HarnessError } from '../util/errors.ts';
import type { Progress } from './progress.ts';

export interface RunOptions {
  experiment: Experiment;
  backend: ClusterBackend;
  runId: string;
  runDir: string;
  signal: AbortSignal;
  progress: Progress;
  /** run only these profiles (by name) */
  only?: string[];
  /** run each profile this many times, each on a fresh cluster (default 1) */
  repeat?: number;
}

/** Disposers run last-in first-out; each runs once, and one that fails does not stop the others. */
export class Teardown {
  private readonly stack: Array<{ what: string; fn: () => Promise<void> | void }> = [];
  defer(what: string, fn: () => Promise<void> | void): void {
    this.stack.push({ what, fn });
  }
  async run(log: (line: string) => void): Promise<void> {
    while (this.stack.length > 0) {
      const { what, fn } = this.stack.pop()!;
      try {
        await fn();
      } catch (err) {
        log(`teardown: ${what} failed: ${errorMessage(err)}`);
      }
    }
  }
}

export class ProfileContext {
  readonly dir: string;
  readonly ledgerDir: string;
  readonly agentDir: string;
  readonly teardown = new Teardown();
  /** what the progress line says the run is doing */
  phase = 'starting';
  cluster: Cluster | undefined;
  admin: ClusterAdmin | undefined;
  topic = '';
  groupId = '';
  readonly producers: AgentHandle[] = [];
  readonly consumers: AgentHandle[] = [];
  readonly transformers: AgentHandle[] = [];
  /** samples the cluster every second from the workload start to the end of the drain */
  watch: WatchSampler | undefined;
  /** wall clock when the consumers were stopped (the end of the Watch series) */
  consumersStopped = 0;
  /** starts one more consumer in the group (consumer.join) */
  addConsumer: (() => Promise<AgentHandle>) | undefined;
  /** the profile's client, provisioned */
  client: PreparedClient | undefined;
  /** where the transformers write (empty without transformers) */
  outputTopic = '';
  transformGroupId = '';
  /** the final read of the output topic, read_committed and read_uncommitted */
  outputRead: { committed: FinalRead; uncommitted: FinalRead } | undefined;
  nemesis: Nemesis | undefined;
  /** wall clock when the workload started (ms since epoch) */
  workloadStart = 0;
  /** wall clock when the producers were told to stop */
  workloadEnd = 0;
  read: FinalRead | undefined;
  /** the cluster's features, asked for once the cluster is healed and healthy */
  features: Promise<KafkaFeatures> | undefined;

  constructor(
    readonly opts: RunOptions,
    readonly profile: Profile,
    readonly producer: ResolvedProducer,
    readonly consumer: ResolvedConsumer,
    readonly schedule: ScheduledFault[],
    readonly result: ProfileResult,
  ) {
    this.dir = result.dir;
    this.ledgerDir = path.join(this.dir, 'ledgers');
    this.agentDir = path.join(this.dir, 'agents');
    fs.mkdirSync(this.ledgerDir, { recursive: true });
    fs.mkdirSync(this.agentDir, { recursive: true });
  }

  get experiment(): Experiment {
    return this.opts.experiment;
  }

  log(line: string): void {
    this.opts.progress.log(`[${this.profile.name}${this.result.repetition !== undefined ? `#${this.result.repetition}` : ''}] ${line}`);
    fs.appendFileSync(path.join(this.dir, 'run.log'), `${new Date().toISOString()} ${line}\n`);
  }

  /** Throws when the run was interrupted (Ctrl-C, SIGTERM). */
  checkAborted(): void {
    if (this.opts.signal.aborted) throw new HarnessError('interrupted');
  }

  /** The started cluster; a phase that needs it runs after `startCluster`. */
  need<T>(value: T | undefined, what: string): T {
    if (value === undefined) throw new HarnessError(`internal: ${what} is not there yet`);
    return value;
  }
}
