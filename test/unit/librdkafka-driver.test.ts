// The librdkafka driver: resolved settings to librdkafka's own property names, what it
// refuses, how delivery errors are classified, and (with the native module built) the
// version it reports and an agent that speaks the protocol when its client refuses to start.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { withClientProperties } from '../../harness/clients/driver.ts';
import { classifyDeliveryError, errorNames, librdkafkaDriver, loadLibrdkafka } from '../../harness/clients/librdkafka/driver.ts';
import { parseAgentLine, type AgentMessage, type ProducerAgentConfig, type TransformerAgentConfig } from '../../harness/clients/protocol.ts';
import { resolveConsumer, resolveProducer } from '../../harness/clients/settings.ts';
import type { ClientUse } from '../../harness/clients/driver.ts';
import { DEFAULT_KAFKA_VERSION } from '../../harness/provision/versions.ts';
import { readEnvironment } from '../../harness/util/env.ts';
import { PrerequisiteError } from '../../harness/util/errors.ts';

const use = (over: Partial<ClientUse> = {}): ClientUse => ({
  producer: resolveProducer({}),
  consumer: resolveConsumer({ strategy: 'process-then-commit' }),
  roles: ['producer', 'consumer'],
  ...over,
});

describe('librdkafka driver: properties', () => {
  it('hands librdkafka the Java defaults the settings resolved to, by librdkafka names', () => {
    expect(librdkafkaDriver.producerProperties(resolveProducer({}))).toEqual({
      acks: 'all',
      'enable.idempotence': 'true',
      'message.send.max.retries': '2147483647',
      'max.in.flight.requests.per.connection': '5',
      'linger.ms': '5',
      'batch.size': '16384',
      'request.timeout.ms': '30000',
      'retry.backoff.ms': '100',
      'retry.backoff.max.ms': '1000',
      'message.timeout.ms': '120000',
      'compression.codec': 'none',
    });
  });

  it('maps acks, retries, idempotence, compression, timeouts and transactional.id as written', () => {
    const p = librdkafkaDriver.producerProperties(
      resolveProducer({ acks: 0, retries: 0, 'compression.type': 'gzip', 'linger.ms': 20, 'delivery.timeout.ms': 9000, 'request.timeout.ms': 4000, 'retry.backoff.ms': 50, 'batch.size': 1000, 'max.in.flight.requests.per.connection': 1 }),
    )!;
    expect(p).toMatchObject({
      acks: '0',
      'message.send.max.retries': '0',
      'enable.idempotence': 'false',
      'compression.codec': 'gzip',
      'linger.ms': '20',
      'message.timeout.ms': '9000',
      'request.timeout.ms': '4000',
      'retry.backoff.ms': '50',
      'batch.size': '1000',
      'max.in.flight.requests.per.connection': '1',
    });
    expect(p['delivery.timeout.ms']).toBeUndefined();
    expect(p.retries).toBeUndefined();
    expect(librdkafkaDriver.producerProperties(resolveProducer({ acks: 1 }))!.acks).toBe('1');
    expect(librdkafkaDriver.producerProperties(resolveProducer({ 'transactional.id': 'tx-1' }))!['transactional.id']).toBe('tx-1');
  });

  it('maps the consumer settings; auto-commit only for the auto-commit strategy, offsets stored by the agent', () => {
    const auto = librdkafkaDriver.consumerProperties(resolveConsumer({ strategy: 'auto-commit', 'auto.commit.interval.ms': 1000, 'fetch.max.wait.ms': 50 }), 'g1')!;
    expect(auto).toEqual({
      'group.id': 'g1',
      'enable.auto.commit': 'true',
      'enable.auto.offset.store': 'false',
      'auto.commit.interval.ms': '1000',
      'auto.offset.reset': 'earliest',
      'session.timeout.ms': '10000',
      'heartbeat.interval.ms': '3000',
      'isolation.level': 'read_uncommitted',
      'fetch.wait.max.ms': '50',
    });
    const manual = librdkafkaDriver.consumerProperties(
      resolveConsumer({ strategy: 'process-then-commit', 'max.poll.records': 50, 'isolation.level': 'read_committed', 'auto.offset.reset': 'latest', 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 2000 }),
      'g2',
    )!;
    expect(manual).toMatchObject({ 'group.id': 'g2', 'enable.auto.commit': 'false', 'isolation.level': 'read_committed', 'auto.offset.reset': 'latest', 'session.timeout.ms': '6000', 'heartbeat.interval.ms': '2000' });
    // no classic-consumer property: the agent reads max.poll.records as consume(n)'s n
    expect(manual['max.poll.records']).toBeUndefined();
    // a group.id the profile sets wins over the agent config's
    expect(librdkafkaDriver.consumerProperties(resolveConsumer({ strategy: 'auto-commit', 'group.id': 'mine' }), 'g3')!['group.id']).toBe('mine');
  });

  it('puts both property sets into a transformer config', () => {
    const t: TransformerAgentConfig = {
      role: 'transformer',
      agentId: 'x0',
      runId: 'r',
      bootstrap: ['127.0.0.1:9092'],
      ledgerFile: '/tmp/x0.jsonl',
      client: 'kafkajs',
      inputTopic: 'in',
      outputTopic: 'out',
      groupId: 'gx',
      transactionalId: 'tx-x0',
      processingTimeMs: 0,
      consumer: resolveConsumer({ strategy: 'process-then-commit', 'isolation.level': 'read_committed' }),
      producer: resolveProducer({ 'transactional.id': 'tx-x0' }),
    };
    const out = withClientProperties(librdkafkaDriver, t);
    expect(out.client).toBe('librdkafka');
    expect(out.producerProperties?.['transactional.id']).toBe('tx-x0');
    expect(out.consumerProperties?.['group.id']).toBe('gx');
  });
});

describe('librdkafka driver: refusals', () => {
  it('honours everything the settings can express within librdkafka\'s ranges: commit modes, commitOnRevoke, workers, max.poll.records', () => {
    expect(librdkafkaDriver.refusals(use())).toEqual([]);
    const consumer = resolveConsumer({ strategy: 'process-then-commit', commit: 'async-retry', commitOnRevoke: true, workers: 4, workerCommit: 'ahead', 'max.poll.records': 10 });
    expect(librdkafkaDriver.refusals(use({ consumer }))).toEqual([]);
    expect(librdkafkaDriver.refusals(use({ producer: resolveProducer({ mode: 'sync', acks: 0, 'compression.type': 'gzip' }) }))).toEqual([]);
  });

  it('refuses values outside librdkafka\'s ranges, naming the key in the profile', () => {
    const keys = (u: ClientUse) => librdkafkaDriver.refusals(u).map((r) => r.key);
    expect(keys(use({ producer: resolveProducer({ 'request.timeout.ms': 1_000_000 }) }))).toEqual(['producer.request.timeout.ms']);
    expect(keys(use({ producer: resolveProducer({ 'retry.backoff.ms': 0 }) }))).toEqual(['producer.retry.backoff.ms']);
    expect(keys(use({ consumer: resolveConsumer({ strategy: 'auto-commit', 'fetch.max.wait.ms': 400_000 }) }))).toEqual(['consumer.fetch.max.wait.ms']);
    // a consumer setting matters only where something consumes
    expect(keys(use({ roles: ['producer'], consumer: resolveConsumer({ strategy: 'auto-commit', 'fetch.max.wait.ms': 400_000 }) }))).toEqual([]);
  });

  it('refuses transactional.id in the producer role (transactions run in the transformer role)', () => {
    const producer = resolveProducer({ 'transactional.id': 'tx' });
    expect(librdkafkaDriver.refusals(use({ producer })).map((r) => r.key)).toEqual(['producer.transactional.id']);
    expect(librdkafkaDriver.refusals(use({ producer, roles: ['transformer'] }))).toEqual([]);
  });
});

describe('librdkafka driver: delivery errors', () => {
  it('a refusal that guarantees no append is definite only when retries are off (then it answered the only attempt)', () => {
    expect(classifyDeliveryError({ code: 19 }, 'ERR_NOT_ENOUGH_REPLICAS', 0)).toEqual({ code: 'ERR_NOT_ENOUGH_REPLICAS', retriable: true, definite: true, attempts: 1 });
    expect(classifyDeliveryError({ code: 19 }, 'ERR_NOT_ENOUGH_REPLICAS', 2147483647)).toEqual({ code: 'ERR_NOT_ENOUGH_REPLICAS', retriable: true, definite: false, attempts: 0 });
    expect(classifyDeliveryError({ code: 10 }, 'ERR_MSG_SIZE_TOO_LARGE', 0)).toMatchObject({ retriable: false, definite: true });
  });

  it('timeouts and lost leaders are never definite', () => {
    expect(classifyDeliveryError({ code: -192 }, 'ERR__MSG_TIMED_OUT', 0)).toEqual({ code: 'ERR__MSG_TIMED_OUT', retriable: true, definite: false, attempts: 1 });
    expect(classifyDeliveryError({ code: 6 }, 'ERR_NOT_LEADER_FOR_PARTITION', 0)).toMatchObject({ retriable: true, definite: false });
  });

  it('takes the error\'s own retriable flag where the binding sets one', () => {
    expect(classifyDeliveryError({ code: 19, isRetriable: false }, 'ERR_NOT_ENOUGH_REPLICAS', 0).retriable).toBe(false);
  });

  it('names codes by librdkafka\'s names, the first of aliases', () => {
    const name = errorNames({ ERR__MSG_TIMED_OUT: -192, ERR_COORDINATOR_NOT_AVAILABLE: 15, ERR_GROUP_COORDINATOR_NOT_AVAILABLE: 15 });
    expect(name(-192)).toBe('ERR__MSG_TIMED_OUT');
    expect(name(15)).toBe('ERR_COORDINATOR_NOT_AVAILABLE');
    expect(name(12345)).toBe('ERR_12345');
  });
});

/**
 * The native module is an optional dependency built from source. With CI=true it must be
 * there (.ci/run installs what the build needs); on a user's machine without it the
 * tests below skip, saying why.
 */
async function nativeModule(): Promise<{ ok: boolean; reason: string }> {
  try {
    await loadLibrdkafka();
    return { ok: true, reason: '' };
  } catch (err) {
    if (!(err instanceof PrerequisiteError)) throw err;
    if (readEnvironment().ci) throw new Error(`${err.message}; and CI=true: the librdkafka tests must run in CI, not skip`);
    process.stderr.write(`skipping the librdkafka module tests: ${err.message}\n`);
    return { ok: false, reason: err.message };
  }
}
const native = await nativeModule();

describe.skipIf(!native.ok)('librdkafka driver: with the native module', () => {
  it('reports librdkafka\'s version and the package\'s, and the agent command', async () => {
    const prepared = await librdkafkaDriver.prepare({ kafkaVersion: DEFAULT_KAFKA_VERSION });
    expect(prepared.name).toBe('librdkafka');
    expect(prepared.version).toMatch(/^librdkafka \d+\.\d+\.\d+\S* \(@confluentinc\/kafka-javascript \d+\.\d+\.\d+\S*\)$/);
    const cmd = prepared.command('/tmp/x.json');
    expect(cmd.command).toBe(process.execPath);
    // the agent's bundle, run with plain node
    expect(cmd.args).toHaveLength(2);
    expect(cmd.args[0]).toMatch(/node_modules\/\.cache\/kafka-chaos\/agent-[0-9a-f]{16}\.mjs$/);
    expect(fs.existsSync(cmd.args[0]!)).toBe(true);
    expect(cmd.args[1]).toBe('/tmp/x.json');
  });

  it('an agent whose client refuses its configuration writes its start event, says fatal on stdout and exits 1', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-chaos-rdk-'));
    try {
      const cfg: ProducerAgentConfig = withClientProperties(librdkafkaDriver, {
        role: 'producer',
        agentId: 'p0',
        runId: 'r',
        bootstrap: ['127.0.0.1:1'],
        ledgerFile: path.join(dir, 'p0.jsonl'),
        client: 'librdkafka',
        topic: 't',
        partitions: 1,
        rate: 1,
        messageSize: 100,
        producer: resolveProducer({}),
      });
      // a property librdkafka does not know: its constructor throws, nothing to retry
      cfg.producerProperties!['no.such.property'] = '1';
      const file = path.join(dir, 'p0.config.json');
      fs.writeFileSync(file, JSON.stringify(cfg));
      const prepared = await librdkafkaDriver.prepare({ kafkaVersion: DEFAULT_KAFKA_VERSION });
      const cmd = prepared.command(file);
      const child = spawn(cmd.command, cmd.args, { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      const messages = out
        .split('\n')
        .map(parseAgentLine)
        .filter((m): m is AgentMessage => m !== null);
      expect(code, err).toBe(1);
      expect(messages).toEqual([{ type: 'fatal', message: expect.stringContaining('no.such.property') as string }]);
      const ledger = fs.readFileSync(cfg.ledgerFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { e: string; agent: string; os: number });
      expect(ledger).toHaveLength(1);
      expect(ledger[0]).toMatchObject({ e: 'start', agent: 'p0', os: child.pid });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
