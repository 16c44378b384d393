// The phases of one profile's run, in order, each a small function over the run context:
// fresh cluster -> topic -> agents -> workload with the fault schedule -> stop producers
// -> heal -> wait for health -> drain consumers -> stop consumers -> final read ->
// reconcile -> settle and verdict. The generator (agents), the nemesis and the checker
// meet only in the ledgers and the final read.
import fs from 'node:fs';
import path from 'node:path';
import { AgentHandle } from '../agents/handle.ts';
import { clientDriver } from '../clients/catalogue.ts';
import { withClientProperties } from '../clients/driver.ts';
import type { ConsumerAgentConfig, ConsumerStats, ProducerAgentConfig, TransformerAgentConfig, TransformerStats } from '../clients/protocol.ts';
import { ClusterAdmin } from '../cluster/admin.ts';
import { probeFeatures } from '../cluster/features.ts';
import { effectiveBrokerConfig, effectiveKafkaVersion } from '../experiment/schema.ts';
import { clusterWorld } from '../faults/fault.ts';
import { Nemesis } from '../faults/nemesis.ts';
import type { CommittedEvent, ConsumedEvent, ProducedEvent, TxnEvent } from '../ledger/events.ts';
import { readEventsOfKind, readRecords } from '../ledger/reader.ts';
import { writeRecords } from '../ledger/writer.ts';
import { backwardCommits } from '../reconcile/commits.ts';
import type { Metrics } from '../reconcile/metrics.ts';
import { checkTransactions } from '../reconcile/transactions.ts';
import { ledgerFiles, reconcileRun as reconcileFromDisk } from '../reconcile/read-run.ts';
import type { DrainReport, ProducerThroughput } from '../report/types.ts';
import { errorMessage } from '../util/errors.ts';
import { sleep } from '../util/time.ts';
import type { ProfileContext } from './context.ts';
import { finalRead } from './final-read.ts';
import { changedEnds, QuietEnds } from './log-ends.ts';
import { checkThresholds } from './thresholds.ts';
import { readSamples, WatchSampler } from '../watch/sampler.ts';
import { buildSeries, seriesGroupSummary, writeSeries } from '../watch/series.ts';

export interface Phase {
  /** the key of its duration in the report */
  readonly name: string;
  run(ctx: ProfileContext): Promise<void>;
}

const startCluster: Phase = {
  name: 'startup',
  async run(ctx) {
    const exp = ctx.experiment;
    ctx.log(`starting a fresh ${exp.cluster.brokers}-broker cluster (${ctx.opts.backend.name} backend)`);
    const kafkaVersion = effectiveKafkaVersion(exp, ctx.profile);
    // the client is provisioned (the Java agent compiled, the native module loaded) while the brokers start
    const client = clientDriver(ctx.profile.client).prepare({ kafkaVersion, javaHome: process.env.JAVA_HOME, log: (l) => ctx.log(l) });
    client.catch(() => undefined);
    const cluster = await ctx.opts.backend.start({
      runId: ctx.opts.runId,
      brokers: exp.cluster.brokers,
      kafkaVersion,
      brokerProperties: effectiveBrokerConfig(exp, ctx.profile),
      dir: path.join(ctx.dir, 'cluster'),
      signal: ctx.opts.signal,
      log: (l) => ctx.log(l),
    });
    ctx.cluster = cluster;
    ctx.teardown.defer('cluster', async () => {
      ctx.log('tearing down the cluster');
      await cluster[Symbol.asyncDispose]();
    });
    ctx.client = await client;
    ctx.result.client = { name: ctx.client.name, version: ctx.client.version };
    ctx.result.versions = { ...cluster.versions, client: ctx.client.version };

    const admin = new ClusterAdmin(cluster.bootstrapServers);
    ctx.admin = admin;
    ctx.teardown.defer('admin client', () => admin[Symbol.asyncDispose]());
  },
};

const createTopic: Phase = {
  name: 'topic',
  async run(ctx) {
    const exp = ctx.experiment;
    const cluster = ctx.need(ctx.cluster, 'the cluster');
    // a cluster that outlives the run (compose) gets a topic per run and profile
    ctx.topic = cluster.fresh === false ? `${exp.topic.name}-${ctx.opts.runId}-${ctx.profile.name}`.replace(/[^A-Za-z0-9._-]/g, '-') : exp.topic.name;
    ctx.result.topic = ctx.topic;
    await ctx.need(ctx.admin, 'the admin client').createTopic({
      topic: ctx.topic,
      partitions: exp.topic.partitions,
      replicationFactor: exp.topic.replicationFactor,
      config: ctx.result.topicConfig,
      timeoutMs: 60_000,
    });
    if (exp.workload.transformers > 0) {
      ctx.outputTopic = `${ctx.topic}-out`;
      await ctx.need(ctx.admin, 'the admin client').createTopic({
        topic: ctx.outputTopic,
        partitions: exp.topic.partitions,
        replicationFactor: exp.topic.replicationFactor,
        config: ctx.result.topicConfig,
        timeoutMs: 60_000,
      });
    }
  },
};

const startAgents: Phase = {
  name: 'agents',
  async run(ctx) {
    const exp = ctx.experiment;
    const w = exp.workload;
    const cluster = ctx.need(ctx.cluster, 'the cluster');
    const client = ctx.need(ctx.client, 'the client');
    const driver = clientDriver(client.name);
    ctx.groupId = ctx.consumer.groupId ?? `kafka-chaos-${ctx.opts.runId}-${ctx.profile.name}`;
    ctx.transformGroupId = `${ctx.groupId}-transform`;
    ctx.teardown.defer('agents', async () => {
      await Promise.allSettled([...ctx.producers, ...ctx.consumers, ...ctx.transformers].map((a) => a.kill()));
    });
    const handle = (name: string, cfg: ConsumerAgentConfig | ProducerAgentConfig | TransformerAgentConfig) =>
      new AgentHandle(name, withClientProperties(driver, cfg), ctx.agentDir, ctx.opts.runId, client);
    for (let i = 0; i < w.transformers; i++) {
      const cfg: TransformerAgentConfig = {
        role: 'transformer',
        agentId: `t${i}`,
        runId: ctx.opts.runId,
        bootstrap: [...cluster.bootstrapServers],
        client: client.name,
        inputTopic: ctx.topic,
        outputTopic: ctx.outputTopic,
        groupId: ctx.transformGroupId,
        transactionalId: `${ctx.producer.transactionalId ?? `kafka-chaos-${ctx.profile.name}`}-t${i}`,
        processingTimeMs: w.processingTime,
        ledgerFile: path.join(ctx.ledgerDir, `transformer-t${i}.jsonl`),
        // a transformer reads committed input and writes in transactions, whatever the profile says
        consumer: { ...ctx.consumer, readUncommitted: false, strategy: 'process-then-commit' },
        producer: { ...ctx.producer, idempotent: true, acks: -1 },
      };
      ctx.transformers.push(handle(`transformer-t${i}`, cfg));
    }
    const consumer = (i: number) => {
      const cfg: ConsumerAgentConfig = {
        role: 'consumer',
        agentId: `c${i}`,
        runId: ctx.opts.runId,
        bootstrap: [...cluster.bootstrapServers],
        client: client.name,
        topic: ctx.topic,
        groupId: ctx.groupId,
        processingTimeMs: w.processingTime,
        ledgerFile: path.join(ctx.ledgerDir, `consumer-c${i}.jsonl`),
        consumer: ctx.consumer,
      };
      return handle(`consumer-c${i}`, cfg);
    };
    for (let i = 0; i < w.consumers; i++) ctx.consumers.push(consumer(i));
    // a member that joins mid-run (consumer.join) is one more consumer of the same kind
    ctx.addConsumer = async () => {
      const c = consumer(ctx.consumers.length);
      ctx.consumers.push(c);
      await c.start();
      return c;
    };
    for (let i = 0; i < w.producers; i++) {
      const cfg: ProducerAgentConfig = {
        role: 'producer',
        agentId: `p${i}`,
        runId: ctx.opts.runId,
        bootstrap: [...cluster.bootstrapServers],
        client: client.name,
        topic: ctx.topic,
        partitions: exp.topic.partitions,
        rate: w.rate,
        messageSize: w.messageSize,
        ledgerFile: path.join(ctx.ledgerDir, `producer-p${i}.jsonl`),
        producer: ctx.producer,
      };
      ctx.producers.push(handle(`producer-p${i}`, cfg));
    }
    const producerConfig = w.producers + w.transformers > 0 ? driver.producerProperties(ctx.producer) : undefined;
    const consumerConfig = w.consumers + w.transformers > 0 ? driver.consumerProperties(ctx.consumer, ctx.groupId) : undefined;
    ctx.result.clientConfig = { ...(producerConfig ? { producer: producerConfig } : {}), ...(consumerConfig ? { consumer: consumerConfig } : {}) };
    const transformers = ctx.transformers.length > 0 ? `, ${ctx.transformers.length} transformer(s)` : '';
    ctx.log(`starting ${ctx.consumers.length} consumer(s)${transformers} and ${ctx.producers.length} producer(s) on ${client.version}`);
    await Promise.all([...ctx.consumers, ...ctx.transformers].map((c) => c.start()));
    await Promise.all(ctx.producers.map((p) => p.start()));
  },
};

const workload: Phase = {
  name: 'workload',
  async run(ctx) {
    const w = ctx.experiment.workload;
    const cluster = ctx.need(ctx.cluster, 'the cluster');
    const admin = ctx.need(ctx.admin, 'the admin client');
    // the Watch sampler runs from the workload start to the end of the drain
    const watch = new WatchSampler({ bootstrap: cluster.watchBootstrap ?? cluster.bootstrapServers, topic: ctx.topic, groupId: ctx.consumers.length > 0 ? ctx.groupId : ctx.transformers.length > 0 ? ctx.transformGroupId : undefined, file: path.join(ctx.dir, 'watch-samples.jsonl') });
    ctx.watch = watch;
    ctx.teardown.defer('watch sampler', () => watch.stop());
    ctx.workloadStart = Date.now();
    ctx.result.workloadStartedAt = ctx.workloadStart;
    watch.start();
    ctx.phase = 'workload';
    const nemesis = new Nemesis(
      ctx.schedule,
      clusterWorld({
        cluster,
        admin,
        topic: () => ctx.topic,
        agent: (role, index) => (role === 'producer' ? ctx.producers[index] : role === 'transformer' ? ctx.transformers[index] : ctx.consumers[index]),
        ...(ctx.addConsumer ? { addConsumer: ctx.addConsumer } : {}),
        elapsed: () => Date.now() - ctx.workloadStart,
        log: (l) => ctx.log(l),
        signal: ctx.opts.signal,
      }),
    );
    ctx.nemesis = nemesis;
    ctx.teardown.defer('fault schedule', () => nemesis.endSchedule());
    startProgress(ctx);
    const done = new AbortController();
    const onAbort = () => done.abort();
    ctx.opts.signal.addEventListener('abort', onAbort, { once: true });
    const nemesisRun = nemesis.run(done.signal);
    try {
      await sleep(w.duration, ctx.opts.signal).catch(() => undefined);
      done.abort();
      await nemesisRun;
    } finally {
      ctx.opts.signal.removeEventListener('abort', onAbort);
    }
  },
};

const stopProducers: Phase = {
  name: 'stopProducers',
  async run(ctx) {
    // no scheduled heal may fire from here on (a restarted producer would write after the end)
    await ctx.need(ctx.nemesis, 'the nemesis').endSchedule();
    ctx.workloadEnd = Date.now();
    ctx.phase = 'stopping producers';
    ctx.log('workload over: stopping producers (in-flight sends get up to 15s to settle)');
    await Promise.all(ctx.producers.map((p) => p.stop(15_000)));
  },
};

const heal: Phase = {
  name: 'heal',
  async run(ctx) {
    ctx.phase = 'healing';
    ctx.log('healing every fault');
    await ctx.need(ctx.nemesis, 'the nemesis').healAll();
    await ctx.need(ctx.cluster, 'the cluster').toxiproxy.reset();
  },
};

const health: Phase = {
  name: 'health',
  async run(ctx) {
    const w = ctx.experiment.workload;
    ctx.phase = 'waiting for health';
    const topics = [ctx.topic, ...(ctx.outputTopic ? [ctx.outputTopic, '__transaction_state'] : []), ...(w.consumers + w.transformers > 0 ? ['__consumer_offsets'] : [])];
    const report = await ctx.need(ctx.admin, 'the admin client').waitHealthy({ brokers: ctx.experiment.cluster.brokers, topics, timeoutMs: w.healthTimeout, signal: ctx.opts.signal });
    ctx.result.health = report;
    ctx.log(`cluster health: ${report.detail} (after ${(report.waitedMs / 1000).toFixed(1)}s)`);
  },
};

const drainConsumers: Phase = {
  name: 'drain',
  async run(ctx) {
    // the features do not change during a run (no fault changes them); asking costs a JVM
    // start, so it runs once every fault is healed and the cluster is healthy, alongside the
    // drain and the final read, and is awaited when the run settles
    if (ctx.cluster && !ctx.features) {
      const features = probeFeatures(ctx.cluster, ctx.result.brokerConfig);
      ctx.features = features;
      ctx.teardown.defer('features probe', async () => void (await features));
    }
    ctx.phase = 'draining';
    ctx.result.drain = await drain(ctx);
    ctx.log(`consumer drain: ${ctx.result.drain.detail}`);
  },
};

const stopConsumers: Phase = {
  name: 'stopConsumers',
  async run(ctx) {
    ctx.phase = 'stopping consumers';
    await Promise.all([...ctx.consumers, ...ctx.transformers].map((c) => c.stop(10_000)));
    ctx.consumersStopped = Date.now();
    await ctx.watch?.stop();
    ctx.watch = undefined;
    ctx.opts.progress.done();
  },
};

const readLog: Phase = {
  name: 'finalRead',
  async run(ctx) {
    const cluster = ctx.need(ctx.cluster, 'the cluster');
    ctx.log('final read of every partition');
    const read = await finalRead({ bootstrap: cluster.bootstrapServers, topic: ctx.topic, runId: ctx.opts.runId, isolation: 'read_uncommitted', timeoutMs: 120_000, signal: ctx.opts.signal });
    ctx.result.partitions = read.partitions;
    // the drain counted against the ends it saw settle: the log read must be that log
    const drained = ctx.result.drain;
    if (drained?.ends) {
      const changed = changedEnds(drained.ends, read.partitions.map((p) => ({ partition: p.partition, low: p.logStartOffset, high: p.highWatermark })));
      if (changed.length > 0) drained.changedAfter = changed.join('; ');
    }
    writeRecords(path.join(ctx.dir, 'final-read.jsonl'), read.records);
    // the checker reads the records back from final-read.jsonl: only what the read saw of each partition stays in memory
    ctx.read = { ...read, records: [] };
    if (ctx.outputTopic) {
      ctx.log('final read of the output topic, read_committed and read_uncommitted');
      const readOutput = (isolation: 'read_committed' | 'read_uncommitted') =>
        finalRead({ bootstrap: cluster.bootstrapServers, topic: ctx.outputTopic, runId: ctx.opts.runId, isolation, timeoutMs: 120_000, signal: ctx.opts.signal, keys: true, gapless: false });
      const committed = await readOutput('read_committed');
      const uncommitted = await readOutput('read_uncommitted');
      writeRecords(path.join(ctx.dir, 'final-read-output.committed.jsonl'), committed.records);
      writeRecords(path.join(ctx.dir, 'final-read-output.uncommitted.jsonl'), uncommitted.records);
      ctx.outputRead = { committed, uncommitted };
    }
  },
};

const reconcileRun: Phase = {
  name: 'reconcile',
  async run(ctx) {
    const result = ctx.result;
    const read = ctx.need(ctx.read, 'the final read');
    // the ledgers and the final read as written to disk (read-run.ts: two threads, columns)
    const fromDisk = await reconcileFromDisk(
      { ...ledgerFiles(ctx.ledgerDir), finalRead: path.join(ctx.dir, 'final-read.jsonl') },
      {
        runId: ctx.opts.runId,
        isolation: read.isolation,
        partitions: read.partitions,
        workload: { start: ctx.workloadStart, end: ctx.workloadEnd, partitions: ctx.experiment.topic.partitions, faults: ctx.nemesis?.timeline ?? [] },
      },
    );
    result.tornLedgerTails.push(...fromDisk.tornTails);
    const rec = fromDisk.reconciliation;
    if (rec.availability) result.availability = rec.availability;
    result.metrics = rec.metrics;
    result.examples = rec.examples;
    result.violations = rec.violations;
    result.retries = rec.retries;
    result.acksWithoutOffset = rec.acksWithoutOffset;
    result.throughput = rec.producers.map((p): ProducerThroughput => {
      const durationS = ctx.experiment.workload.duration / 1000;
      return {
        pid: p.pid,
        targetPerSecond: ctx.experiment.workload.rate,
        achievedPerSecond: Math.round(p.attempted / durationS),
        behindSinceMs: p.behindSince === null ? null : p.behindSince - ctx.workloadStart,
        maxQueued: p.maxQueued,
        unsent: p.unsent,
      };
    });
    await checkClientSide(ctx, rec.metrics);
    result.thresholds = checkThresholds(ctx.profile.expect, rec.metrics);
  },
};

/**
 * The checks of what the application did with its client, beside the main checker:
 * commits that moved backwards, failures a fire-and-forget producer never looked at, and
 * the transaction checks of the transformers.
 */
async function checkClientSide(ctx: ProfileContext, metrics: Metrics): Promise<void> {
  const result = ctx.result;
  const names = fs.readdirSync(ctx.ledgerDir).sort();
  const files = (prefix: string) => names.filter((f) => f.startsWith(prefix)).map((f) => path.join(ctx.ledgerDir, f));
  if (ctx.consumers.length > 0) {
    const backwards = backwardCommits(await readEventsOfKind<CommittedEvent>(files('consumer-'), ['committed']));
    metrics.commitsBackwards = backwards.length;
    result.backwardCommits = backwards.slice(0, 20);
  }
  if (ctx.producer.mode === 'fire-and-forget' && ctx.producers.length > 0) metrics.unnoticedFailures = metrics.failed + metrics.unknown;
  if (ctx.outputTopic && ctx.outputRead) {
    const events = await readEventsOfKind<ConsumedEvent | ProducedEvent | TxnEvent>(files('transformer-'), ['consumed', 'txn']);
    const groupOffsets = await ctx.need(ctx.admin, 'the admin client').committed(ctx.transformGroupId, ctx.topic);
    const t = checkTransactions({
      events,
      input: await readRecords(path.join(ctx.dir, 'final-read.jsonl')),
      committed: ctx.outputRead.committed.records,
      uncommitted: ctx.outputRead.uncommitted.records,
      groupOffsets,
    });
    result.transactions = t;
    metrics.outputDuplicates = t.outputDuplicates;
    metrics.outputMissing = t.outputMissing;
    metrics.abortedRead = t.abortedRead;
    metrics.offsetsPastUnprocessed = t.offsetsPastUnprocessed;
    result.examples = { ...result.examples, ...t.examples };
    ctx.log(`transactions: ${t.committedTxns} committed, ${t.abortedTxns} aborted; output duplicates ${t.outputDuplicates}, missing ${t.outputMissing}, aborted read ${t.abortedRead}, offsets past unprocessed ${t.offsetsPastUnprocessed}`);
  }
}

/** The Watch series: the cluster samples beside what the agents did, per second (series.jsonl). */
const watchSeries: Phase = {
  name: 'series',
  async run(ctx) {
    const points = await buildSeries({
      ledgerDir: ctx.ledgerDir,
      samples: readSamples(path.join(ctx.dir, 'watch-samples.jsonl')),
      start: ctx.workloadStart,
      end: ctx.consumersStopped || Date.now(),
      consumers: ctx.consumers.length > 0,
      transformers: ctx.transformers.length > 0,
      // the lag of the transformers' group when there are no consumers
      lag: ctx.consumers.length > 0 || ctx.transformers.length > 0,
    });
    writeSeries(path.join(ctx.dir, 'series.jsonl'), points);
    ctx.result.series = { file: 'series.jsonl', points: points.length, unknownSamples: points.filter((p) => p.partitions === null).length, ...seriesGroupSummary(points) };
  },
};

/** The run counts only if it settled: every fault applied as written, the cluster healthy, the consumers drained, no agent dead. */
const settle: Phase = {
  name: 'settle',
  async run(ctx) {
    const result = ctx.result;
    if (ctx.features) result.features = await ctx.features;
    result.timeline = ctx.nemesis?.timeline ?? [];
    fs.writeFileSync(path.join(ctx.dir, 'faults.json'), JSON.stringify(result.timeline, null, 2));
    const faultErrors = result.timeline.filter((t) => t.error);
    if (faultErrors.length > 0) {
      result.status = 'error';
      result.error = `fault schedule not applied as written: ${faultErrors.map((t) => `#${t.index} ${t.action}: ${t.error}`).join('; ')}`;
    }
    if (result.violations.length > 0) ctx.log(`IDENTITY VIOLATED: ${result.violations.map((v) => `${v.identity}: ${v.detail}`).join('; ')}`);
    const unsettled = unsettledReasons(ctx);
    if (unsettled.length > 0) {
      result.inconclusive = unsettled;
      if (result.status === 'ok') result.status = 'inconclusive';
      ctx.log(`INCONCLUSIVE: ${unsettled.join('; ')}`);
    }
    result.passed = result.status === 'ok' && result.violations.length === 0 && result.thresholds.every((t) => t.pass);
  },
};

export const PHASES: readonly Phase[] = [
  startCluster,
  createTopic,
  startAgents,
  workload,
  stopProducers,
  heal,
  health,
  drainConsumers,
  stopConsumers,
  readLog,
  reconcileRun,
  watchSeries,
  settle,
];

/** Why a run did not settle, in words; empty when it did. */
export function unsettledReasons(ctx: Pick<ProfileContext, 'producers' | 'consumers' | 'transformers' | 'result'>): string[] {
  const reasons: string[] = [];
  for (const a of [...ctx.producers, ...ctx.consumers, ...ctx.transformers]) {
    for (const d of a.deaths) reasons.push(`agent ${d.agent} died on its own at ${d.at} (${d.detail})`);
  }
  const h = ctx.result.health;
  if (h && !h.healthy) reasons.push(`the cluster was not healthy after ${(h.waitedMs / 1000).toFixed(0)}s: ${h.detail}`);
  const d = ctx.result.drain;
  if (d && !d.drained) reasons.push(`the consumers did not drain: ${d.detail}`);
  if (d?.changedAfter) reasons.push(`the log changed after the drain had seen it settle (${d.changedAfter}): the counts are of a log the consumers were not waited for`);
  return reasons;
}

function startProgress(ctx: ProfileContext): void {
  const w = ctx.experiment.workload;
  const sum = (hs: AgentHandle[], k: 'a' | 'b' | 'c') => hs.reduce((n, h) => n + h.totals()[k], 0);
  const timer = setInterval(() => {
    ctx.opts.progress.update({
      profile: ctx.profile.name,
      phase: ctx.phase,
      elapsedMs: Date.now() - ctx.workloadStart,
      durationMs: w.duration,
      sent: sum(ctx.producers, 'a'),
      acked: sum(ctx.producers, 'b'),
      errors: sum(ctx.producers, 'c'),
      // transformers count as consumers here: consumed, and produced in transactions
      consumed: sum(ctx.consumers, 'a') + sum(ctx.transformers, 'a'),
      processed: sum(ctx.consumers, 'b') + sum(ctx.transformers, 'b'),
      faultsApplied: ctx.nemesis?.timeline.filter((t) => t.appliedAt !== null).length ?? 0,
      faultsTotal: ctx.schedule.length,
    });
  }, 250);
  ctx.teardown.defer('progress line', () => {
    clearInterval(timer);
    ctx.opts.progress.done();
  });
}

/** How long the log's ends must stay the same before the drain counts them as final. */
export const LOG_QUIET_MS = 1000;

/**
 * Waits until the log has settled and the consumers are done with all of it. Settled:
 * every partition's ends unchanged for LOG_QUIET_MS (a high watermark can still rise
 * after the producers stop, while followers catch up). Done: for every partition with
 * records, some consumer (in any incarnation) processed an offset at or beyond high
 * watermark - 1, or the group committed the high watermark (commit-then-process may
 * legitimately skip a tail it never processes); and no consumer is in the middle of a
 * batch. Ends at once when a consumer is not running (it cannot drain). Bounded; the
 * report says what was left. The final read checks that the ends stayed as the drain
 * left them.
 */
async function drain(ctx: ProfileContext): Promise<DrainReport> {
  const started = Date.now();
  const consumers = [...ctx.consumers, ...ctx.transformers];
  const groups = [...(ctx.consumers.length > 0 ? [ctx.groupId] : []), ...(ctx.transformers.length > 0 ? [ctx.transformGroupId] : [])];
  const admin = ctx.need(ctx.admin, 'the admin client');
  const timeoutMs = ctx.experiment.workload.drainTimeout;
  const log = new QuietEnds(LOG_QUIET_MS);
  const quietPhrase = () => `the log's ends unchanged for ${(log.unchangedFor(Date.now()) / 1000).toFixed(1)}s`;
  let detail = '';
  for (;;) {
    // a member that left the group on schedule (consumer.leave, the heal of consumer.join) is not dead
    const dead = consumers.filter((c) => !c.running && !c.stoppedOnPurpose).map((c) => c.name);
    if (dead.length > 0) return { drained: false, waitedMs: Date.now() - started, detail: `not running: ${dead.join(', ')}` };
    try {
      const offsets = await admin.offsets(ctx.topic);
      const quiet = log.observe(offsets, Date.now());
      let behind: typeof offsets = [];
      let busy = false;
      let maxProcessed = new Map<number, number>();
      let committed = new Map<number, number>();
      // every group (consumers, transformers) is done with every partition
      for (const group of groups) {
        const members = group === ctx.groupId ? ctx.consumers : ctx.transformers;
        committed = await admin.committed(group, ctx.topic);
        maxProcessed = new Map<number, number>();
        for (const c of members) {
          const s = c.stats as ConsumerStats | TransformerStats | undefined;
          if (s?.busy) busy = true;
          for (const [p, o] of c.maxProcessed) maxProcessed.set(p, Math.max(maxProcessed.get(p) ?? -1, o));
        }
        // a transformer is done only when its transactions committed the input position
        behind = offsets.filter((p) => p.high > p.low && (group === ctx.groupId ? (maxProcessed.get(p.partition) ?? -1) < p.high - 1 : true) && (committed.get(p.partition) ?? -1) < p.high);
        if (behind.length > 0) break;
      }
      if (quiet && behind.length === 0 && !busy) {
        const waited = ((Date.now() - started) / 1000).toFixed(1);
        const done = consumers.length === 0 ? 'no consumers' : `every partition processed or committed up to its high watermark in ${waited}s`;
        return { drained: true, waitedMs: Date.now() - started, detail: `${done}; ${quietPhrase()}`, ends: log.ends };
      }
      const left = [
        ...(quiet ? [] : [`the log is still changing (${quietPhrase()}, ends ${offsets.map((p) => `p${p.partition} ${p.high}`).join(', ')})`]),
        ...(behind.length > 0 ? [`${behind.length} partition(s) not done: ${behind.map((p) => `p${p.partition} processed to ${maxProcessed.get(p.partition) ?? 'none'}, committed ${committed.get(p.partition) ?? 'none'}, end ${p.high}`).join('; ')}`] : []),
        ...(busy ? ['a consumer is in the middle of a batch'] : []),
      ];
      detail = left.join('; ');
    } catch (err) {
      detail = `offsets request failed: ${errorMessage(err)}`;
    }
    if (Date.now() - started >= timeoutMs || ctx.opts.signal.aborted) return { drained: false, waitedMs: Date.now() - started, detail: `not drained within ${timeoutMs / 1000}s: ${detail}` };
    await sleep(200);
  }
}

