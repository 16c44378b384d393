// The run: for each profile, a fresh cluster and the phases of phases.ts over a run
// context; the profiles share the seeded fault schedule.
import fs from 'node:fs';
import path from 'node:path';
import { clientDriver } from '../clients/catalogue.ts';
import type { AgentRole } from '../clients/protocol.ts';
import { DriverRefusal, resolveConsumer, resolveProducer, type ResolvedConsumer, type ResolvedProducer } from '../clients/settings.ts';
import { effectiveBrokerConfig, effectiveTopicConfig, type Experiment, type Profile } from '../experiment/schema.ts';
import { buildSchedule, type ScheduledFault } from '../faults/schedule.ts';
import { resolveReporters, runReporters, type ReporterOptions } from '../report/reporter.ts';
import { summariseRepetitions } from '../report/repetitions.ts';
import type { ProfileResult, RunResult } from '../report/types.ts';
import { errorMessage } from '../util/errors.ts';
import { ProfileContext, type RunOptions } from './context.ts';
import { PHASES } from './phases.ts';

export type { RunOptions } from './context.ts';

const stringify = (m: Record<string, string | number | boolean>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, String(v)]));

/** A setting of one profile that cannot be honoured; `path` is its key path in the profile (e.g. ['consumer', 'commit']). */
export class ProfileRefusal extends Error {
  constructor(
    readonly profileIndex: number,
    readonly path: string[],
    message: string,
  ) {
    super(message);
  }
}

export interface ResolvedProfile {
  profile: Profile;
  producer: ResolvedProducer;
  consumer: ResolvedConsumer;
}

/** The agent roles an experiment's workload starts. */
export function rolesOf(exp: Experiment): AgentRole[] {
  const roles: AgentRole[] = [];
  if (exp.workload.producers > 0) roles.push('producer');
  if (exp.workload.consumers > 0) roles.push('consumer');
  if (exp.workload.transformers > 0) roles.push('transformer');
  return roles;
}

/** `consumer.max.poll.records` -> ['consumer', 'max.poll.records']: a section and a Kafka property name. */
function refusalPath(key: string, section: string | undefined): string[] {
  if (section) return [section, key];
  const dot = key.indexOf('.');
  return dot < 0 ? [key] : [key.slice(0, dot), key.slice(dot + 1)];
}

/**
 * Resolves each profile's client settings and asks its client's driver what it cannot
 * honour, before anything starts. Throws a ProfileRefusal (the first found) naming the
 * profile and the setting.
 */
export function resolveProfiles(exp: Experiment): ResolvedProfile[] {
  const roles = rolesOf(exp);
  return exp.profiles.map((profile, i) => {
    const resolve = <T>(section: string, fn: () => T): T => {
      try {
        return fn();
      } catch (err) {
        if (err instanceof DriverRefusal) throw new ProfileRefusal(i, refusalPath(err.key, section), err.message);
        throw err;
      }
    };
    const producer = resolve('producer', () => resolveProducer(profile.producer));
    const consumer = resolve('consumer', () => resolveConsumer(profile.consumer));
    // a transformer's producer is transactional: idempotent with acks=all, whatever the profile says;
    // what conflicts with that is refused here, before anything starts
    if (roles.includes('transformer')) {
      const p = profile.producer;
      const conflict = p.retries === 0 ? 'retries' : (p['max.in.flight.requests.per.connection'] ?? 5) > 5 ? 'max.in.flight.requests.per.connection' : p['enable.idempotence'] === false ? 'enable.idempotence' : undefined;
      if (conflict) {
        throw new ProfileRefusal(i, ['producer', conflict], `${conflict}=${String(p[conflict as keyof typeof p])}: the transformers write in transactions, which need an idempotent producer (retries > 0, max.in.flight.requests.per.connection <= 5)`);
      }
    }
    const refused = clientDriver(profile.client).refusals({ producer, consumer, roles });
    if (refused[0]) throw new ProfileRefusal(i, refusalPath(refused[0].key, undefined), `client ${profile.client}: ${refused[0].message}`);
    return { profile, producer, consumer };
  });
}

/**
 * Writes a finished run's report into its run directory with these reporters (see
 * report/reporter.ts). The json reporter always runs: result.json is the run's record,
 * from which `kafka-chaos report` renders every reporter again. Returns the reporters'
 * failures (one failing reporter does not stop the others).
 */
export async function writeReport(result: RunResult, reporters: readonly string[] = ['markdown'], opts: ReporterOptions = {}): Promise<string[]> {
  const { errors } = await runReporters(resolveReporters(['json', ...reporters], opts), result);
  return errors.map((e) => e.message);
}

export async function runExperiment(opts: RunOptions): Promise<RunResult> {
  const exp = opts.experiment;
  const startedAt = new Date().toISOString();
  const resolved = resolveProfiles(exp).filter((r) => !opts.only || opts.only.includes(r.profile.name));
  const schedule = buildSchedule(exp.faults, { seed: exp.seed, brokers: exp.cluster.brokers, producers: exp.workload.producers, consumers: exp.workload.consumers, transformers: exp.workload.transformers, durationMs: exp.workload.duration });
  fs.mkdirSync(opts.runDir, { recursive: true });
  fs.writeFileSync(path.join(opts.runDir, 'experiment.yaml'), exp.source);
  const { source: _source, ...resolvedExperiment } = exp;
  fs.writeFileSync(path.join(opts.runDir, 'experiment.resolved.json'), JSON.stringify({ ...resolvedExperiment, schedule }, null, 2));

  const profiles: ProfileResult[] = [];
  const repeat = Math.max(1, opts.repeat ?? 1);
  for (const r of resolved) {
    for (let rep = 1; rep <= repeat; rep++) {
      if (opts.signal.aborted) break;
      const result = await runProfile(opts, r.profile, r.producer, r.consumer, schedule, repeat > 1 ? rep : undefined);
      profiles.push(result);
      fs.writeFileSync(path.join(result.dir, 'result.json'), JSON.stringify(result, null, 2));
    }
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
    ...(repeat > 1 ? { repeat, repetitions: summariseRepetitions(profiles) } : {}),
    exitCode,
  };
}

async function runProfile(opts: RunOptions, profile: Profile, producer: ResolvedProducer, consumer: ResolvedConsumer, schedule: ScheduledFault[], repetition?: number): Promise<ProfileResult> {
  const exp = opts.experiment;
  const topicConfig = stringify(effectiveTopicConfig(exp, profile));
  // the broker-wide default is 2 (for internal topics); the test topic states its own, Kafka's default 1 unless set
  topicConfig['min.insync.replicas'] ??= '1';
  const result: ProfileResult = {
    profile: profile.name,
    ...(repetition !== undefined ? { repetition } : {}),
    ...(profile.description ? { description: profile.description } : {}),
    status: 'ok',
    // each repetition has its own directory: profiles/<name>/run-<k>
    dir: repetition === undefined ? path.join(opts.runDir, 'profiles', profile.name) : path.join(opts.runDir, 'profiles', profile.name, `run-${repetition}`),
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
