// The run: for each profile, a fresh cluster and the phases of phases.ts over a run
// context; the profiles share the seeded fault schedule.
import fs from 'node:fs';
import path from 'node:path';
import { resolveConsumer, resolveProducer, type ResolvedConsumer, type ResolvedProducer } from '../agents/kafkajs-driver.ts';
import { effectiveBrokerConfig, effectiveTopicConfig, type Experiment, type Profile } from '../experiment/schema.ts';
import { buildSchedule, type ScheduledFault } from '../faults/schedule.ts';
import { renderSummary } from '../report/render.ts';
import type { ProfileResult, RunResult } from '../report/types.ts';
import { errorMessage } from '../util/errors.ts';
import { ProfileContext, type RunOptions } from './context.ts';
import { PHASES } from './phases.ts';

export type { RunOptions } from './context.ts';

const stringify = (m: Record<string, string | number | boolean>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, String(v)]));

/** Resolves each profile's client settings (the driver refuses what it cannot honour) before anything starts. */
export function resolveProfiles(exp: Experiment): Array<{ profile: Profile; producer: ResolvedProducer; consumer: ResolvedConsumer }> {
  return exp.profiles.map((profile) => ({ profile, producer: resolveProducer(profile.producer), consumer: resolveConsumer(profile.consumer) }));
}

/** Writes a finished run's report into its run directory: result.json and summary.md. */
export function writeReport(result: RunResult): void {
  fs.writeFileSync(path.join(result.runDir, 'result.json'), JSON.stringify(result, null, 2));
  fs.writeFileSync(path.join(result.runDir, 'summary.md'), renderSummary(result));
}

export async function runExperiment(opts: RunOptions): Promise<RunResult> {
  const exp = opts.experiment;
  const startedAt = new Date().toISOString();
  const resolved = resolveProfiles(exp).filter((r) => !opts.only || opts.only.includes(r.profile.name));
  const schedule = buildSchedule(exp.faults, { seed: exp.seed, brokers: exp.cluster.brokers, producers: exp.workload.producers, consumers: exp.workload.consumers, durationMs: exp.workload.duration });
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
  // a harness error, a broken check or a run that did not settle is never a result
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

async function runProfile(opts: RunOptions, profile: Profile, producer: ResolvedProducer, consumer: ResolvedConsumer, schedule: ScheduledFault[]): Promise<ProfileResult> {
  const exp = opts.experiment;
  const topicConfig = stringify(effectiveTopicConfig(exp, profile));
  // the broker-wide default is 2 (for internal topics); the test topic states its own, Kafka's default 1 unless set
  topicConfig['min.insync.replicas'] ??= '1';
  const result: ProfileResult = {
    profile: profile.name,
    ...(profile.description ? { description: profile.description } : {}),
    status: 'ok',
    dir: path.join(opts.runDir, 'profiles', profile.name),
    producer,
    consumer,
    topicConfig,
    brokerConfig: stringify(effectiveBrokerConfig(exp, profile)),
    versions: {},
    violations: [],
    thresholds: [],
    passed: false,
    timeline: [],
    tornLedgerTails: [],
    durations: {},
  };
  const ctx = new ProfileContext(opts, profile, producer, consumer, schedule, result);
  const t0 = Date.now();
  try {
    for (const phase of PHASES) {
      ctx.checkAborted();
      const s = Date.now();
      try {
        await phase.run(ctx);
      } finally {
        result.durations[phase.name] = Date.now() - s;
      }
    }
  } catch (err) {
    result.status = opts.signal.aborted ? 'interrupted' : 'error';
    result.error = errorMessage(err);
    result.passed = false;
    if (ctx.nemesis) result.timeline = ctx.nemesis.timeline;
    ctx.log(`${result.status === 'interrupted' ? 'interrupted' : 'FAILED'}: ${result.error}`);
  } finally {
    await ctx.teardown.run((l) => ctx.log(l));
    result.durations.total = Date.now() - t0;
  }
  return result;
}
