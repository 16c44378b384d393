// The kafkajs client driver: what kafkajs can honour of the resolved settings, and how
// its errors read. Its agent (agents/main.ts, producer.ts, consumer.ts, transformer.ts)
// builds the kafkajs options from the resolved settings itself.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CompressionTypes as KafkaJsCompression } from 'kafkajs';
import type { ClientDriver, ClientUse, PreparedClient } from './driver.ts';
import { nodeAgentCommand } from './node-agent.ts';
import { DriverRefusal } from './settings.ts';

const AGENT_MAIN = fileURLToPath(new URL('../agents/main.ts', import.meta.url));

let versionCache: string | undefined;
/** The installed kafkajs version, from its package.json. */
export function kafkajsVersion(): string {
  if (versionCache) return versionCache;
  try {
    const pkg = JSON.parse(fs.readFileSync(new URL('../../node_modules/kafkajs/package.json', import.meta.url), 'utf8')) as { version: string };
    versionCache = pkg.version;
  } catch {
    versionCache = 'unknown';
  }
  return versionCache;
}

export const kafkajsDriver: ClientDriver = {
  name: 'kafkajs',
  description: 'kafkajs 2.x, pure JavaScript (unmaintained since 2023): no asynchronous commit, no partitions-revoked callback, no per-poll record limit',
  refusals({ producer, consumer, roles }: ClientUse): DriverRefusal[] {
    const out: DriverRefusal[] = [];
    const consumes = roles.includes('consumer');
    if (consumes && consumer.maxPollRecords !== null) {
      out.push(new DriverRefusal('consumer.max.poll.records', 'max.poll.records: kafkajs has no per-poll record limit; the kafkajs driver cannot honour it'));
    }
    if (consumes && consumer.commit !== 'sync') {
      out.push(new DriverRefusal('consumer.commit', `commit ${consumer.commit}: kafkajs has no asynchronous commit with a callback (commitOffsets is awaited); use client librdkafka or java`));
    }
    if (consumes && consumer.commitIntervalMs > 0) {
      out.push(new DriverRefusal('consumer.commitInterval', 'commitInterval: the kafkajs agent commits after every batch; use client librdkafka or java'));
    }
    if (consumes && consumer.commitOnRevoke) {
      out.push(new DriverRefusal('consumer.commitOnRevoke', 'commitOnRevoke: kafkajs has no partitions-revoked callback; use client librdkafka or java'));
    }
    if (consumes && consumer.workers > 1) {
      out.push(new DriverRefusal('consumer.workers', 'workers: the kafkajs agent processes each batch with one worker; use client librdkafka or java'));
    }
    if (roles.includes('producer') && producer.transactionalId !== undefined) {
      out.push(new DriverRefusal('producer.transactional.id', 'transactional.id: the producer role does not run transactions; transactions run in the transformer role (workload.transformers)'));
    }
    return out;
  },
  // the kafkajs options its agent builds from the settings (for the report; the agent builds them itself)
  producerProperties: (p) => ({
    idempotent: String(p.idempotent),
    maxInFlightRequests: String(p.idempotent ? 1 : p.maxInFlightRequests),
    acks: String(p.acks),
    'retry.retries': String(Math.min(p.retries, Number.MAX_SAFE_INTEGER)),
    'retry.initialRetryTime': String(p.retryBackoffMs),
    'retry.maxRetryTime': String(p.retryBackoffMaxMs),
    requestTimeout: String(p.requestTimeoutMs),
    compression: p.compression,
    // kafkajs has no linger, batch size or delivery timeout: the agent batches per partition and times deliveries itself
    'agent.linger.ms': String(p.lingerMs),
    'agent.batch.size': String(p.batchBytes),
    'agent.delivery.timeout.ms': String(p.deliveryTimeoutMs),
  }),
  consumerProperties: (c, groupId) => ({
    groupId,
    sessionTimeout: String(c.sessionTimeoutMs),
    heartbeatInterval: String(c.heartbeatIntervalMs),
    readUncommitted: String(c.readUncommitted),
    maxWaitTimeInMs: String(c.fetchMaxWaitMs),
    fromBeginning: String(c.fromBeginning),
    // kafkajs commits after every batch when autoCommit is on: the agent commits on Java's interval itself
    autoCommit: 'false',
    'agent.auto.commit.interval.ms': c.strategy === 'auto-commit' ? String(c.autoCommitIntervalMs) : 'off',
  }),
  async prepare(opts): Promise<PreparedClient> {
    return {
      name: 'kafkajs',
      version: `kafkajs ${kafkajsVersion()}`,
      command: await nodeAgentCommand(AGENT_MAIN, opts.log),
    };
  },
};

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
