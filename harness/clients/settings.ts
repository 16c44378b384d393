// Client settings as Kafka defines them, whatever the client: the properties a profile
// writes (Kafka's own names), resolved with the Java client's defaults into settings every
// driver reads. A driver then maps them to its client or refuses what it cannot honour
// (see driver.ts); what Kafka itself refuses is refused here, for every client.

/** How the application hands a message to the producer and learns its outcome. */
export const PRODUCER_MODES = ['async', 'fire-and-forget', 'sync'] as const;
/**
 * async: send with a callback that checks the result (the default);
 * fire-and-forget: the application never looks at the result (the ledger still records it);
 * sync: send().get(), one message at a time.
 */
export type ProducerMode = (typeof PRODUCER_MODES)[number];

export const CONSUMER_STRATEGIES = ['auto-commit', 'process-then-commit', 'commit-then-process'] as const;
export type ConsumerStrategy = (typeof CONSUMER_STRATEGIES)[number];

/**
 * How manual commits are made: sync = commitSync; async = commitAsync, a failed commit
 * is only logged; async-retry = commitAsync whose callback commits the same offsets again
 * when one fails, after a 2 s backoff, up to 10 times (the retry can land after a later
 * commit and move the offset backwards).
 */
export const COMMIT_MODES = ['sync', 'async', 'async-retry'] as const;
export type CommitMode = (typeof COMMIT_MODES)[number];

/** With several workers: commit the poll's end once handed out, or only what every worker finished, in order. */
export const WORKER_COMMITS = ['in-order', 'ahead'] as const;
export type WorkerCommit = (typeof WORKER_COMMITS)[number];

/** Producer properties as written in an experiment (Kafka names), plus the application's send mode. */
export interface ProducerPropsInput {
  mode?: ProducerMode | undefined;
  acks?: number | undefined;
  retries?: number | undefined;
  'enable.idempotence'?: boolean | undefined;
  'max.in.flight.requests.per.connection'?: number | undefined;
  'linger.ms'?: number | undefined;
  'batch.size'?: number | undefined;
  'request.timeout.ms'?: number | undefined;
  'retry.backoff.ms'?: number | undefined;
  'delivery.timeout.ms'?: number | undefined;
  'compression.type'?: 'none' | 'gzip' | undefined;
  'transactional.id'?: string | undefined;
}

export interface ConsumerSettingsInput {
  strategy: ConsumerStrategy;
  commit?: CommitMode | undefined;
  /** process-then-commit: commit at most this often (ms); 0 or absent: after every poll */
  commitInterval?: number | undefined;
  commitOnRevoke?: boolean | undefined;
  workers?: number | undefined;
  workerCommit?: WorkerCommit | undefined;
  'enable.auto.commit'?: boolean | undefined;
  'auto.commit.interval.ms'?: number | undefined;
  'auto.offset.reset'?: 'earliest' | 'latest' | undefined;
  'session.timeout.ms'?: number | undefined;
  'heartbeat.interval.ms'?: number | undefined;
  'isolation.level'?: 'read_uncommitted' | 'read_committed' | undefined;
  'max.poll.records'?: number | undefined;
  'group.id'?: string | undefined;
  'fetch.max.wait.ms'?: number | undefined;
}

/** What the producer agent does, fully resolved (every default applied and visible in the run record). */
export interface ResolvedProducer {
  mode: ProducerMode;
  acks: -1 | 0 | 1;
  idempotent: boolean;
  retries: number;
  maxInFlightRequests: number;
  lingerMs: number;
  batchBytes: number;
  requestTimeoutMs: number;
  retryBackoffMs: number;
  retryBackoffMaxMs: number;
  deliveryTimeoutMs: number;
  compression: 'none' | 'gzip';
  /** set when the profile runs transactions (the transformer's producer) */
  transactionalId?: string;
}

export interface ResolvedConsumer {
  strategy: ConsumerStrategy;
  commit: CommitMode;
  /** process-then-commit: the processed position is committed at most this often (ms); 0: after every poll */
  commitIntervalMs: number;
  /** commit what was processed in the partitions-revoked callback */
  commitOnRevoke: boolean;
  workers: number;
  workerCommit: WorkerCommit;
  autoCommitIntervalMs: number;
  fromBeginning: boolean;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  readUncommitted: boolean;
  groupId: string | undefined;
  /** how long a fetch waits for data at the end of the log */
  fetchMaxWaitMs: number;
  /** records per poll; null: the client's default (500 in Java) */
  maxPollRecords: number | null;
}

/** A setting that cannot be honoured; `key` is its name in the profile, for an error with file and line. */
export class DriverRefusal extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
  }
}

const INT_MAX = 2147483647;

/**
 * Kafka's Java producer defaults (4.x): acks=all, enable.idempotence=true unless a
 * conflicting setting is given, retries=MAX_INT, max.in.flight=5, linger.ms=5,
 * batch.size=16384, request.timeout.ms=30000, retry.backoff.ms=100 (max 1000),
 * delivery.timeout.ms=120000.
 */
export function resolveProducer(p: ProducerPropsInput): ResolvedProducer {
  const acks = (p.acks ?? -1) as -1 | 0 | 1;
  const retries = p.retries ?? INT_MAX;
  const maxInFlight = p['max.in.flight.requests.per.connection'] ?? 5;
  const explicitIdem = p['enable.idempotence'];
  if (explicitIdem === true) {
    if (acks !== -1) throw new DriverRefusal('enable.idempotence', 'enable.idempotence=true needs acks=all (Kafka refuses this combination too)');
    if (retries === 0) throw new DriverRefusal('enable.idempotence', 'enable.idempotence=true needs retries > 0 (Kafka refuses this combination too)');
    if (maxInFlight > 5) throw new DriverRefusal('enable.idempotence', 'enable.idempotence=true needs max.in.flight.requests.per.connection <= 5 (Kafka refuses this combination too)');
  }
  const txn = p['transactional.id'];
  if (txn !== undefined && explicitIdem === false) {
    throw new DriverRefusal('transactional.id', 'transactional.id needs enable.idempotence (Kafka refuses a transactional producer without it)');
  }
  // like the Java client: idempotence is on by default unless a setting conflicts with it
  const idempotent = explicitIdem ?? (txn !== undefined || (acks === -1 && retries > 0 && maxInFlight <= 5));
  const out: ResolvedProducer = {
    mode: p.mode ?? 'async',
    acks,
    idempotent,
    retries,
    maxInFlightRequests: maxInFlight,
    lingerMs: p['linger.ms'] ?? 5,
    batchBytes: p['batch.size'] ?? 16384,
    requestTimeoutMs: p['request.timeout.ms'] ?? 30_000,
    retryBackoffMs: p['retry.backoff.ms'] ?? 100,
    retryBackoffMaxMs: 1000,
    deliveryTimeoutMs: p['delivery.timeout.ms'] ?? 120_000,
    compression: p['compression.type'] ?? 'none',
  };
  if (txn !== undefined) out.transactionalId = txn;
  return out;
}

/**
 * Consumer defaults follow the Java client except two, chosen for short experiment runs
 * and stated in the README: auto.offset.reset=earliest (a consumer that starts after
 * the first send must still see it) and session.timeout.ms=10000 (a killed consumer's
 * partitions move within seconds, not 45 s).
 */
export function resolveConsumer(c: ConsumerSettingsInput): ResolvedConsumer {
  const sessionTimeoutMs = c['session.timeout.ms'] ?? 10_000;
  const heartbeatIntervalMs = c['heartbeat.interval.ms'] ?? 3000;
  if (heartbeatIntervalMs >= sessionTimeoutMs) {
    throw new DriverRefusal('heartbeat.interval.ms', `heartbeat.interval.ms (${heartbeatIntervalMs}) must be lower than session.timeout.ms (${sessionTimeoutMs})`);
  }
  const workers = c.workers ?? 1;
  if (c.workerCommit !== undefined && workers < 2) {
    throw new DriverRefusal('workerCommit', 'workerCommit needs workers of 2 or more');
  }
  if (c.commit !== undefined && c.strategy === 'auto-commit') {
    throw new DriverRefusal('commit', 'commit (sync, async, async-retry) is how manual commits are made; strategy auto-commit makes none');
  }
  const commitIntervalMs = c.commitInterval ?? 0;
  if (commitIntervalMs > 0 && c.strategy !== 'process-then-commit') {
    throw new DriverRefusal('commitInterval', `commitInterval spaces the commits of process-then-commit; strategy ${c.strategy} commits otherwise`);
  }
  if (commitIntervalMs > 0 && workers > 1) {
    throw new DriverRefusal('commitInterval', 'commitInterval with workers: the workers commit as workerCommit says');
  }
  return {
    strategy: c.strategy,
    commit: c.commit ?? 'sync',
    commitIntervalMs,
    commitOnRevoke: c.commitOnRevoke ?? false,
    workers,
    workerCommit: c.workerCommit ?? 'in-order',
    autoCommitIntervalMs: c['auto.commit.interval.ms'] ?? 5000,
    fromBeginning: (c['auto.offset.reset'] ?? 'earliest') === 'earliest',
    sessionTimeoutMs,
    heartbeatIntervalMs,
    readUncommitted: (c['isolation.level'] ?? 'read_uncommitted') === 'read_uncommitted',
    groupId: c['group.id'],
    // the Java client's default; kafkajs would wait 5 s
    fetchMaxWaitMs: c['fetch.max.wait.ms'] ?? 500,
    maxPollRecords: c['max.poll.records'] ?? null,
  };
}

/** The Java client's producer properties for resolved settings (also the base of other clients' maps). */
export function javaProducerProperties(p: ResolvedProducer): Record<string, string> {
  const out: Record<string, string> = {
    acks: p.acks === -1 ? 'all' : String(p.acks),
    'enable.idempotence': String(p.idempotent),
    retries: String(p.retries),
    'max.in.flight.requests.per.connection': String(p.maxInFlightRequests),
    'linger.ms': String(p.lingerMs),
    'batch.size': String(p.batchBytes),
    'request.timeout.ms': String(p.requestTimeoutMs),
    'retry.backoff.ms': String(p.retryBackoffMs),
    'retry.backoff.max.ms': String(p.retryBackoffMaxMs),
    'delivery.timeout.ms': String(p.deliveryTimeoutMs),
    'compression.type': p.compression,
  };
  if (p.transactionalId !== undefined) out['transactional.id'] = p.transactionalId;
  return out;
}

/** The Java client's consumer properties for resolved settings (group.id is added by the agent config). */
export function javaConsumerProperties(c: ResolvedConsumer): Record<string, string> {
  const out: Record<string, string> = {
    'enable.auto.commit': String(c.strategy === 'auto-commit'),
    'auto.commit.interval.ms': String(c.autoCommitIntervalMs),
    'auto.offset.reset': c.fromBeginning ? 'earliest' : 'latest',
    'session.timeout.ms': String(c.sessionTimeoutMs),
    'heartbeat.interval.ms': String(c.heartbeatIntervalMs),
    'isolation.level': c.readUncommitted ? 'read_uncommitted' : 'read_committed',
    'fetch.max.wait.ms': String(c.fetchMaxWaitMs),
  };
  if (c.maxPollRecords !== null) out['max.poll.records'] = String(c.maxPollRecords);
  return out;
}
