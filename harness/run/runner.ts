// The run: for each profile, a fresh cluster -> topic -> agents -> workload with the
// fault schedule -> stop producers -> heal -> wait for health -> drain consumers ->
// final read -> reconcile -> thresholds -> teardown. The generator (agents), the nemesis
// and the checker (reconcile) meet only in the ledgers and the final read.
import fs from 'node:fs';
import path from 'node:path';
import { AgentHandle } from '../agents/handle.ts';
import { resolveConsumer, resolveProducer, type ResolvedConsumer, type ResolvedProducer } from '../agents/kafkajs-driver.ts';
import type { ConsumerAgentConfig, ConsumerStats, ProducerAgentConfig } from '../agents/protocol.ts';
import { ClusterAdmin } from '../cluster/admin.ts';
import type { Cluster, ClusterBackend } from '../cluster/backend.ts';
import { effectiveBrokerConfig, effectiveTopicConfig, type Experiment, type Profile } from '../experiment/schema.ts';
import { Nemesis } from '../faults/nemesis.ts';
import { buildSchedule, type ScheduledFault } from '../faults/schedule.ts';
import type { ConsumerEvent, ProducerEvent } from '../ledger/events.ts';
import { readLedger } from '../ledger/reader.ts';
import { DEFAULT_KAFKA_VERSION } from '../provision/versions.ts';
import { reconcile } from '../reconcile/reconcile.ts';
import type { DrainReport, ProfileResult, RunResult } from '../report/types.ts';
import { errorMessage, HarnessError } from '../util/errors.ts';
import { sleep } from '../util/time.ts';
import { finalRead } from './final-read.ts';
import type { Progress } from './progress.ts';
import { checkThresholds } from './thresholds.ts';

export interface RunOptions {
  experiment: Experiment;
  backend: ClusterBackend;
  runId: string;
  runDir: string;
  signal: AbortSignal;
  progress: Progress;
  /** run only these profiles (by name) */
  only?: string[];
}

const stringify = (m: Record<string, string | number | boolean>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, String(v)]));

/** Resolves each profile's client settings (the driver refuses what it cannot honour) before anything starts. */
export function resolveProfiles(exp: Experiment): Array<{ profile: Profile; producer: ResolvedProducer; consumer: ResolvedConsumer }> {
  return exp.profiles.map((profile) => ({ profile, producer: resolveProducer(profile.producer), consumer: resolveConsumer(profile.consumer) }));
}

export async function runExperiment(opts: RunOptions): Promise<RunResult> {
  const exp = opts.experiment;
  const startedAt = new Date().toISOString();
  const resolved = resolveProfiles(exp).filter((r) => !opts.only || opts.only.includes(r.profile.name));
  const schedule = buildSchedule(exp.faults, { seed: exp.seed, brokers: exp.cluster.brokers, producers: exp.workload.producers, consumers: exp.workload.consumers });
  fs.mkdirSync(opts.runDir, { recursive: true });
  fs.writeFileSync(path.join(opts.runDir, 'experiment.yaml'), exp.source);
  const { source: _source, ...resolvedExperiment } = exp;
  fs.writeFileSync(path.join(opts.runDir, 'experiment.resolved.json'), JSON.stringify({ ...resolvedExperiment, schedule }, null, 2));

  const profiles: ProfileResult[] = [];
  for (const r of resolved) {
    if (opts.signal.aborted) break;
    const result = await runProfile(opts, r.profile, r.producer, r.consumer, schedule);
    profiles.push(result);
    fs.writeFileSync(path.join(result.dir, 'result.json'), JSON.stringify(result, null, 2));
  }
  let exitCode = 0;
  if (opts.signal.aborted) exitCode = 130;
  else if (profiles.some((p) => p.status !== 'ok' || p.violations.length > 0)) exitCode = 2;
  else if (profiles.some((p) => !p.passed)) exitCode = 1;
  return {
    tool: 'kafka-chaos',
    runId: opts.runId,
    experiment: exp.name,
    file: exp.file,
    seed: exp.seed,
    backend: opts.backend.name,
    startedAt,
    finishedAt: new Date().toISOString(),
    runDir: opts.runDir,
    schedule,
    profiles,
    exitCode,
  };
}

async function runProfile(
  opts: RunOptions,
  profile: Profile,
  producer: ResolvedProducer,
  consumer: ResolvedConsumer,
  schedule: ScheduledFault[],
): Promise<ProfileResult> {
  const exp = opts.experiment;
  const w = exp.workload;
  const dir = path.join(opts.runDir, 'profiles', profile.name);
  const ledgerDir = path.join(dir, 'ledgers');
  const agentDir = path.join(dir, 'agents');
  fs.mkdirSync(ledgerDir, { recursive: true });
  fs.mkdirSync(agentDir, { recursive: true });
  const log = (line: string) => {
    opts.progress.log(`[${profile.name}] ${line}`);
    fs.appendFileSync(path.join(dir, 'run.log'), `${new Date().toISOString()} ${line}\n`);
  };
  const topicConfig = stringify(effectiveTopicConfig(exp, profile));
  // the broker-wide default is 2 (for internal topics); the test topic states its own, Kafka's default 1 unless set
  topicConfig['min.insync.replicas'] ??= '1';
  const brokerConfig = stringify(effectiveBrokerConfig(exp, profile));
  const result: ProfileResult = {
    profile: profile.name,
    ...(profile.description ? { description: profile.description } : {}),
    status: 'ok',
    dir,
    producer,
    consumer,
    topicConfig,
    brokerConfig,
    versions: {},
    violations: [],
    thresholds: [],
    passed: false,
    timeline: [],
    tornLedgerTails: [],
    durations: {},
  };
  const t0 = Date.now();
  const phase = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const s = Date.now();
    try {
      return await fn();
    } finally {
      result.durations[name] = Date.now() - s;
    }
  };
  const producers: AgentHandle[] = [];
  const consumers: AgentHandle[] = [];
  let cluster: Cluster | undefined;
  let nemesis: Nemesis | undefined;
  let progressTimer: NodeJS.Timeout | undefined;
  const abortCheck = () => {
    if (opts.signal.aborted) throw new HarnessError('interrupted');
  };
  try {
    log(`starting a fresh ${exp.cluster.brokers}-broker cluster (${opts.backend.name} backend)`);
    cluster = await phase('startup', async () => {
      const c = await opts.backend.start({
        runId: opts.runId,
        brokers: exp.cluster.brokers,
        kafkaVersion: exp.cluster.kafkaVersion ?? DEFAULT_KAFKA_VERSION,
        brokerProperties: effectiveBrokerConfig(exp, profile),
        dir: path.join(dir, 'cluster'),
        signal: opts.signal,
        log,
      });
      return c;
    });
    const theCluster = cluster;
    result.versions = { ...cluster.versions, kafkajs: kafkajsVersion() };
    // a cluster that outlives the run (compose) gets a topic per run and profile
    const topic = cluster.fresh === false ? `${exp.topic.name}-${opts.runId}-${profile.name}`.replace(/[^A-Za-z0-9._-]/g, '-') : exp.topic.name;
    result.topic = topic;
    abortCheck();
    await using admin = new ClusterAdmin(cluster.bootstrapServers);
    await phase('topic', () =>
      admin.createTopic({ topic: topic, partitions: exp.topic.partitions, replicationFactor: exp.topic.replicationFactor, config: topicConfig, timeoutMs: 60_000 }),
    );
    abortCheck();
    const groupId = consumer.groupId ?? `kafka-chaos-${opts.runId}-${profile.name}`;
    for (let i = 0; i < w.consumers; i++) {
      const cfg: ConsumerAgentConfig = {
        role: 'consumer',
        agentId: `c${i}`,
        runId: opts.runId,
        bootstrap: [...cluster.bootstrapServers],
        topic: topic,
        groupId,
        processingTimeMs: w.processingTime,
        ledgerFile: path.join(ledgerDir, `consumer-c${i}.jsonl`),
        consumer,
      };
      consumers.push(new AgentHandle(`consumer-c${i}`, cfg, agentDir, opts.runId));
    }
    for (let i = 0; i < w.producers; i++) {
      const cfg: ProducerAgentConfig = {
        role: 'producer',
        agentId: `p${i}`,
        runId: opts.runId,
        bootstrap: [...cluster.bootstrapServers],
        topic: topic,
        partitions: exp.topic.partitions,
        rate: w.rate,
        messageSize: w.messageSize,
        ledgerFile: path.join(ledgerDir, `producer-p${i}.jsonl`),
        producer,
      };
      producers.push(new AgentHandle(`producer-p${i}`, cfg, agentDir, opts.runId));
    }
    log(`starting ${consumers.length} consumer(s) and ${producers.length} producer(s)`);
    await phase('agents', async () => {
      await Promise.all(consumers.map((c) => c.start()));
      await Promise.all(producers.map((p) => p.start()));
    });
    abortCheck();

    // workload with the fault schedule
    const workloadStart = Date.now();
    let phaseName = 'workload';
    nemesis = new Nemesis(
      schedule,
      {
        cluster: theCluster,
        leaderOf: (p) => admin.leaderOf(topic, p),
        replicasOf: async (p) => (await admin.partitions(topic)).find((x) => x.partition === p)?.replicas ?? [],
        activeController: () => activeController(theCluster),
        agent: (role, index) => (role === 'producer' ? producers[index] : consumers[index]),
        elapsed: () => Date.now() - workloadStart,
      },
      log,
    );
    const faultsApplied = () => nemesis?.timeline.filter((t) => t.appliedAt !== null).length ?? 0;
    const sum = (hs: AgentHandle[], k: 'a' | 'b' | 'c') => hs.reduce((n, h) => n + h.totals()[k], 0);
    progressTimer = setInterval(() => {
      opts.progress.update({
        profile: profile.name,
        phase: phaseName,
        elapsedMs: Date.now() - workloadStart,
        durationMs: w.duration,
        sent: sum(producers, 'a'),
        acked: sum(producers, 'b'),
        errors: sum(producers, 'c'),
        consumed: sum(consumers, 'a'),
        processed: sum(consumers, 'b'),
        faultsApplied: faultsApplied(),
        faultsTotal: schedule.length,
      });
    }, 250);
    const workloadDone = new AbortController();
    const onAbort = () => workloadDone.abort();
    opts.signal.addEventListener('abort', onAbort, { once: true });
    const nemesisRun = nemesis.run(workloadDone.signal);
    await phase('workload', async () => {
      await sleep(w.duration, opts.signal).catch(() => undefined);
      workloadDone.abort();
      await nemesisRun;
    });
    opts.signal.removeEventListener('abort', onAbort);
    abortCheck();

    // no scheduled heal may fire from here on (a restarted producer would write after the end)
    await nemesis.endSchedule();
    phaseName = 'stopping producers';
    log('workload over: stopping producers (in-flight sends get up to 15s to settle)');
    await phase('stopProducers', () => Promise.all(producers.map((p) => p.stop(15_000))));
    phaseName = 'healing';
    log('healing every fault');
    await phase('heal', async () => {
      await nemesis!.healAll();
      await theCluster.toxiproxy.reset();
    });
    abortCheck();
    phaseName = 'waiting for health';
    const topics = [topic, ...(w.consumers > 0 ? ['__consumer_offsets'] : [])];
    result.health = await phase('health', () => admin.waitHealthy({ brokers: exp.cluster.brokers, topics, timeoutMs: w.healthTimeout, signal: opts.signal }));
    log(`cluster health: ${result.health.detail} (after ${(result.health.waitedMs / 1000).toFixed(1)}s)`);
    abortCheck();

    phaseName = 'draining';
    result.drain = await phase('drain', () => drain(admin, topic, groupId, consumers, w.drainTimeout, opts.signal));
    log(`consumer drain: ${result.drain.detail}`);
    abortCheck();
    phaseName = 'stopping consumers';
    await phase('stopConsumers', () => Promise.all(consumers.map((c) => c.stop(10_000))));
    clearInterval(progressTimer);
    progressTimer = undefined;
    opts.progress.done();

    log('final read of every partition');
    const read = await phase('finalRead', () =>
      finalRead({ bootstrap: theCluster.bootstrapServers, topic: topic, runId: opts.runId, isolation: 'read_uncommitted', timeoutMs: 120_000, signal: opts.signal }),
    );
    result.partitions = read.partitions;
    fs.writeFileSync(path.join(dir, 'final-read.jsonl'), read.records.map((r) => JSON.stringify(r)).join('\n') + (read.records.length ? '\n' : ''));
    result.timeline = nemesis.timeline;
    fs.writeFileSync(path.join(dir, 'faults.json'), JSON.stringify(nemesis.timeline, null, 2));

    await phase('reconcile', async () => {
      const producerEvents: ProducerEvent[][] = [];
      const consumerEvents: ConsumerEvent[][] = [];
      for (const f of fs.readdirSync(ledgerDir).sort()) {
        const file = path.join(ledgerDir, f);
        if (f.startsWith('producer-')) {
          const l = await readLedger<ProducerEvent>(file);
          if (l.tornTail) result.tornLedgerTails.push(f);
          producerEvents.push(l.events);
        } else if (f.startsWith('consumer-')) {
          const l = await readLedger<ConsumerEvent>(file);
          if (l.tornTail) result.tornLedgerTails.push(f);
          consumerEvents.push(l.events);
        }
      }
      const rec = reconcile({ runId: opts.runId, producers: producerEvents, consumers: consumerEvents, finalRead: read });
      result.metrics = rec.metrics;
      result.examples = rec.examples;
      result.violations = rec.violations;
      result.ackOffsetMismatches = rec.ackOffsetMismatches;
    });
    result.thresholds = checkThresholds(profile.expect, result.metrics!);
    const faultErrors = nemesis.timeline.filter((t) => t.error);
    if (faultErrors.length > 0) {
      result.status = 'error';
      result.error = `fault schedule not applied as written: ${faultErrors.map((t) => `#${t.index} ${t.action}: ${t.error}`).join('; ')}`;
    }
    if (result.violations.length > 0) {
      log(`IDENTITY VIOLATED: ${result.violations.map((v) => `${v.identity}: ${v.detail}`).join('; ')}`);
    }
    result.passed = result.status === 'ok' && result.violations.length === 0 && result.thresholds.every((t) => t.pass);
  } catch (err) {
    result.status = opts.signal.aborted ? 'interrupted' : 'error';
    result.error = errorMessage(err);
    result.passed = false;
    if (nemesis) result.timeline = nemesis.timeline;
    log(`${result.status === 'interrupted' ? 'interrupted' : 'FAILED'}: ${result.error}`);
  } finally {
    if (progressTimer) clearInterval(progressTimer);
    opts.progress.done();
    await nemesis?.endSchedule();
    await Promise.allSettled([...producers, ...consumers].map((a) => a.kill()));
    if (cluster) {
      log('tearing down the cluster');
      await Promise.resolve(cluster[Symbol.asyncDispose]()).catch((err: unknown) => log(`teardown error: ${errorMessage(err)}`));
    }
    result.durations.total = Date.now() - t0;
  }
  return result;
}

/**
 * Waits until the consumers are done with everything in the log: for every partition
 * with records, some consumer (in any incarnation) processed an offset at or beyond
 * high watermark - 1, or the group committed the high watermark (commit-then-process may
 * legitimately skip a tail it never processes); and no consumer is in the middle of a
 * batch. Bounded; the report says what was left.
 */
async function drain(admin: ClusterAdmin, topic: string, groupId: string, consumers: AgentHandle[], timeoutMs: number, signal: AbortSignal): Promise<DrainReport> {
  const started = Date.now();
  if (consumers.length === 0) return { drained: true, waitedMs: 0, detail: 'no consumers' };
  let detail = '';
  for (;;) {
    try {
      const [offsets, committed] = await Promise.all([admin.offsets(topic), admin.committed(groupId, topic)]);
      const maxProcessed = new Map<number, number>();
      let busy = false;
      for (const c of consumers) {
        const s = c.stats as ConsumerStats | undefined;
        if (c.running && s?.busy) busy = true;
        for (const [p, o] of c.maxProcessed) maxProcessed.set(p, Math.max(maxProcessed.get(p) ?? -1, o));
      }
      const behind = offsets.filter((p) => p.high > p.low && (maxProcessed.get(p.partition) ?? -1) < p.high - 1 && (committed.get(p.partition) ?? -1) < p.high);
      const dead = consumers.filter((c) => !c.running).map((c) => c.name);
      if (behind.length === 0 && !busy) {
        return { drained: true, waitedMs: Date.now() - started, detail: `every partition processed or committed up to its high watermark in ${((Date.now() - started) / 1000).toFixed(1)}s` };
      }
      detail = `${behind.length} partition(s) not done: ${behind.map((p) => `p${p.partition} processed to ${maxProcessed.get(p.partition) ?? 'none'}, committed ${committed.get(p.partition) ?? 'none'}, end ${p.high}`).join('; ')}${dead.length ? `; not running: ${dead.join(', ')}` : ''}`;
    } catch (err) {
      detail = `offsets request failed: ${errorMessage(err)}`;
    }
    if (Date.now() - started >= timeoutMs || signal.aborted) return { drained: false, waitedMs: Date.now() - started, detail: `not drained within ${timeoutMs / 1000}s: ${detail}` };
    await sleep(500);
  }
}

async function activeController(cluster: Cluster): Promise<number> {
  if (!cluster.activeController) throw new HarnessError(`the ${cluster.backend} backend cannot find the active controller`);
  return cluster.activeController();
}

let kafkajsVersionCache: string | undefined;
function kafkajsVersion(): string {
  if (kafkajsVersionCache) return kafkajsVersionCache;
  try {
    const pkg = JSON.parse(fs.readFileSync(new URL('../../node_modules/kafkajs/package.json', import.meta.url), 'utf8')) as { version: string };
    kafkajsVersionCache = pkg.version;
  } catch {
    kafkajsVersionCache = 'unknown';
  }
  return kafkajsVersionCache;
}
