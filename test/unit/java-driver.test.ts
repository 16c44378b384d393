// The java client driver: resolved settings to kafka-clients properties, what it refuses,
// and (with a JDK) that its agent compiles against the Kafka jars and speaks the protocol.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { withClientProperties } from '../../harness/clients/driver.ts';
import { javaDriver } from '../../harness/clients/java/driver.ts';
import { parseAgentLine, type AgentMessage, type ProducerAgentConfig, type TransformerAgentConfig } from '../../harness/clients/protocol.ts';
import { resolveConsumer, resolveProducer } from '../../harness/clients/settings.ts';
import { which } from '../../harness/provision/exec.ts';
import { findJava } from '../../harness/provision/java.ts';
import { compileJavaAgent, findJavac, JAVA_AGENT_CLASS, javaAgentJvmFlags, javaAgentSourceHash } from '../../harness/provision/java-agent.ts';
import { provisionKafka } from '../../harness/provision/kafka.ts';
import { DEFAULT_KAFKA_VERSION } from '../../harness/provision/versions.ts';
import { readEnvironment } from '../../harness/util/env.ts';

describe('java driver: properties', () => {
  it('hands the Java client its own defaults, by their Kafka names', () => {
    expect(javaDriver.producerProperties(resolveProducer({}))).toEqual({
      acks: 'all',
      'enable.idempotence': 'true',
      retries: '2147483647',
      'max.in.flight.requests.per.connection': '5',
      'linger.ms': '5',
      'batch.size': '16384',
      'request.timeout.ms': '30000',
      'retry.backoff.ms': '100',
      'retry.backoff.max.ms': '1000',
      'delivery.timeout.ms': '120000',
      'compression.type': 'none',
    });
  });

  it('maps acks, retries, idempotence and compression as written', () => {
    const p = javaDriver.producerProperties(resolveProducer({ acks: 0, retries: 0, 'compression.type': 'gzip', 'linger.ms': 20 }))!;
    expect(p.acks).toBe('0');
    expect(p.retries).toBe('0');
    expect(p['enable.idempotence']).toBe('false');
    expect(p['compression.type']).toBe('gzip');
    expect(p['linger.ms']).toBe('20');
    expect(javaDriver.producerProperties(resolveProducer({ acks: 1 }))!.acks).toBe('1');
    expect(javaDriver.producerProperties(resolveProducer({ 'transactional.id': 'tx-1' }))!['transactional.id']).toBe('tx-1');
  });

  it('adds the group to the consumer properties; auto-commit only for the auto-commit strategy', () => {
    const auto = javaDriver.consumerProperties(resolveConsumer({ strategy: 'auto-commit', 'auto.commit.interval.ms': 1000 }), 'g1')!;
    expect(auto).toMatchObject({ 'group.id': 'g1', 'enable.auto.commit': 'true', 'auto.commit.interval.ms': '1000', 'auto.offset.reset': 'earliest', 'session.timeout.ms': '10000' });
    expect(auto['max.poll.records']).toBeUndefined();
    const manual = javaDriver.consumerProperties(resolveConsumer({ strategy: 'process-then-commit', 'max.poll.records': 50, 'isolation.level': 'read_committed' }), 'g2')!;
    expect(manual).toMatchObject({ 'group.id': 'g2', 'enable.auto.commit': 'false', 'max.poll.records': '50', 'isolation.level': 'read_committed' });
  });

  it('puts both property sets into a transformer config, and the producer set into a producer config', () => {
    const base = { agentId: 'x0', runId: 'r', bootstrap: ['127.0.0.1:9092'], ledgerFile: '/tmp/x0.jsonl', client: 'kafkajs' as const };
    const t: TransformerAgentConfig = {
      ...base,
      role: 'transformer',
      inputTopic: 'in',
      outputTopic: 'out',
      groupId: 'g-tx',
      transactionalId: 'tx-x0',
      processingTimeMs: 0,
      consumer: resolveConsumer({ strategy: 'process-then-commit' }),
      producer: resolveProducer({ 'transactional.id': 'tx-x0' }),
    };
    const out = withClientProperties(javaDriver, t);
    expect(out.client).toBe('java');
    expect(out.consumerProperties?.['group.id']).toBe('g-tx');
    expect(out.producerProperties?.['transactional.id']).toBe('tx-x0');
    const p: ProducerAgentConfig = { ...base, agentId: 'p0', role: 'producer', topic: 't', partitions: 3, rate: 10, messageSize: 100, producer: resolveProducer({}) };
    const po = withClientProperties(javaDriver, p);
    expect(po.producerProperties?.acks).toBe('all');
    expect(po.consumerProperties).toBeUndefined();
  });
});

describe('java driver: refusals', () => {
  const roles = ['producer', 'consumer'] as const;
  it('runs every producer mode, commit mode, revoke commit, worker pool and per-poll limit', () => {
    for (const mode of ['async', 'fire-and-forget', 'sync'] as const) {
      for (const commit of ['sync', 'async', 'async-retry'] as const) {
        const use = {
          producer: resolveProducer({ mode, acks: 0, retries: 0, 'compression.type': 'gzip' }),
          consumer: resolveConsumer({ strategy: 'process-then-commit', commit, commitOnRevoke: true, workers: 4, workerCommit: 'ahead', 'max.poll.records': 10 }),
          roles,
        };
        expect(javaDriver.refusals(use)).toEqual([]);
      }
    }
    expect(javaDriver.refusals({ producer: resolveProducer({}), consumer: resolveConsumer({ strategy: 'auto-commit' }), roles })).toEqual([]);
  });

  it('refuses a transactional.id for the producer role (transactions run in the transformer role), by its key', () => {
    const producer = resolveProducer({ 'transactional.id': 'tx' });
    const consumer = resolveConsumer({ strategy: 'process-then-commit' });
    const refused = javaDriver.refusals({ producer, consumer, roles });
    expect(refused.map((r) => r.key)).toEqual(['producer.transactional.id']);
    expect(javaDriver.refusals({ producer, consumer, roles: ['transformer'] })).toEqual([]);
  });
});

// The compile test needs a JDK; in CI it must run.
const javac = await findJavac(readEnvironment().javaHome).catch(() => undefined);
const ci = process.env.CI === 'true';
const describeJdk = javac || ci ? describe : describe.skip;
if (!javac && !ci) console.warn('java-driver.test.ts: no javac 17+ (JAVA_HOME or PATH): skipping the Java agent compile test; install a JDK 17 (openjdk-17-jdk-headless) to run it');

describeJdk('java agent (needs a JDK 17+)', () => {
  it('finds javac 17+', async () => {
    const found = await findJavac(readEnvironment().javaHome);
    expect(found.major).toBeGreaterThanOrEqual(17);
    expect(await which('javac').then((p) => p !== undefined || readEnvironment().javaHome !== undefined)).toBe(true);
  });

  it('compiles once against the Kafka jars, and a started agent speaks the protocol on stdout only', { timeout: 20 * 60_000 }, async () => {
    const env = readEnvironment();
    const found = await findJavac(env.javaHome);
    const dist = await provisionKafka({ version: DEFAULT_KAFKA_VERSION, cacheDir: env.cacheDir, kafkaHome: env.kafkaHome });
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'java-agent-test-'));
    try {
      const agent = await compileJavaAgent({ javac: found, kafkaVersion: dist.version, libsClasspath: dist.classpath, cacheDir });
      expect(agent.classes).toBe(path.join(cacheDir, 'java-agent', `${dist.version}-${javaAgentSourceHash()}`));
      expect(javaAgentSourceHash()).toMatch(/^[0-9a-f]{12}$/);
      const main = path.join(agent.classes, `${JAVA_AGENT_CLASS}.class`);
      expect(fs.existsSync(main)).toBe(true);
      expect(fs.readFileSync(path.join(agent.classes, 'log4j2.properties'), 'utf8')).toContain('SYSTEM_ERR');
      // a second prepare finds it compiled
      const mtime = fs.statSync(main).mtimeMs;
      await compileJavaAgent({ javac: found, kafkaVersion: dist.version, libsClasspath: dist.classpath, cacheDir });
      expect(fs.statSync(main).mtimeMs).toBe(mtime);

      // no broker: the agent writes its start event, logs to stderr, and ends cleanly when asked to stop while it connects
      const java = await findJava(env.javaHome);
      const ledgerFile = path.join(cacheDir, 'p0.jsonl');
      const cfg: ProducerAgentConfig = {
        role: 'producer',
        agentId: 'p0',
        runId: 'unit',
        bootstrap: ['127.0.0.1:1'],
        ledgerFile,
        client: 'java',
        topic: 't',
        partitions: 3,
        rate: 10,
        messageSize: 100,
        producer: resolveProducer({}),
      };
      const cfgFile = path.join(cacheDir, 'p0.config.json');
      fs.writeFileSync(cfgFile, JSON.stringify({ ...withClientProperties(javaDriver, cfg), producerProperties: { ...javaDriver.producerProperties(cfg.producer), 'max.block.ms': '1000' } }));
      const child = spawn(java.bin, ['-cp', `${agent.classes}:${agent.libsClasspath}`, ...javaAgentJvmFlags(agent.classes), JAVA_AGENT_CLASS, cfgFile], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => {
        child.on('exit', (c) => resolve(c));
        // stop once the client has logged (its connection to port 1 is refused), or after 20 s
        const started = Date.now();
        const askToStop = setInterval(() => {
          if (stderr.includes('WARN') || Date.now() - started > 20_000) {
            clearInterval(askToStop);
            child.stdin.write(JSON.stringify({ type: 'stop', graceMs: 1000 }) + '\n');
          }
        }, 100);
        setTimeout(() => child.kill('SIGKILL'), 60_000);
      });
      const lines = stdout.split('\n').filter((l) => l.length > 0);
      const messages = lines.map((l) => parseAgentLine(l));
      expect(messages.every((m) => m !== null), `stdout holds only protocol lines:\n${stdout}`).toBe(true);
      expect((messages as AgentMessage[]).map((m) => m.type)).toEqual(['stopped']);
      expect(code).toBe(0);
      expect(stderr).toContain('WARN');
      const first = JSON.parse(fs.readFileSync(ledgerFile, 'utf8').split('\n')[0]!) as Record<string, unknown>;
      expect(Object.keys(first)).toEqual(['e', 'agent', 'os', 't']);
      expect(first).toMatchObject({ e: 'start', agent: 'p0', os: child.pid });
    } finally {
      fs.rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});
