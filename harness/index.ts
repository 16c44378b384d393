// kafka-chaos as a library, for users' own test suites (vitest, jest, node:test):
//
//   import { startCluster, Ledger } from 'kafka-chaos';
//   await using cluster = await startCluster({ brokers: 3 });
//   await cluster.createTopic('orders', { partitions: 3 });
//   ... the application's own producer and consumer on cluster.bootstrapServers ...
//   const fault = await cluster.kill(await cluster.leaderOf('orders', 0));
//   await fault.heal();
//   const result = await cluster.reconcile('orders', ledger, { idOf: (m) => m.key?.toString() ?? null });
//
// The same real brokers, Toxiproxy links and fault catalogue as the CLI; nothing is mocked.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RawRecord } from './clients/kafkajs-reader.ts';
import YAML from 'yaml';
import { ClusterAdmin, type PartitionState } from './cluster/admin.ts';
import type { Cluster } from './cluster/backend.ts';
import { selectBackend, type BackendChoice } from './cluster/select.ts';
import { checkCapabilities } from './experiment/capabilities.ts';
import { loadExperiment, parseExperiment } from './experiment/load.ts';
import { kafkaVersionsOf, type Experiment } from './experiment/schema.ts';
import { FaultSchema, faultNeeds, faultType, type FaultSpec } from './faults/catalogue.ts';
import { clusterWorld, type Applied, type BrokerTarget } from './faults/fault.ts';
import { Ledger, type Reconciliation } from './lib/ledger.ts';
import { missingLocalPrerequisites } from './provision/prereq.ts';
import { DEFAULT_KAFKA_VERSION } from './provision/versions.ts';
import type { RunResult } from './report/types.ts';
import { finalRead } from './run/final-read.ts';
import { PlainProgress } from './run/progress.ts';
import { registerRun } from './run/registry.ts';
import { runExperiment as runPhases, writeReport } from './run/runner.ts';
import { readEnvironment } from './util/env.ts';
import { HarnessError, UsageError } from './util/errors.ts';
import { utcStamp } from './util/time.ts';

export { Ledger, type Reconciliation } from './lib/ledger.ts';
export type { RunResult, ProfileResult } from './report/types.ts';
export type { PartitionState } from './cluster/admin.ts';
export type { FaultSpec } from './faults/catalogue.ts';
export type { BrokerTarget } from './faults/fault.ts';
export { FAULT_ACTIONS } from './faults/catalogue.ts';

/**
 * Can a cluster start here (the local backend's Java, Go or toxiproxy-server, Maven or
 * KAFKA_HOME)? For a suite that should skip, and say why, where it cannot.
 */
export function clusterPrerequisites(): { ok: boolean; missing: string[] } {
  const missing = missingLocalPrerequisites();
  return { ok: missing.length === 0, missing };
}

export interface StartClusterOptions {
  /** number of brokers (each also a KRaft controller); default 3 */
  brokers?: number;
  /** auto (docker when an engine answers and the images are there, else local), local or docker */
  backend?: Exclude<BackendChoice, 'compose'>;
  /** a Kafka version (3.9.x or 4.x); default the pinned one */
  kafkaVersion?: string;
  /** broker properties over the harness' defaults */
  broker?: Record<string, string | number | boolean>;
  /** where broker logs and configs go; default a new temporary directory */
  dir?: string;
  /** keep the brokers' data directories when the cluster is disposed */
  keepData?: boolean;
  /** progress lines (start-up, faults); default none */
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/** A fault in effect: what it hit, and how to undo it. */
export interface ActiveFault {
  readonly action: string;
  /** what the target resolved to, e.g. "broker 2" */
  readonly resolved: string;
  readonly details: Record<string, unknown> | undefined;
  /** undoes the fault (idempotent) */
  heal(): Promise<void>;
}

/** Fault parameters as an experiment file writes them, without `action` and `at`. */
export type FaultParams = Record<string, unknown>;

/**
 * Starts a fresh cluster: real KRaft brokers behind Toxiproxy. Dispose it (`await using`,
 * or `await cluster.close()`) to stop everything it started.
 */
export async function startCluster(opts: StartClusterOptions = {}): Promise<ChaosCluster> {
  const env = readEnvironment();
  const log = opts.log ?? (() => undefined);
  const kafkaVersion = opts.kafkaVersion ?? DEFAULT_KAFKA_VERSION;
  const brokers = opts.brokers ?? 3;
  if (!Number.isSafeInteger(brokers) || brokers < 1 || brokers > 9) throw new UsageError(`startCluster: brokers must be a whole number from 1 to 9, got ${String(opts.brokers)}`);
  const backend = await selectBackend({ choice: opts.backend ?? 'auto', env, kafkaVersion, keepData: opts.keepData ?? false, log });
  await backend.prepare({ kafkaVersion, log });
  const runId = `${utcStamp()}-lib-${crypto.randomBytes(3).toString('hex')}`;
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-chaos-'));
  // registered like a CLI run, so `kafka-chaos clean` finds what a killed test process left
  const unregister = registerRun(env.cacheDir, { runId, harnessPid: process.pid, runDir: dir, startedAt: new Date().toISOString() });
  try {
    const cluster = await backend.start({
      runId,
      brokers,
      kafkaVersion,
      brokerProperties: opts.broker ?? {},
      dir,
      ...(opts.signal ? { signal: opts.signal } : {}),
      log,
    });
    return new ChaosCluster(cluster, runId, dir, log, opts.signal ?? new AbortController().signal, unregister);
  } catch (err) {
    unregister();
    throw err;
  }
}

export class ChaosCluster implements AsyncDisposable {
  readonly admin: ClusterAdmin;
  private readonly active: Array<{ action: string; applied: Applied; healed: boolean }> = [];
  private lastTopic: string | undefined;
  private readonly started = Date.now();
  private closed = false;

  constructor(
    /** the backend's cluster underneath (brokers, Toxiproxy) */
    readonly cluster: Cluster,
    readonly runId: string,
    /** where the broker logs are */
    readonly dir: string,
    private readonly log: (line: string) => void,
    private readonly signal: AbortSignal,
    private readonly unregister: () => void,
  ) {
    this.admin = new ClusterAdmin(cluster.bootstrapServers);
  }

  /** bootstrap addresses for clients, through Toxiproxy (so network faults reach them) */
  get bootstrapServers(): string[] {
    return [...this.cluster.bootstrapServers];
  }

  get brokerIds(): number[] {
    return [...this.cluster.brokerIds];
  }

  get backend(): string {
    return this.cluster.backend;
  }

  async createTopic(topic: string, opts: { partitions?: number; replicationFactor?: number; config?: Record<string, string | number | boolean> } = {}): Promise<void> {
    const config = Object.fromEntries(Object.entries(opts.config ?? {}).map(([k, v]) => [k, String(v)]));
    await this.admin.createTopic({
      topic,
      partitions: opts.partitions ?? 3,
      replicationFactor: opts.replicationFactor ?? Math.min(3, this.cluster.brokerIds.length),
      config,
      timeoutMs: 60_000,
    });
    this.lastTopic = topic;
  }

  /** leader, replicas and ISR of every partition of a topic, as the cluster sees them now */
  partitions(topic: string): Promise<PartitionState[]> {
    return this.admin.partitions(topic);
  }

  leaderOf(topic: string, partition: number): Promise<number> {
    return this.admin.leaderOf(topic, partition);
  }

  /**
   * Applies any fault of the catalogue (`kafka-chaos list`), with its parameters as an
   * experiment file writes them. Roles such as `leader` resolve against `topic` (default
   * the last topic created). Returns the fault in effect; `heal()` undoes it.
   */
  async inject(action: string, params: FaultParams = {}, opts: { topic?: string } = {}): Promise<ActiveFault> {
    if (this.closed) throw new HarnessError(`${action}: the cluster is closed`);
    const parsed = FaultSchema.safeParse({ at: '0s', ...params, action });
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'action'}: ${i.message}`).join('; ');
      throw new UsageError(`${action}: ${issues}`);
    }
    const spec: FaultSpec = parsed.data;
    const type = faultType(spec.action);
    const missing = faultNeeds(spec).filter((c) => !this.cluster.capabilities.has(c));
    if (missing.length > 0) throw new UsageError(`${action} needs ${missing.join(' and ')}, which the ${this.cluster.backend} backend does not have`);
    const topic = opts.topic ?? this.lastTopic;
    const world = clusterWorld({
      cluster: this.cluster,
      admin: this.admin,
      topic: () => {
        if (!topic) throw new UsageError(`${action}: which topic? create one first or pass { topic }`);
        return topic;
      },
      elapsed: () => Date.now() - this.started,
      log: this.log,
      signal: this.signal,
    });
    const applied = await type.apply({ ...spec, index: this.active.length, atMs: world.elapsed() } as Parameters<typeof type.apply>[0], world);
    const entry = { action: spec.action, applied, healed: applied.instant === true };
    this.active.push(entry);
    this.log(`${spec.action}: ${applied.resolved}`);
    return {
      action: spec.action,
      resolved: applied.resolved,
      details: applied.details,
      heal: async () => {
        if (entry.healed) return;
        entry.healed = true;
        await applied.undo();
        this.log(`${spec.action} healed: ${applied.heal} ${applied.resolved}`);
      },
    };
  }

  /** SIGKILL: a crash with the page cache intact; heal starts it again */
  kill(target: BrokerTarget, opts: { partition?: number; topic?: string } = {}): Promise<ActiveFault> {
    return this.inject('broker.kill', { target, ...(opts.partition !== undefined ? { partition: opts.partition } : {}) }, opts);
  }

  /** graceful stop (SIGTERM); heal starts it again */
  stop(target: BrokerTarget, opts: { partition?: number; topic?: string } = {}): Promise<ActiveFault> {
    return this.inject('broker.stop', { target, ...(opts.partition !== undefined ? { partition: opts.partition } : {}) }, opts);
  }

  /** SIGSTOP: frozen with its connections open; heal resumes it */
  pause(target: BrokerTarget, opts: { partition?: number; topic?: string } = {}): Promise<ActiveFault> {
    return this.inject('broker.pause', { target, ...(opts.partition !== undefined ? { partition: opts.partition } : {}) }, opts);
  }

  /** kill, then drop everything Kafka had not fsynced (each partition log cut to its recovery point); heal restarts */
  powerLoss(target: BrokerTarget, opts: { partition?: number; topic?: string } = {}): Promise<ActiveFault> {
    return this.inject('broker.power-loss', { target, ...(opts.partition !== undefined ? { partition: opts.partition } : {}) }, opts);
  }

  /**
   * Splits the brokers into groups (explicit, like [[1], [2, 3]], or isolate-leader,
   * isolate-controller, halves, ring): every link across groups is cut both ways.
   * `clients`: the index of the group the clients stay with (default: they reach every broker).
   */
  partition(groups: number[][] | 'isolate-leader' | 'isolate-controller' | 'halves' | 'ring', opts: { clients?: number; partition?: number; topic?: string } = {}): Promise<ActiveFault> {
    const { topic: _topic, ...rest } = opts;
    return this.inject('network.partition', { groups, ...rest }, opts);
  }

  /** adds latency (and jitter) on the target brokers' links: replication (default), client, controller or all */
  latency(target: BrokerTarget, latencyMs: number, opts: { jitterMs?: number; link?: 'client' | 'replication' | 'controller' | 'all'; partition?: number; topic?: string } = {}): Promise<ActiveFault> {
    return this.inject(
      'network.latency',
      {
        target,
        latency: latencyMs,
        jitter: opts.jitterMs ?? 0,
        ...(opts.link !== undefined ? { link: opts.link } : {}),
        ...(opts.partition !== undefined ? { partition: opts.partition } : {}),
      },
      opts,
    );
  }

  /** Undoes every fault still in effect, newest first, and resets every Toxiproxy link. */
  async heal(): Promise<void> {
    const errors: string[] = [];
    for (const e of [...this.active].reverse()) {
      if (e.healed) continue;
      e.healed = true;
      await e.applied.undo().catch((err: unknown) => errors.push(`${e.action}: ${(err as Error).message}`));
    }
    await this.cluster.toxiproxy.reset();
    if (errors.length > 0) throw new HarnessError(`healing failed: ${errors.join('; ')}`);
  }

  /** Waits until every broker is registered and every partition of the topics has its full ISR. */
  async waitHealthy(topics: string[] = this.lastTopic ? [this.lastTopic] : [], timeoutMs = 120_000): Promise<void> {
    const h = await this.admin.waitHealthy({ brokers: this.cluster.brokerIds.length, topics, timeoutMs, signal: this.signal });
    if (!h.healthy) throw new HarnessError(`the cluster is not healthy after ${timeoutMs / 1000}s: ${h.detail}`);
  }

  /**
   * Reads every partition of a topic from its log start to its high watermark and returns
   * the id of each record (`idOf`, default the record key as text; records it returns null
   * for are left out).
   */
  async readAll(topic: string, opts: { idOf?: (m: RawRecord) => string | null; timeoutMs?: number; isolation?: 'read_uncommitted' | 'read_committed' } = {}): Promise<string[]> {
    const idOf = opts.idOf ?? ((m: RawRecord) => (m.key ? m.key.toString('utf8') : null));
    const read = await finalRead({
      bootstrap: this.cluster.bootstrapServers,
      topic,
      runId: this.runId,
      isolation: opts.isolation ?? 'read_uncommitted',
      timeoutMs: opts.timeoutMs ?? 120_000,
      signal: this.signal,
      idOf,
    });
    return read.records.map((r) => r.id).filter((id): id is string => id !== null);
  }

  /**
   * Heals every fault, waits for a healthy cluster, reads the topic in full and compares
   * it with what the application recorded in `ledger`.
   */
  async reconcile(topic: string, ledger: Ledger, opts: { idOf?: (m: RawRecord) => string | null; timeoutMs?: number } = {}): Promise<Reconciliation> {
    await this.heal();
    await this.waitHealthy([topic], opts.timeoutMs);
    return ledger.reconcile(await this.readAll(topic, opts));
  }

  /** Heals nothing: stops every broker and Toxiproxy, and removes the data unless kept. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.admin[Symbol.asyncDispose]();
    } finally {
      try {
        await this.cluster[Symbol.asyncDispose]();
      } finally {
        this.unregister();
      }
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

export interface RunExperimentOptions {
  /** auto, local, docker or compose */
  backend?: BackendChoice;
  /** where the run directory goes; default ./reports */
  reports?: string;
  /** overrides the experiment's seed */
  seed?: number;
  /** run only these profiles */
  profiles?: string[];
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/**
 * Runs an experiment (a YAML file, or the same thing as an object) as the CLI does and
 * returns its result; the report is written to the run directory as well.
 */
export async function runExperiment(experiment: string | Record<string, unknown>, opts: RunExperimentOptions = {}): Promise<RunResult> {
  let exp: Experiment =
    typeof experiment === 'string' ? loadExperiment(experiment) : parseExperiment(YAML.stringify(experiment), `<${String(experiment.name ?? 'experiment')}>`);
  if (opts.seed !== undefined) exp = { ...exp, seed: opts.seed };
  const env = readEnvironment();
  const log = opts.log ?? (() => undefined);
  const versions = kafkaVersionsOf(exp);
  const backend = await selectBackend({ choice: opts.backend ?? 'auto', env, kafkaVersion: versions[0]!, keepData: false, log });
  checkCapabilities(exp, backend);
  for (const kafkaVersion of versions) await backend.prepare({ kafkaVersion, log });
  const runId = `${utcStamp()}-${exp.name}-${crypto.randomBytes(2).toString('hex')}`;
  const runDir = path.resolve(opts.reports ?? 'reports', runId);
  const unregister = registerRun(env.cacheDir, { runId, harnessPid: process.pid, runDir, startedAt: new Date().toISOString() });
  try {
    const result = await runPhases({
      experiment: exp,
      backend,
      runId,
      runDir,
      signal: opts.signal ?? new AbortController().signal,
      progress: new PlainProgress(log),
      ...(opts.profiles ? { only: opts.profiles } : {}),
    });
    for (const e of await writeReport(result)) log(`report: ${e}`);
    return result;
  } finally {
    unregister();
  }
}
