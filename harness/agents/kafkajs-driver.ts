// The kafkajs client driver: maps Kafka's own property names to kafkajs options, applies
// the Java client's defaults where kafkajs differs, and refuses what it cannot honour.
import type { CompressionTypes as KafkaJsCompression } from 'kafkajs';

/** Producer properties as written in an experiment (Kafka names). */
export interface ProducerPropsInput {
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

export type ConsumerStrategy = 'auto-commit' | 'process-then-commit' | 'commit-then-process';

export interface ConsumerSettingsInput {
  strategy: ConsumerStrategy;
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
}

export interface ResolvedConsumer {
  strategy: ConsumerStrategy;
  autoCommitIntervalMs: number;
  fromBeginning: boolean;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  readUncommitted: boolean;
  groupId: string | undefined;
  /** how long a fetch waits for data at the end of the log (kafkajs maxWaitTimeInMs) */
  fetchMaxWaitMs: number;
}

/** A property the driver cannot honour; `key` is the Kafka name, for an error with file and line. */
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
  if (p['transactional.id'] !== undefined) {
    throw new DriverRefusal('transactional.id', 'transactional.id: the kafkajs producer agent does not run transactions yet (planned for the P8 scenario)');
  }
  const acks = (p.acks ?? -1) as -1 | 0 | 1;
  const retries = p.retries ?? INT_MAX;
  const maxInFlight = p['max.in.flight.requests.per.connection'] ?? 5;
  const explicitIdem = p['enable.idempotence'];
  if (explicitIdem === true) {
    if (acks !== -1) throw new DriverRefusal('enable.idempotence', 'enable.idempotence=true needs acks=all (Kafka refuses this combination too)');
    if (retries === 0) throw new DriverRefusal('enable.idempotence', 'enable.idempotence=true needs retries > 0 (Kafka refuses this combination too)');
    if (maxInFlight > 5) throw new DriverRefusal('enable.idempotence', 'enable.idempotence=true needs max.in.flight.requests.per.connection <= 5 (Kafka refuses this combination too)');
  }
  // like the Java client: idempotence is on by default unless a setting conflicts with it
  const idempotent = explicitIdem ?? (acks === -1 && retries > 0 && maxInFlight <= 5);
  const compression = p['compression.type'] ?? 'none';
  return {
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
    compression,
  };
}

/**
 * Consumer defaults follow the Java client except two, chosen for short experiment runs
 * and stated in the README: auto.offset.reset=earliest (a consumer that starts after
 * the first send must still see it) and session.timeout.ms=10000 (a killed consumer's
 * partitions move within seconds, not 45 s).
 */
export function resolveConsumer(c: ConsumerSettingsInput): ResolvedConsumer {
  if (c['max.poll.records'] !== undefined) {
    throw new DriverRefusal('max.poll.records', 'max.poll.records: kafkajs has no per-poll record limit; the kafkajs driver cannot honour it');
  }
  const sessionTimeoutMs = c['session.timeout.ms'] ?? 10_000;
  const heartbeatIntervalMs = c['heartbeat.interval.ms'] ?? 3000;
  if (heartbeatIntervalMs >= sessionTimeoutMs) {
    throw new DriverRefusal('heartbeat.interval.ms', `heartbeat.interval.ms (${heartbeatIntervalMs}) must be lower than session.timeout.ms (${sessionTimeoutMs})`);
  }
  return {
    strategy: c.strategy,
    autoCommitIntervalMs: c['auto.commit.interval.ms'] ?? 5000,
    fromBeginning: (c['auto.offset.reset'] ?? 'earliest') === 'earliest',
    sessionTimeoutMs,
    heartbeatIntervalMs,
    readUncommitted: (c['isolation.level'] ?? 'read_uncommitted') === 'read_uncommitted',
    groupId: c['group.id'],
    // the Java client's default; kafkajs would wait 5 s
    fetchMaxWaitMs: c['fetch.max.wait.ms'] ?? 500,
  };
}

export function kafkajsCompression(c: 'none' | 'gzip', types: typeof KafkaJsCompression): KafkaJsCompression {
  return c === 'gzip' ? types.GZIP : types.None;
}

/** Broker error types after which the write is known not to have been appended. */
const DEFINITE_REFUSALS = new Set([
  'NOT_ENOUGH_REPLICAS',
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_REQUIRED_ACKS',
  'TOPIC_AUTHORIZATION_FAILED',
  'INVALID_TOPIC_EXCEPTION',
  'UNSUPPORTED_FOR_MESSAGE_FORMAT',
  'INVALID_PRODUCER_EPOCH',
  'PRODUCER_FENCED',
]);

export interface ClassifiedError {
  code: string;
  retriable: boolean;
  definite: boolean;
}

/**
 * Reduces a kafkajs error to its root cause. `attempts` is how many times the batch was
 * sent, as the producer agent counted them itself (kafkajs' own retry count is missing
 * from errors it gives up on without retrying). The failure is definite only when the
 * cause is a broker refusal that guarantees no append and it answered the one and only
 * attempt: after an earlier attempt that timed out or lost its connection, the write may
 * be in the log, whatever the last answer says.
 */
export function classifyError(err: unknown, attempts: number): ClassifiedError {
  let e: unknown = err;
  const seen = new Set<unknown>();
  let retriable = false;
  while (e && typeof e === 'object' && !seen.has(e)) {
    seen.add(e);
    const o = e as { type?: unknown; name?: unknown; cause?: unknown; originalError?: unknown; retriable?: unknown; errors?: unknown };
    if (typeof o.retriable === 'boolean') retriable = o.retriable;
    if (typeof o.type === 'string' && o.type.length > 0) {
      return { code: o.type, retriable, definite: DEFINITE_REFUSALS.has(o.type) && attempts === 1 };
    }
    const next = o.cause ?? o.originalError ?? (Array.isArray(o.errors) ? o.errors[0] : undefined);
    if (!next) return { code: typeof o.name === 'string' ? o.name : 'Error', retriable, definite: false };
    e = next;
  }
  return { code: 'Error', retriable, definite: false };
}
