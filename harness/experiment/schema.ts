/**
 * The experiment file: zod schemas for what may be written, the types of the resolved
 * experiment (durations in ms, defaults applied) and `validateExperiment`, which turns
 * plain data (already parsed from YAML) into a resolved experiment or a list of issues
 * with paths. Line numbers are the loader's business (load.ts).
 *
 * Every object is strict: an unknown key is an error, never silently ignored.
 */
import { z } from 'zod';
import { formatDuration } from './duration.ts';
import { describeValue, duration } from './fields.ts';

export { describeValue } from './fields.ts';
import { CONSUMER_METRICS, METRIC_NAMES, type MetricName } from '../reconcile/metrics.ts';
import { FaultSchema, faultType, MixEntrySchema, type FaultSpec } from '../faults/catalogue.ts';
import type { FaultPlan, RandomFaults } from '../faults/schedule.ts';
import { DEFAULT_KAFKA_VERSION } from '../provision/versions.ts';
import { CLIENT_NAMES, DEFAULT_CLIENT, type ClientName } from '../clients/protocol.ts';
import { COMMIT_MODES, CONSUMER_STRATEGIES, PRODUCER_MODES, WORKER_COMMITS, type CommitMode, type ConsumerStrategy, type ProducerMode, type WorkerCommit } from '../clients/settings.ts';

// ---------------------------------------------------------------------------------------
// Resolved types
// ---------------------------------------------------------------------------------------

export { METRIC_NAMES, type MetricName } from '../reconcile/metrics.ts';
/** `{max: N}` means "at most N"; both bounds are inclusive. At least one is set. */
export interface Threshold {
  min?: number;
  max?: number;
}
export type Thresholds = Partial<Record<MetricName, Threshold>>;

/** A Kafka broker or topic property value as written in the file. */
export type PropertyValue = string | number | boolean;
/** Kafka property name (e.g. `min.insync.replicas`) -> value. */
export type PropertyMap = Record<string, PropertyValue>;

/**
 * Producer properties under Kafka's own names. Absent means "not set": the client driver
 * applies Kafka's default, never this schema.
 */
export interface ProducerProps {
  /** how the application sends: async with a checked callback (default), fire-and-forget, sync */
  mode?: ProducerMode;
  /** `all` is normalised to -1 */
  acks?: 0 | 1 | -1;
  retries?: number;
  'enable.idempotence'?: boolean;
  'max.in.flight.requests.per.connection'?: number;
  'linger.ms'?: number;
  'batch.size'?: number;
  'request.timeout.ms'?: number;
  'retry.backoff.ms'?: number;
  'delivery.timeout.ms'?: number;
  'compression.type'?: 'none' | 'gzip';
  'transactional.id'?: string;
}

export { CONSUMER_STRATEGIES, type ConsumerStrategy } from '../clients/settings.ts';

/** How the consumer agent commits, plus Kafka consumer properties (absent = Kafka default). */
export interface ConsumerSettings {
  /** default `process-then-commit` */
  strategy: ConsumerStrategy;
  /** how manual commits are made: sync (default), async, async-retry */
  commit?: CommitMode;
  /** process-then-commit: commit at most this often (ms); absent: after every poll */
  commitInterval?: number;
  /** commit what was processed in the partitions-revoked callback */
  commitOnRevoke?: boolean;
  /** concurrent processing workers per consumer (default 1) */
  workers?: number;
  /** with several workers: commit in order of completion (default) or ahead of processing */
  workerCommit?: WorkerCommit;
  /** if given, true exactly when strategy is `auto-commit` */
  'enable.auto.commit'?: boolean;
  'auto.commit.interval.ms'?: number;
  'auto.offset.reset'?: 'earliest' | 'latest';
  'session.timeout.ms'?: number;
  'heartbeat.interval.ms'?: number;
  'isolation.level'?: 'read_uncommitted' | 'read_committed';
  'max.poll.records'?: number;
  'group.id'?: string;
  'fetch.max.wait.ms'?: number;
}

export type { FaultSpec } from '../faults/catalogue.ts';

export interface Profile {
  name: string;
  description?: string;
  /** the client every agent of this profile runs (default kafkajs) */
  client: ClientName;
  producer: ProducerProps;
  consumer: ConsumerSettings;
  /** topic property overrides, to be merged over `topic.config` (see `effectiveTopicConfig`) */
  topic: PropertyMap;
  /** broker property overrides, to be merged over `cluster.broker` (see `effectiveBrokerConfig`) */
  broker: PropertyMap;
  /** the Kafka version this profile's cluster runs, over `cluster.kafkaVersion` (see `effectiveKafkaVersion`) */
  kafkaVersion?: string;
  expect: Thresholds;
}

export interface ClusterSpec {
  brokers: number;
  /** absent: the provisioner's pinned default */
  kafkaVersion?: string;
  broker: PropertyMap;
}

export interface TopicSpec {
  name: string;
  partitions: number;
  /** default min(3, cluster.brokers) */
  replicationFactor: number;
  config: PropertyMap;
}

/** All durations in ms. */
export interface WorkloadSpec {
  duration: number;
  /** number of producer agents */
  producers: number;
  /** messages per second per producer */
  rate: number;
  /** bytes per message value */
  messageSize: number;
  /** number of consumer agents */
  consumers: number;
  /** number of consume-transform-produce agents (transactions), reading the topic and writing `<topic>-out` */
  transformers: number;
  /** simulated work per message before it counts as processed */
  processingTime: number;
  drainTimeout: number;
  healthTimeout: number;
}

/** The experiment with every default applied. */
export interface ResolvedExperiment {
  name: string;
  description?: string;
  seed: number;
  cluster: ClusterSpec;
  topic: TopicSpec;
  workload: WorkloadSpec;
  faults: FaultPlan;
  profiles: Profile[];
}

/** A loaded experiment: resolved, plus where it came from. */
export interface Experiment extends ResolvedExperiment {
  /** absolute path of the experiment file */
  file: string;
  /** the file's text as read */
  source: string;
}

/** Topic config for one profile: `topic.config` with the profile's overrides on top. */
export function effectiveTopicConfig(experiment: ResolvedExperiment, profile: Profile): PropertyMap {
  return { ...experiment.topic.config, ...profile.topic };
}

/** The Kafka version one profile runs: its own, else `cluster.kafkaVersion`, else the pinned default. */
export function effectiveKafkaVersion(experiment: ResolvedExperiment, profile: Profile): string {
  return profile.kafkaVersion ?? experiment.cluster.kafkaVersion ?? DEFAULT_KAFKA_VERSION;
}

/** Every Kafka version an experiment's profiles run. */
export function kafkaVersionsOf(experiment: ResolvedExperiment): string[] {
  return [...new Set(experiment.profiles.map((p) => effectiveKafkaVersion(experiment, p)))];
}

/** Broker config for one profile: `cluster.broker` with the profile's overrides on top. */
export function effectiveBrokerConfig(experiment: ResolvedExperiment, profile: Profile): PropertyMap {
  return { ...experiment.cluster.broker, ...profile.broker };
}

// ---------------------------------------------------------------------------------------
// Schemas (input as written -> output close to the resolved types)
// ---------------------------------------------------------------------------------------

const KAFKA_PROPERTY_NAME = /^[a-z0-9]+(\.[a-z0-9]+)*$/;
const propertyMap = z
  .record(
    z.string().regex(KAFKA_PROPERTY_NAME, {
      error: (iss) => `not a Kafka property name (lowercase words joined by dots, like min.insync.replicas): ${describeValue(iss.input)}`,
    }),
    z.union([z.string(), z.number(), z.boolean()], {
      error: (iss) => `expected a string, number or boolean, got ${describeValue(iss.input)}`,
    }),
  )
  .prefault({});

const ProducerSchema = z.strictObject({
  mode: z.enum(PRODUCER_MODES).optional(),
  acks: z
    .literal([0, 1, -1, 'all'])
    .transform((v): 0 | 1 | -1 => (v === 'all' ? -1 : v))
    .optional(),
  retries: z.int().min(0).optional(),
  'enable.idempotence': z.boolean().optional(),
  'max.in.flight.requests.per.connection': z.int().min(1).optional(),
  'linger.ms': z.int().min(0).optional(),
  'batch.size': z.int().min(1).optional(),
  'request.timeout.ms': z.int().min(1).optional(),
  'retry.backoff.ms': z.int().min(0).optional(),
  'delivery.timeout.ms': z.int().min(1).optional(),
  'compression.type': z.enum(['none', 'gzip']).optional(),
  'transactional.id': z.string().min(1).optional(),
});

const ConsumerSchema = z
  .strictObject({
    strategy: z.enum(CONSUMER_STRATEGIES).default('process-then-commit'),
    commit: z.enum(COMMIT_MODES).optional(),
    commitInterval: duration().optional(),
    commitOnRevoke: z.boolean().optional(),
    workers: z.int().min(1).max(64).optional(),
    workerCommit: z.enum(WORKER_COMMITS).optional(),
    'enable.auto.commit': z.boolean().optional(),
    'auto.commit.interval.ms': z.int().min(1).optional(),
    'auto.offset.reset': z.enum(['earliest', 'latest']).optional(),
    'session.timeout.ms': z.int().min(1).optional(),
    'heartbeat.interval.ms': z.int().min(1).optional(),
    'isolation.level': z.enum(['read_uncommitted', 'read_committed']).optional(),
    'max.poll.records': z.int().min(1).optional(),
    'group.id': z.string().min(1).optional(),
    'fetch.max.wait.ms': z.int().min(0).optional(),
  })
  .superRefine((c, ctx) => {
    const auto = c['enable.auto.commit'];
    if (auto !== undefined && auto !== (c.strategy === 'auto-commit')) {
      ctx.addIssue({
        code: 'custom',
        path: ['enable.auto.commit'],
        input: auto,
        message: `${auto} conflicts with strategy ${c.strategy}: auto-commit needs true, process-then-commit and commit-then-process need false (or leave it out)`,
      });
    }
  });

const ThresholdObject = z
  .strictObject({ max: z.int().min(0).optional(), min: z.int().min(0).optional() })
  .superRefine((t, ctx) => {
    if (t.min === undefined && t.max === undefined) {
      ctx.addIssue({ code: 'custom', input: t, message: 'set min, max or both' });
    } else if (t.min !== undefined && t.max !== undefined && t.min > t.max) {
      ctx.addIssue({ code: 'custom', path: ['min'], input: t.min, message: `min ${t.min} is greater than max ${t.max}` });
    }
  });
const ThresholdSchema = z
  .union([z.int().min(0), ThresholdObject], {
    error: (iss) => `expected a count N (meaning at most N) or {min, max}, got ${describeValue(iss.input)}`,
  })
  .transform((t): Threshold => {
    if (typeof t === 'number') return { max: t };
    const out: Threshold = {};
    if (t.min !== undefined) out.min = t.min;
    if (t.max !== undefined) out.max = t.max;
    return out;
  });

const ExpectSchema = z.strictObject(
  Object.fromEntries(METRIC_NAMES.map((m) => [m, ThresholdSchema.optional()])) as Record<
    MetricName,
    z.ZodOptional<typeof ThresholdSchema>
  >,
);

const kafkaVersion = z
  .string()
  .regex(/^\d+\.\d+\.\d+$/, { error: (iss) => `expected a version like 4.1.0, got ${describeValue(iss.input)}` });

const ProfileSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
    error: (iss) => `profile names are letters, digits, '.', '_' and '-', starting with a letter or digit; got ${describeValue(iss.input)}`,
  }),
  description: z.string().optional(),
  client: z.enum(CLIENT_NAMES).default(DEFAULT_CLIENT),
  producer: ProducerSchema.prefault({}),
  consumer: ConsumerSchema.prefault({}),
  topic: propertyMap,
  broker: propertyMap,
  kafkaVersion: kafkaVersion.optional(),
  expect: ExpectSchema.prefault({}),
});

/** `faults.random`: faults drawn from a weighted mix at an interval with jitter, from the seed. */
const RandomFaultsSchema = z.strictObject({
  every: duration(100),
  jitter: duration().default(0),
  from: duration().default(0),
  until: duration().optional(),
  heal: duration().optional(),
  mix: z.array(MixEntrySchema).min(1, { error: 'the mix needs at least one fault' }),
});

/** `faults`: a list of faults at fixed times, or `{list, random}` to add generated ones. */
const FaultsSchema = z
  .union([z.array(FaultSchema), z.strictObject({ list: z.array(FaultSchema).default([]), random: RandomFaultsSchema.optional() })])
  .transform((f): FaultPlan => {
    if (Array.isArray(f)) return { form: 'list', list: f };
    return f.random ? { form: 'sections', list: f.list, random: f.random as RandomFaults } : { form: 'sections', list: f.list };
  });

const ClusterSchema = z.strictObject({
  brokers: z.int().min(1).max(9).default(3),
  kafkaVersion: kafkaVersion.optional(),
  broker: propertyMap,
});

const TopicSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, {
      error: (iss) => `topic names are letters, digits, '.', '_' and '-'; got ${describeValue(iss.input)}`,
    })
    .default('chaos'),
  partitions: z.int().min(1).max(64).default(3),
  replicationFactor: z.int().min(1).optional(),
  config: propertyMap,
});

const WorkloadSchema = z.strictObject({
  duration: duration(1000),
  producers: z.int().min(0).max(16).default(1),
  rate: z.int().min(1).max(100_000).default(200),
  messageSize: z.int().min(128).max(1_048_576).default(256),
  consumers: z.int().min(0).max(16).default(1),
  transformers: z.int().min(0).max(16).default(0),
  processingTime: duration().default(0),
  drainTimeout: duration().default(60_000),
  healthTimeout: duration().default(60_000),
});

/** The experiment file as written; its output still lacks the defaults that depend on other sections. */
export const ExperimentFileSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, {
    error: (iss) => `experiment names are lowercase letters, digits and '-', starting with a letter or digit; got ${describeValue(iss.input)}`,
  }),
  description: z.string().optional(),
  /** 32 bits: the schedule's generator takes no more */
  seed: z.int().min(0).max(4294967295).default(1),
  cluster: ClusterSchema.prefault({}),
  topic: TopicSchema.prefault({}),
  workload: WorkloadSchema,
  faults: FaultsSchema.prefault([]),
  profiles: z.array(ProfileSchema).min(1, { error: 'at least one profile is required' }),
});
export type ExperimentFile = z.input<typeof ExperimentFileSchema>;

export const schemas = {
  experiment: ExperimentFileSchema,
  cluster: ClusterSchema,
  topic: TopicSchema,
  workload: WorkloadSchema,
  fault: FaultSchema,
  faults: FaultsSchema,
  profile: ProfileSchema,
  producer: ProducerSchema,
  consumer: ConsumerSchema,
  threshold: ThresholdSchema,
};

// ---------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------

export type IssuePath = Array<string | number>;

/**
 * One problem with the data. `at` tells the loader where to point: at the key itself
 * (unknown or malformed key), at the value, or at the mapping that lacks a required key.
 */
export interface SchemaIssue {
  path: IssuePath;
  message: string;
  at: 'key' | 'value' | 'parent';
}

export type ValidationResult = { ok: true; experiment: ResolvedExperiment } | { ok: false; issues: SchemaIssue[] };

/** `profiles[1].producer.acks`; the empty path is the empty string. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

const EXPECTED_WORDS: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean',
};

function isIntegerSchema(inst: unknown): boolean {
  const def = (inst as { _zod?: { def?: { format?: unknown } } } | undefined)?._zod?.def;
  return def?.format === 'safeint' || def?.format === 'int32';
}

/** Messages for zod's own issues, worded for people editing YAML. Custom messages take precedence. */
function makeErrorMap(unknownKeyContext: WeakMap<object, string[]>): z.core.$ZodErrorMap {
  return (iss) => {
    switch (iss.code) {
      case 'invalid_type':
        if (iss.input === undefined) return 'required key is missing';
        return `expected ${EXPECTED_WORDS[isIntegerSchema(iss.inst) ? 'int' : iss.expected] ?? iss.expected}, got ${describeValue(iss.input)}`;
      case 'too_small':
      case 'too_big': {
        const small = iss.code === 'too_small';
        const bound = small ? iss.minimum : iss.maximum;
        if (iss.origin === 'array') return small ? `must have at least ${bound} item(s)` : `must have at most ${bound} item(s)`;
        if (iss.origin === 'string') return small ? `must not be shorter than ${bound} character(s)` : `must not be longer than ${bound} character(s)`;
        const op = small ? (iss.inclusive ? '>=' : '>') : iss.inclusive ? '<=' : '<';
        return `must be ${op} ${String(bound)}, got ${describeValue(iss.input)}`;
      }
      case 'invalid_value':
        return `expected one of ${iss.values.map((v) => (typeof v === 'string' ? v : String(v))).join(', ')}; got ${describeValue(iss.input)}`;
      case 'invalid_format':
        return `has the wrong format: ${describeValue(iss.input)}`;
      case 'unrecognized_keys': {
        const inst = iss.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined;
        const shape = inst?._zod?.def?.shape;
        if (shape && typeof iss.input === 'object' && iss.input !== null) unknownKeyContext.set(iss.input, Object.keys(shape));
        return `unknown key(s): ${iss.keys.join(', ')}`;
      }
      case 'invalid_key':
        return iss.issues[0]?.message ?? 'invalid key';
      case 'invalid_union': {
        // a discriminated union (faults by action) whose discriminator matched no option
        const d = iss as unknown as { note?: string; discriminator?: string; options?: unknown[] };
        if (d.note === 'No matching discriminator' && d.discriminator && Array.isArray(d.options)) {
          const got = (iss.input as Record<string, unknown> | undefined)?.[d.discriminator];
          if (got === undefined) return 'required key is missing';
          return `expected one of ${d.options.map(String).join(', ')}; got ${describeValue(got)}`;
        }
        return `does not match any allowed form: ${describeValue(iss.input)}`;
      }
      default:
        return undefined;
    }
  };
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = Math.min(up + 1, row[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length]!;
}

function unknownKeyMessage(key: string, allowed: string[] | undefined): string {
  if (allowed === undefined || allowed.length === 0) return 'unknown key';
  const near = allowed
    .map((a) => ({ a, d: distance(key.toLowerCase(), a.toLowerCase()) }))
    .filter(({ a, d }) => d <= (a.length <= 3 ? 1 : Math.max(2, Math.floor(a.length / 3))))
    .sort((x, y) => x.d - y.d)[0];
  if (near) return `unknown key; did you mean ${near.a}?`;
  return `unknown key; allowed here: ${allowed.join(', ')}`;
}

/**
 * A union whose every branch but one failed on the value's type itself (a list where a
 * mapping was expected, say) failed in that one branch: its issues are what the user
 * needs, at their full paths.
 */
function flattenUnions(issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[] = []): z.core.$ZodIssue[] {
  const out: z.core.$ZodIssue[] = [];
  for (const iss of issues) {
    const path = [...prefix, ...iss.path];
    if (iss.code === 'invalid_union' && iss.errors.length > 0) {
      const matching = iss.errors.filter((b) => !(b.length === 1 && b[0]!.code === 'invalid_type' && b[0]!.path.length === 0));
      if (matching.length === 1 && matching[0]!.every((b) => b.path.length > 0)) {
        out.push(...flattenUnions(matching[0]!, path));
        continue;
      }
    }
    out.push({ ...iss, path } as z.core.$ZodIssue);
  }
  return out;
}

function convertIssues(issues: readonly z.core.$ZodIssue[], unknownKeyContext: WeakMap<object, string[]>): SchemaIssue[] {
  const out: SchemaIssue[] = [];
  for (const iss of flattenUnions(issues)) {
    const path = iss.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    if (iss.code === 'unrecognized_keys') {
      const allowed = typeof iss.input === 'object' && iss.input !== null ? unknownKeyContext.get(iss.input) : undefined;
      for (const key of iss.keys) out.push({ path: [...path, key], message: unknownKeyMessage(key, allowed), at: 'key' });
    } else if (iss.code === 'invalid_key') {
      out.push({ path, message: iss.message, at: 'key' });
    } else if (iss.code === 'invalid_type' && iss.input === undefined) {
      out.push({ path, message: iss.message, at: 'parent' });
    } else {
      out.push({ path, message: iss.message, at: 'value' });
    }
  }
  return out;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses one section on its own, for the checks that span sections; undefined if it is invalid. */
function section<T extends z.ZodType>(schema: T, value: unknown): z.output<T> | undefined {
  const r = schema.safeParse(value);
  return r.success ? r.data : undefined;
}

/**
 * Checks that relate different sections. Each runs when the sections it needs are valid
 * by themselves, so they are reported together with the structural issues of other parts.
 */
function crossCheck(raw: unknown): SchemaIssue[] {
  if (!isRecord(raw)) return [];
  const issues: SchemaIssue[] = [];
  const cluster = section(ClusterSchema.prefault({}), raw.cluster);
  const topic = section(TopicSchema.prefault({}), raw.topic);
  const workload = section(WorkloadSchema, raw.workload);

  if (cluster && topic?.replicationFactor !== undefined && topic.replicationFactor > cluster.brokers) {
    issues.push({
      path: ['topic', 'replicationFactor'],
      at: 'value',
      message: `replication factor ${topic.replicationFactor} is more than the ${cluster.brokers} broker(s) of the cluster (cluster.brokers)`,
    });
  }

  // the faults as written: a list, or the list and random mix of `{list, random}`
  const faultEntries: Array<{ raw: unknown; path: IssuePath; timed: boolean }> = [];
  if (Array.isArray(raw.faults)) raw.faults.forEach((f, i) => faultEntries.push({ raw: f, path: ['faults', i], timed: true }));
  else if (isRecord(raw.faults)) {
    if (Array.isArray(raw.faults.list)) raw.faults.list.forEach((f, i) => faultEntries.push({ raw: f, path: ['faults', 'list', i], timed: true }));
    const random = raw.faults.random;
    if (isRecord(random) && Array.isArray(random.mix)) random.mix.forEach((f, i) => faultEntries.push({ raw: f, path: ['faults', 'random', 'mix', i], timed: false }));
  }
  for (const entry of faultEntries) {
    const f = section(entry.timed ? FaultSchema : MixEntrySchema, entry.raw);
    if (!f) continue;
    const at = (key: string): IssuePath => [...entry.path, key];
    if (workload && entry.timed && (f as FaultSpec).at >= workload.duration) {
      issues.push({
        path: at('at'),
        at: 'value',
        message: `fault at ${formatDuration((f as FaultSpec).at)} would fire after the workload ends (workload.duration is ${formatDuration(workload.duration)})`,
      });
    }
    if (topic && typeof f.partition === 'number' && f.partition >= topic.partitions) {
      issues.push({
        path: at('partition'),
        at: 'value',
        message: `partition ${f.partition} does not exist: the topic has ${topic.partitions} partition(s) (0..${topic.partitions - 1})`,
      });
    }
    const targets = faultType(f.action).targets;
    if (targets === 'brokers') {
      const ids = typeof f.target === 'number' ? [f.target] : Array.isArray(f.target) ? (f.target as number[]) : [];
      const bad = ids.filter((id) => cluster && id > cluster.brokers);
      if (cluster && bad.length > 0) issues.push({ path: at('target'), at: 'value', message: noSuchBrokers(bad, cluster.brokers) });
    } else if (targets === 'none' && cluster) {
      // broker ids in a fault's own parameters: reassignment replicas, partition groups
      const replicas = Array.isArray(f.replicas) ? (f.replicas as number[]) : [];
      const badReplicas = replicas.filter((id) => id > cluster.brokers);
      if (badReplicas.length > 0) issues.push({ path: at('replicas'), at: 'value', message: noSuchBrokers(badReplicas, cluster.brokers) });
      if (Array.isArray(f.groups)) {
        const groups = f.groups as number[][];
        const all = groups.flat();
        const badIds = all.filter((id) => id > cluster.brokers);
        if (badIds.length > 0) issues.push({ path: at('groups'), at: 'value', message: noSuchBrokers(badIds, cluster.brokers) });
        const twice = all.filter((id, i) => all.indexOf(id) !== i);
        if (twice.length > 0) issues.push({ path: at('groups'), at: 'value', message: `broker ${[...new Set(twice)].join(', ')} is in more than one group` });
        if (typeof f.clients === 'number' && f.clients >= groups.length) {
          issues.push({ path: at('clients'), at: 'value', message: `there is no group ${f.clients}: groups are numbered 0..${groups.length - 1}` });
        }
      }
    } else if ((targets === 'consumer' || targets === 'producer' || targets === 'transformer') && workload) {
      const role = targets;
      const count = (role === 'consumer' ? workload.consumers : role === 'transformer' ? workload.transformers : workload.producers) ?? 0;
      const field = `workload.${role}s`;
      if (count === 0) {
        issues.push({ path: at('target'), at: 'value', message: `${f.action} needs a ${role}, but ${field} is 0` });
      } else if (typeof f.target === 'number' && f.target >= count) {
        issues.push({
          path: at('target'),
          at: 'value',
          message: `${role} ${f.target} does not exist: ${field} is ${count} (indexes 0..${count - 1})`,
        });
      }
    }
  }

  if (Array.isArray(raw.profiles) && workload && workload.consumers === 0) {
    raw.profiles.forEach((p, i) => {
      if (!isRecord(p) || !isRecord(p.expect)) return;
      for (const key of Object.keys(p.expect)) {
        if (CONSUMER_METRICS.has(key as MetricName)) {
          issues.push({
            path: ['profiles', i, 'expect', key],
            at: 'key',
            message: `${key} is a consumer metric and is n/a here: workload.consumers is 0`,
          });
        }
      }
    });
  }

  if (Array.isArray(raw.profiles)) {
    const seen = new Map<string, number>();
    raw.profiles.forEach((p, i) => {
      if (!isRecord(p) || typeof p.name !== 'string') return;
      const first = seen.get(p.name);
      if (first === undefined) seen.set(p.name, i);
      else issues.push({ path: ['profiles', i, 'name'], at: 'value', message: `duplicate profile name ${p.name} (also profiles[${first}])` });
    });
  }
  return issues;
}

function noSuchBrokers(ids: number[], brokers: number): string {
  const list = [...new Set(ids)];
  return `${list.length === 1 ? `broker ${list[0]} does not exist` : `brokers ${list.join(', ')} do not exist`}: the cluster has ${brokers} broker(s) (ids 1..${brokers})`;
}

/** Validates plain data (e.g. from YAML) and applies every default. */
export function validateExperiment(raw: unknown): ValidationResult {
  const unknownKeyContext = new WeakMap<object, string[]>();
  const parsed = ExperimentFileSchema.safeParse(raw, { reportInput: true, error: makeErrorMap(unknownKeyContext) });
  const issues = [...(parsed.success ? [] : convertIssues(parsed.error.issues, unknownKeyContext)), ...crossCheck(raw)];
  if (issues.length > 0 || !parsed.success) return { ok: false, issues };
  const f = parsed.data;
  const experiment: ResolvedExperiment = {
    name: f.name,
    ...(f.description !== undefined ? { description: f.description } : {}),
    seed: f.seed,
    cluster: f.cluster,
    topic: { ...f.topic, replicationFactor: f.topic.replicationFactor ?? Math.min(3, f.cluster.brokers) },
    workload: f.workload,
    faults: f.faults,
    profiles: f.profiles,
  };
  return { ok: true, experiment };
}
