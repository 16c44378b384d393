// The librdkafka client driver: @confluentinc/kafka-javascript's native API (the
// node-rdkafka style Producer and KafkaConsumer over librdkafka; not its
// KafkaJS-compatible layer, which changes semantics). It maps the resolved settings to
// librdkafka's own property names, refuses what librdkafka cannot honour, and starts
// agents with clients/librdkafka/agent.ts.
//
// The package is an optional dependency: its install builds librdkafka from source
// (CKJS_LINKING=dynamic, against the system's zlib, OpenSSL, zstd, lz4 and SASL), and a
// failed install of an optional dependency leaves no package directory behind (npm
// removes it and carries on). So whether the client is there is only known by loading it.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { PrerequisiteError, errorMessage } from '../../util/errors.ts';
import type { ClientDriver, ClientUse, PreparedClient } from '../driver.ts';
import { nodeAgentCommand } from '../node-agent.ts';
import { DriverRefusal, type ResolvedConsumer, type ResolvedProducer } from '../settings.ts';

export const LIBRDKAFKA_PACKAGE = '@confluentinc/kafka-javascript';
const AGENT = fileURLToPath(new URL('./agent.ts', import.meta.url));

/** How to get the client, for a PrerequisiteError. */
export const LIBRDKAFKA_INSTALL_HINT =
  `the librdkafka client (${LIBRDKAFKA_PACKAGE}, an optional dependency) builds librdkafka from source: ` +
  'install the build prerequisites (Debian/Ubuntu: apt-get install build-essential python3 zlib1g-dev libssl-dev libzstd-dev liblz4-dev libsasl2-dev), ' +
  'then run `CKJS_LINKING=dynamic npm install` (or `CKJS_LINKING=dynamic npm ci`) in the kafka-chaos directory';

// ---- the parts of the native API the agent uses (typed here: the package is optional,
// so nothing may import its types statically) -------------------------------------------

export interface RdError {
  message: string;
  code: number;
  errno?: number;
  origin?: string;
  isFatal?: boolean;
  isRetriable?: boolean;
  isTxnRequiresAbort?: boolean;
}

export interface RdTopicPartition {
  topic: string;
  partition: number;
  offset?: number;
  error?: RdError;
}

export interface RdTopicPartitionOffset extends RdTopicPartition {
  offset: number;
}

export interface RdMessage {
  topic: string;
  partition: number;
  offset: number;
  value: Buffer | null;
  key?: Buffer | string | null;
}

export interface RdDeliveryReport {
  topic: string;
  partition: number;
  offset: number;
  opaque?: unknown;
}

export type RdConfig = Record<string, string | number | boolean | ((...args: never[]) => unknown)>;

interface RdClient {
  connect(opts: { timeout?: number } | undefined, cb: (err: RdError | null | undefined) => void): unknown;
  /** the producer's flushes for `timeout` first; the consumer's takes only the callback */
  disconnect(...args: [cb: (err: unknown) => void] | [timeout: number, cb: (err: unknown) => void]): unknown;
  isConnected(): boolean;
  on(event: string, listener: (...args: never[]) => void): unknown;
}

export interface RdProducer extends RdClient {
  produce(topic: string, partition: number, value: Buffer, key: string, timestamp: null, opaque: unknown): unknown;
  setPollInterval(ms: number): unknown;
  poll(): unknown;
  flush(timeout: number, cb: (err: RdError | null | undefined) => void): unknown;
  initTransactions(timeout: number, cb: (err: RdError | null | undefined) => void): void;
  beginTransaction(cb: (err: RdError | null | undefined) => void): void;
  commitTransaction(timeout: number, cb: (err: RdError | null | undefined) => void): void;
  abortTransaction(timeout: number, cb: (err: RdError | null | undefined) => void): void;
  sendOffsetsToTransaction(offsets: RdTopicPartitionOffset[], consumer: RdConsumer, timeout: number, cb: (err: RdError | null | undefined) => void): void;
}

export interface RdConsumer extends RdClient {
  subscribe(topics: string[]): unknown;
  consume(n: number, cb: (err: RdError | null | undefined, messages: RdMessage[]) => void): void;
  setDefaultConsumeTimeout(ms: number): void;
  setDefaultIsTimeoutOnlyForFirstMessage?(v: boolean): void;
  assign(tps: RdTopicPartition[]): unknown;
  unassign(): unknown;
  incrementalAssign(tps: RdTopicPartition[]): unknown;
  incrementalUnassign(tps: RdTopicPartition[]): unknown;
  rebalanceProtocol(): string;
  assignmentLost?(): boolean;
  commit(tps: RdTopicPartitionOffset[]): unknown;
  commitSync(tps: RdTopicPartitionOffset[]): unknown;
  offsetsStore(tps: RdTopicPartitionOffset[]): unknown;
  committed(tps: RdTopicPartition[], timeout: number, cb: (err: RdError | null | undefined, tps: RdTopicPartitionOffset[]) => void): unknown;
  seek(tp: RdTopicPartitionOffset, timeout: number, cb: (err: RdError | null | undefined) => void): unknown;
  pause(tps: RdTopicPartition[]): unknown;
  resume(tps: RdTopicPartition[]): unknown;
  assignments(): RdTopicPartition[];
}

export interface Rdkafka {
  Producer: new (conf: RdConfig, topicConf?: RdConfig) => RdProducer;
  KafkaConsumer: new (conf: RdConfig, topicConf?: RdConfig) => RdConsumer;
  CODES: { ERRORS: Record<string, number> };
  librdkafkaVersion: string;
  features: string[];
}

/** The loaded client and its versions. */
export interface LoadedLibrdkafka {
  kafka: Rdkafka;
  librdkafkaVersion: string;
  packageVersion: string;
}

/**
 * Loads the native client. A missing package (never installed, or its install failed and
 * npm removed it) and a package without its compiled addon (`Could not locate the
 * bindings file`) both end in a PrerequisiteError saying how to get it.
 */
export async function loadLibrdkafka(): Promise<LoadedLibrdkafka> {
  let mod: { default?: unknown };
  try {
    // a specifier in a variable: no static import of an optional package
    const spec: string = LIBRDKAFKA_PACKAGE;
    mod = (await import(spec)) as { default?: unknown };
  } catch (err) {
    throw new PrerequisiteError(`${LIBRDKAFKA_PACKAGE} cannot be loaded (${firstLine(errorMessage(err))}): ${LIBRDKAFKA_INSTALL_HINT}`);
  }
  const kafka = (mod.default ?? mod) as Partial<Rdkafka>;
  if (typeof kafka.Producer !== 'function' || typeof kafka.KafkaConsumer !== 'function' || typeof kafka.librdkafkaVersion !== 'string') {
    throw new PrerequisiteError(`${LIBRDKAFKA_PACKAGE} loaded without its native Producer/KafkaConsumer: ${LIBRDKAFKA_INSTALL_HINT}`);
  }
  return { kafka: kafka as Rdkafka, librdkafkaVersion: kafka.librdkafkaVersion, packageVersion: packageVersion() };
}

function packageVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    const main = require.resolve(LIBRDKAFKA_PACKAGE);
    // lib/index.js -> the package root
    let dir = main;
    for (let i = 0; i < 4; i++) {
      dir = dir.slice(0, dir.lastIndexOf('/'));
      const file = `${dir}/package.json`;
      if (fs.existsSync(file)) {
        const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === LIBRDKAFKA_PACKAGE && pkg.version) return pkg.version;
      }
    }
  } catch {
    // fall through
  }
  return 'unknown';
}

function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return i < 0 ? s : s.slice(0, i);
}

// ---- settings -------------------------------------------------------------------------

/** librdkafka's ranges where they are narrower than the Java client's. */
const LIMITS = {
  requestTimeoutMs: 900_000,
  retryBackoffMs: 300_000,
  fetchWaitMaxMs: 300_000,
  lingerMs: 900_000,
  sessionTimeoutMs: 3_600_000,
  autoCommitIntervalMs: 86_400_000,
} as const;

/**
 * librdkafka's properties for resolved producer settings. Where librdkafka's default
 * differs from the Java client's (idempotence off, 5 retries... ) the value is always
 * written, so the client runs with the Java defaults the settings resolved to.
 */
export function librdkafkaProducerProperties(p: ResolvedProducer): Record<string, string> {
  const out: Record<string, string> = {
    acks: p.acks === -1 ? 'all' : String(p.acks),
    'enable.idempotence': String(p.idempotent),
    // librdkafka's name for retries (`retries` is its alias)
    'message.send.max.retries': String(p.retries),
    'max.in.flight.requests.per.connection': String(p.maxInFlightRequests),
    'linger.ms': String(p.lingerMs),
    // the largest batch of one partition in bytes: the Java meaning, librdkafka's default is 1 MB
    'batch.size': String(p.batchBytes),
    // how long the producer waits for a broker's answer to a produce request
    'request.timeout.ms': String(p.requestTimeoutMs),
    'retry.backoff.ms': String(p.retryBackoffMs),
    'retry.backoff.max.ms': String(p.retryBackoffMaxMs),
    // delivery.timeout.ms is librdkafka's alias of message.timeout.ms: the time a message may take, retries included
    'message.timeout.ms': String(p.deliveryTimeoutMs),
    'compression.codec': p.compression,
  };
  if (p.transactionalId !== undefined) out['transactional.id'] = p.transactionalId;
  return out;
}

/**
 * librdkafka's properties for resolved consumer settings. enable.auto.offset.store is
 * always false: the agent stores the offsets auto-commit may commit itself, where the
 * Java client's position would have moved (see agent.ts), instead of librdkafka storing
 * each record's offset as it hands it out.
 */
export function librdkafkaConsumerProperties(c: ResolvedConsumer, groupId: string): Record<string, string> {
  return {
    'group.id': c.groupId ?? groupId,
    'enable.auto.commit': String(c.strategy === 'auto-commit'),
    'enable.auto.offset.store': 'false',
    'auto.commit.interval.ms': String(c.autoCommitIntervalMs),
    'auto.offset.reset': c.fromBeginning ? 'earliest' : 'latest',
    'session.timeout.ms': String(c.sessionTimeoutMs),
    'heartbeat.interval.ms': String(c.heartbeatIntervalMs),
    'isolation.level': c.readUncommitted ? 'read_uncommitted' : 'read_committed',
    // fetch.max.wait.ms in librdkafka's name
    'fetch.wait.max.ms': String(c.fetchMaxWaitMs),
  };
}

/** What librdkafka cannot honour of these settings, by the key a profile writes. */
export function librdkafkaRefusals({ producer, consumer, roles }: ClientUse): DriverRefusal[] {
  const out: DriverRefusal[] = [];
  const produces = roles.includes('producer') || roles.includes('transformer');
  const consumes = roles.includes('consumer') || roles.includes('transformer');
  const range = (key: string, value: number, min: number, max: number) => {
    if (value < min || value > max) out.push(new DriverRefusal(key, `${key.slice(key.indexOf('.') + 1)}=${value}: librdkafka accepts ${min} to ${max}`));
  };
  if (produces) {
    range('producer.request.timeout.ms', producer.requestTimeoutMs, 1, LIMITS.requestTimeoutMs);
    range('producer.retry.backoff.ms', producer.retryBackoffMs, 1, LIMITS.retryBackoffMs);
    range('producer.linger.ms', producer.lingerMs, 0, LIMITS.lingerMs);
    if (producer.retryBackoffMaxMs < producer.retryBackoffMs) {
      out.push(new DriverRefusal('producer.retry.backoff.ms', `retry.backoff.ms=${producer.retryBackoffMs}: librdkafka needs it no larger than retry.backoff.max.ms (${producer.retryBackoffMaxMs})`));
    }
    if (producer.batchBytes < 1) out.push(new DriverRefusal('producer.batch.size', `batch.size=${producer.batchBytes}: librdkafka needs at least 1 byte`));
  }
  if (roles.includes('producer') && producer.transactionalId !== undefined) {
    out.push(new DriverRefusal('producer.transactional.id', 'transactional.id: the producer role does not run transactions; transactions run in the transformer role (workload.transformers)'));
  }
  if (consumes) {
    range('consumer.fetch.max.wait.ms', consumer.fetchMaxWaitMs, 0, LIMITS.fetchWaitMaxMs);
    range('consumer.session.timeout.ms', consumer.sessionTimeoutMs, 1, LIMITS.sessionTimeoutMs);
    range('consumer.auto.commit.interval.ms', consumer.autoCommitIntervalMs, 0, LIMITS.autoCommitIntervalMs);
    // max.poll.records has no librdkafka property for a classic consumer (its
    // max.poll.records is for share consumers only); the agent honours it as the record
    // count of consume(n), which returns up to n records like one poll()
    if (consumer.maxPollRecords !== null && consumer.maxPollRecords < 1) {
      out.push(new DriverRefusal('consumer.max.poll.records', `max.poll.records=${consumer.maxPollRecords}: must be at least 1`));
    }
    if (consumer.commitIntervalMs > 0) {
      out.push(new DriverRefusal('consumer.commitInterval', 'commitInterval: the librdkafka agent commits after every batch; use client java'));
    }
  }
  return out;
}

export const librdkafkaDriver: ClientDriver = {
  name: 'librdkafka',
  description: `librdkafka (C) through ${LIBRDKAFKA_PACKAGE}'s native API; optional dependency, built from source (CKJS_LINKING=dynamic)`,
  refusals: librdkafkaRefusals,
  producerProperties: librdkafkaProducerProperties,
  consumerProperties: librdkafkaConsumerProperties,
  async prepare(opts): Promise<PreparedClient> {
    const { librdkafkaVersion, packageVersion } = await loadLibrdkafka();
    return {
      name: 'librdkafka',
      version: `librdkafka ${librdkafkaVersion} (${LIBRDKAFKA_PACKAGE} ${packageVersion})`,
      command: await nodeAgentCommand(AGENT, opts.log),
    };
  },
};

// ---- errors -----------------------------------------------------------------------------

/**
 * Broker refusals after which the write is known not to have been appended (Kafka's
 * error codes, which librdkafka keeps for broker errors): CORRUPT_MESSAGE (librdkafka's
 * ERR_INVALID_MSG), MESSAGE_TOO_LARGE (ERR_MSG_SIZE_TOO_LARGE), INVALID_TOPIC_EXCEPTION
 * (ERR_TOPIC_EXCEPTION), RECORD_LIST_TOO_LARGE, NOT_ENOUGH_REPLICAS,
 * INVALID_REQUIRED_ACKS, TOPIC_AUTHORIZATION_FAILED, UNSUPPORTED_FOR_MESSAGE_FORMAT,
 * INVALID_PRODUCER_EPOCH, INVALID_RECORD, PRODUCER_FENCED.
 */
const DEFINITE_CODES = new Set([2, 10, 17, 18, 19, 21, 29, 43, 47, 87, 90]);

/**
 * Errors Kafka calls retriable (RetriableException in the Java client), and librdkafka's
 * local errors of the same kind (a timeout, a lost connection, a full queue).
 */
const RETRIABLE_CODES = new Set([
  // broker: CORRUPT_MESSAGE, UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE, NOT_LEADER_OR_FOLLOWER,
  // REQUEST_TIMED_OUT, NETWORK_EXCEPTION, COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE,
  // NOT_COORDINATOR, NOT_ENOUGH_REPLICAS, NOT_ENOUGH_REPLICAS_AFTER_APPEND, KAFKA_STORAGE_ERROR,
  // CONCURRENT_TRANSACTIONS, FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH, OFFSET_NOT_AVAILABLE,
  // UNSTABLE_OFFSET_COMMIT, THROTTLING_QUOTA_EXCEEDED
  2, 3, 5, 6, 7, 13, 14, 15, 16, 19, 20, 56, 51, 74, 75, 78, 88, 89,
  // local: ERR__TRANSPORT, ERR__MSG_TIMED_OUT, ERR__ALL_BROKERS_DOWN, ERR__TIMED_OUT,
  // ERR__QUEUE_FULL, ERR__WAIT_COORD, ERR__TIMED_OUT_QUEUE
  -195, -192, -187, -185, -184, -180, -166,
]);

export interface ClassifiedError {
  code: string;
  retriable: boolean;
  definite: boolean;
  attempts: number;
}

/**
 * A delivery report's error as the ledger records it. librdkafka retries inside the
 * client and its delivery report says neither how often it sent the message nor
 * whether it was persisted (the binding does not expose rd_kafka_message_status(), whose
 * NOT_PERSISTED would be definite even after retries): so `attempts` is 0 (unknown)
 * unless retries are off (1), and a failure is definite only when it answered the one
 * and only attempt with a refusal that guarantees no append. `retriable` comes from the
 * error's flag where the binding sets one (it does not on delivery reports), else from
 * Kafka's classification of the code.
 */
export function classifyDeliveryError(err: Pick<RdError, 'code' | 'isRetriable'>, codeName: string, retries: number): ClassifiedError {
  const attempts = retries === 0 ? 1 : 0;
  return {
    code: codeName,
    retriable: typeof err.isRetriable === 'boolean' ? err.isRetriable : RETRIABLE_CODES.has(err.code),
    definite: attempts === 1 && DEFINITE_CODES.has(err.code),
    attempts,
  };
}

/** librdkafka's error names by code (ERR__MSG_TIMED_OUT, ERR_NOT_ENOUGH_REPLICAS ...). */
export function errorNames(codes: Record<string, number>): (code: number) => string {
  const names = new Map<number, string>();
  for (const [name, code] of Object.entries(codes)) if (!names.has(code)) names.set(code, name);
  return (code) => names.get(code) ?? `ERR_${code}`;
}
