// The kafkajs driver: Kafka property names to client behaviour, the Java client's
// defaults, refusals, and which errors count as definite failures.
import { describe, expect, it } from 'vitest';
import { classifyError } from '../../harness/clients/kafkajs.ts';
import { DriverRefusal, resolveConsumer, resolveProducer } from '../../harness/clients/settings.ts';

describe('resolveProducer', () => {
  it('applies the Java client defaults when nothing is set', () => {
    expect(resolveProducer({})).toEqual({
      mode: 'async',
      acks: -1,
      idempotent: true,
      retries: 2147483647,
      maxInFlightRequests: 5,
      lingerMs: 5,
      batchBytes: 16384,
      requestTimeoutMs: 30000,
      retryBackoffMs: 100,
      retryBackoffMaxMs: 1000,
      deliveryTimeoutMs: 120000,
      compression: 'none',
    });
  });

  it('turns idempotence off by default when a setting conflicts with it, like the Java client', () => {
    expect(resolveProducer({ acks: 1 }).idempotent).toBe(false);
    expect(resolveProducer({ retries: 0 }).idempotent).toBe(false);
    expect(resolveProducer({ 'max.in.flight.requests.per.connection': 6 }).idempotent).toBe(false);
    expect(resolveProducer({ acks: -1, 'enable.idempotence': false }).idempotent).toBe(false);
  });

  it('refuses explicit idempotence with a conflicting setting, naming the key', () => {
    for (const props of [{ acks: 1 as const }, { retries: 0 }, { 'max.in.flight.requests.per.connection': 6 }]) {
      let err: unknown;
      try {
        resolveProducer({ ...props, 'enable.idempotence': true });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DriverRefusal);
      expect((err as DriverRefusal).key).toBe('enable.idempotence');
    }
  });

});

describe('resolveConsumer', () => {
  it('defaults: earliest, 10s session, read_uncommitted, 5s auto-commit interval, and the Java client\'s 500 ms fetch wait (kafkajs would wait 5 s)', () => {
    expect(resolveConsumer({ strategy: 'auto-commit' })).toEqual({
      strategy: 'auto-commit',
      autoCommitIntervalMs: 5000,
      fromBeginning: true,
      sessionTimeoutMs: 10000,
      heartbeatIntervalMs: 3000,
      readUncommitted: true,
      groupId: undefined,
      fetchMaxWaitMs: 500,
      commit: 'sync',
      commitIntervalMs: 0,
      commitOnRevoke: false,
      workers: 1,
      workerCommit: 'in-order',
      maxPollRecords: null,
    });
    expect(resolveConsumer({ strategy: 'auto-commit', 'fetch.max.wait.ms': 50 }).fetchMaxWaitMs).toBe(50);
  });

  it('refuses a heartbeat interval that is not below the session timeout', () => {
    expect(() => resolveConsumer({ strategy: 'process-then-commit', 'session.timeout.ms': 3000, 'heartbeat.interval.ms': 3000 })).toThrow(/heartbeat/);
  });
});

describe('classifyError', () => {
  const protocol = (type: string, retriable: boolean) => Object.assign(new Error(type), { name: 'KafkaJSProtocolError', type, retriable });

  it('a broker refusal that guarantees no append, answering the only attempt, is definite', () => {
    expect(classifyError(protocol('MESSAGE_TOO_LARGE', false), 1)).toEqual({ code: 'MESSAGE_TOO_LARGE', retriable: false, definite: true });
  });

  it('after retries, the last cause says nothing about earlier attempts: indeterminate', () => {
    const last = protocol('NOT_ENOUGH_REPLICAS', true);
    const exhausted = Object.assign(new Error('retries exhausted'), { name: 'KafkaJSNumberOfRetriesExceeded', retriable: false, retryCount: 5, cause: last });
    expect(classifyError(exhausted, 6)).toEqual({ code: 'NOT_ENOUGH_REPLICAS', retriable: true, definite: false });
  });

  it('a refusal the client did not retry, after an earlier attempt timed out, is indeterminate (attempts are counted, not read from the error)', () => {
    // kafkajs bails out of a non-retriable error without a retryCount: only the driver's
    // own attempt count shows that an earlier attempt went out and may have landed
    const bailed = protocol('INVALID_PRODUCER_EPOCH', false);
    expect(classifyError(bailed, 1).definite).toBe(true);
    expect(classifyError(bailed, 2)).toEqual({ code: 'INVALID_PRODUCER_EPOCH', retriable: false, definite: false });
  });

  it('NOT_LEADER_OR_FOLLOWER, timeouts and connection errors are indeterminate', () => {
    expect(classifyError(protocol('NOT_LEADER_OR_FOLLOWER', true), 1).definite).toBe(false);
    expect(classifyError(Object.assign(new Error('timeout'), { name: 'KafkaJSRequestTimeoutError' }), 1)).toEqual({ code: 'KafkaJSRequestTimeoutError', retriable: false, definite: false });
    expect(classifyError(Object.assign(new Error('closed'), { name: 'KafkaJSConnectionError', retriable: true }), 1)).toEqual({ code: 'KafkaJSConnectionError', retriable: true, definite: false });
  });
});
