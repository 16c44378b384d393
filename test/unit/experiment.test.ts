import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import { formatDuration, parseDuration } from '../../harness/experiment/duration.ts';
import { ExperimentError, loadExperiment, parseExperiment, type ExperimentIssue } from '../../harness/experiment/load.ts';
import {
  effectiveBrokerConfig,
  effectiveTopicConfig,
  METRIC_NAMES,
  type Experiment,
  type MetricName,
} from '../../harness/experiment/schema.ts';
import { METRICS, METRIC_NAMES as CATALOGUE_METRIC_NAMES } from '../../harness/reconcile/metrics.ts';
import { FAULT_ACTIONS, FAULT_TYPES } from '../../harness/faults/catalogue.ts';
import { BROKER_ROLES } from '../../harness/faults/fault.ts';
import type { MetricName as ReconcileMetricName } from '../../harness/reconcile/types.ts';

const FILE = 'experiments/test.yaml';

/** The issues `parseExperiment` throws for `text`; fails the test if it does not throw. */
function issuesOf(text: string): ExperimentIssue[] {
  try {
    parseExperiment(text, FILE);
  } catch (e) {
    expect(e).toBeInstanceOf(ExperimentError);
    return (e as ExperimentError).issues;
  }
  throw new Error('expected an ExperimentError, but the experiment was accepted');
}

function issue(line: number, column: number, key: string, message: string | RegExp): ExperimentIssue {
  return {
    file: FILE,
    line,
    column,
    key,
    message: typeof message === 'string' ? message : (expect.stringMatching(message) as unknown as string),
  };
}

/** The broker target message, without its `got ...` tail. */
const BROKER_TARGET_EXPECTED = 'expected leader, follower, controller, random, all, replicas-of, a broker id (1, 2, ...) or a list of ids';

const MINIMAL = `name: minimal
workload:
  duration: 10s
profiles:
  - name: default
`;

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['0ms', 0],
    ['0s', 0],
    ['10s', 10_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1.5s', 1_500],
    ['1.1s', 1_100],
    ['0.25m', 15_000],
    ['0.5ms', 0.5],
    ['1m30s', 90_000],
    ['1h2m3s4ms', 3_723_004],
    ['2h30m', 9_000_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '10', '0', '-1s', '10 sec', ' 10s', '10s ', '1.s', '.5s', '1d', '10S', '1e3ms', 'ms', '1m30', '1s1m', '1s1s', '1m 30s', '+1s'])(
    'rejects %j',
    (text) => {
      expect(() => parseDuration(text)).toThrow(new Error(`expected a duration like 500ms, 10s or 2m, got ${JSON.stringify(text)}`));
    },
  );

  it('names the input in the message', () => {
    expect(() => parseDuration('10 sec')).toThrow('expected a duration like 500ms, 10s or 2m, got "10 sec"');
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [500, '500ms'],
    [1_500, '1s500ms'],
    [10_000, '10s'],
    [90_000, '1m30s'],
    [3_600_000, '1h'],
    [3_605_000, '1h5s'],
    [0.5, '0.5ms'],
  ])('%d ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('rejects negative and non-finite values', () => {
    expect(() => formatDuration(-1)).toThrow(RangeError);
    expect(() => formatDuration(Number.NaN)).toThrow(RangeError);
    expect(() => formatDuration(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });

  it('round-trips through parseDuration', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 24 * 3_600_000 }), (ms) => parseDuration(formatDuration(ms)) === ms),
    );
  });
});

describe('parseExperiment: valid files', () => {
  it('resolves a full file, normalising acks, thresholds and durations', () => {
    const text = `# every field set
name: leader-kill-acks
description: kill the leader of partition 0 while producing
seed: 42
cluster:
  brokers: 5
  kafkaVersion: "4.1.0"
  broker:
    min.insync.replicas: 2
    unclean.leader.election.enable: false
topic:
  name: chaos.topic_1
  partitions: 6
  replicationFactor: 3
  config:
    retention.ms: 3600000
workload:
  duration: 1m30s
  producers: 2
  rate: 500
  messageSize: 1024
  consumers: 3
  processingTime: 5ms
  drainTimeout: 2m
  healthTimeout: 45s
faults:
  - at: 8s
    action: broker.kill
    target: leader
    partition: 5
    restartAfter: 10s
  - at: 20s
    action: broker.pause
    target: 5
  - at: 1.5s
    action: consumer.kill
    target: 2
    restartAfter: 500ms
  - at: 1m29s
    action: producer.kill
    target: random
  - at: 0ms
    action: broker.stop
profiles:
  - name: acks-all
    description: the safe one
    producer:
      acks: all
      retries: 2147483647
      enable.idempotence: true
      max.in.flight.requests.per.connection: 5
      linger.ms: 0
      batch.size: 16384
      request.timeout.ms: 30000
      retry.backoff.ms: 100
      delivery.timeout.ms: 120000
      compression.type: gzip
      transactional.id: tx-1
    consumer:
      strategy: auto-commit
      enable.auto.commit: true
      auto.commit.interval.ms: 5000
      auto.offset.reset: earliest
      session.timeout.ms: 45000
      heartbeat.interval.ms: 3000
      isolation.level: read_committed
      max.poll.records: 500
      group.id: chaos-group
    topic:
      min.insync.replicas: 2
    broker:
      unclean.leader.election.enable: true
      log.flush.interval.messages: 1
    expect:
      lost: 0
      logDuplicates: {max: 10}
      processedTwice: {min: 1}
      acked: {min: 100, max: 100}
  - name: "acks-1"
    producer: {acks: 1}
`;
    const exp = parseExperiment(text, FILE);
    const expected: Experiment = {
      file: resolve(FILE),
      source: text,
      name: 'leader-kill-acks',
      description: 'kill the leader of partition 0 while producing',
      seed: 42,
      cluster: {
        brokers: 5,
        kafkaVersion: '4.1.0',
        broker: { 'min.insync.replicas': 2, 'unclean.leader.election.enable': false },
      },
      topic: { name: 'chaos.topic_1', partitions: 6, replicationFactor: 3, config: { 'retention.ms': 3_600_000 } },
      workload: {
        duration: 90_000,
        producers: 2,
        rate: 500,
        messageSize: 1024,
        consumers: 3,
        transformers: 0,
        processingTime: 5,
        drainTimeout: 120_000,
        healthTimeout: 45_000,
      },
      faults: {
        form: 'list',
        list: [
          { at: 8_000, action: 'broker.kill', target: 'leader', partition: 5, restartAfter: 10_000 },
          { at: 20_000, action: 'broker.pause', target: 5, partition: 0 },
          { at: 1_500, action: 'consumer.kill', target: 2, restartAfter: 500 },
          { at: 89_000, action: 'producer.kill', target: 'random' },
          { at: 0, action: 'broker.stop', target: 'leader', partition: 0 },
        ],
      },
      profiles: [
        {
          name: 'acks-all',
          client: 'kafkajs',
          description: 'the safe one',
          producer: {
            acks: -1,
            retries: 2_147_483_647,
            'enable.idempotence': true,
            'max.in.flight.requests.per.connection': 5,
            'linger.ms': 0,
            'batch.size': 16_384,
            'request.timeout.ms': 30_000,
            'retry.backoff.ms': 100,
            'delivery.timeout.ms': 120_000,
            'compression.type': 'gzip',
            'transactional.id': 'tx-1',
          },
          consumer: {
            strategy: 'auto-commit',
            'enable.auto.commit': true,
            'auto.commit.interval.ms': 5_000,
            'auto.offset.reset': 'earliest',
            'session.timeout.ms': 45_000,
            'heartbeat.interval.ms': 3_000,
            'isolation.level': 'read_committed',
            'max.poll.records': 500,
            'group.id': 'chaos-group',
          },
          topic: { 'min.insync.replicas': 2 },
          broker: { 'unclean.leader.election.enable': true, 'log.flush.interval.messages': 1 },
          expect: { lost: { max: 0 }, logDuplicates: { max: 10 }, processedTwice: { min: 1 }, acked: { min: 100, max: 100 } },
        },
        {
          name: 'acks-1',
          client: 'kafkajs',
          producer: { acks: 1 },
          consumer: { strategy: 'process-then-commit' },
          topic: {},
          broker: {},
          expect: {},
        },
      ],
    };
    expect(exp).toStrictEqual(expected);

    const [safe, fast] = exp.profiles;
    expect(effectiveBrokerConfig(exp, safe!)).toEqual({
      'min.insync.replicas': 2,
      'unclean.leader.election.enable': true,
      'log.flush.interval.messages': 1,
    });
    expect(effectiveTopicConfig(exp, safe!)).toEqual({ 'retention.ms': 3_600_000, 'min.insync.replicas': 2 });
    expect(effectiveBrokerConfig(exp, fast!)).toEqual(exp.cluster.broker);
  });

  it('fills in every default for a minimal file', () => {
    const exp = parseExperiment(MINIMAL, FILE);
    expect(exp).toStrictEqual({
      file: resolve(FILE),
      source: MINIMAL,
      name: 'minimal',
      seed: 1,
      cluster: { brokers: 3, broker: {} },
      topic: { name: 'chaos', partitions: 3, replicationFactor: 3, config: {} },
      workload: {
        duration: 10_000,
        producers: 1,
        rate: 200,
        messageSize: 256,
        consumers: 1,
        transformers: 0,
        processingTime: 0,
        drainTimeout: 60_000,
        healthTimeout: 60_000,
      },
      faults: { form: 'list', list: [] },
      profiles: [
        {
          name: 'default',
          client: 'kafkajs',
          producer: {},
          consumer: { strategy: 'process-then-commit' },
          topic: {},
          broker: {},
          expect: {},
        },
      ],
    } satisfies Experiment);
    // absent producer properties stay absent: the client driver applies Kafka's defaults
    expect(Object.keys(exp.profiles[0]!.producer)).toEqual([]);
    expect('kafkaVersion' in exp.cluster).toBe(false);
  });

  it('defaults the replication factor to min(3, brokers)', () => {
    const withBrokers = (n: number) => parseExperiment(MINIMAL.replace('workload:', `cluster:\n  brokers: ${n}\nworkload:`), FILE);
    expect(withBrokers(1).topic.replicationFactor).toBe(1);
    expect(withBrokers(2).topic.replicationFactor).toBe(2);
    expect(withBrokers(9).topic.replicationFactor).toBe(3);
  });

  it('defaults fault targets by action: leader for brokers, 0 for agents', () => {
    const exp = parseExperiment(
      `${MINIMAL}faults:\n  - {at: 1s, action: broker.kill}\n  - {at: 1s, action: consumer.kill}\n  - {at: 1s, action: producer.kill}\n`,
      FILE,
    );
    expect(exp.faults.list.map((f) => f.target)).toEqual(['leader', 0, 0]);
  });

  it('accepts enable.auto.commit when it agrees with the strategy', () => {
    const exp = parseExperiment(
      `${MINIMAL}    consumer: {strategy: commit-then-process, enable.auto.commit: false}\n  - name: auto\n    consumer: {strategy: auto-commit, enable.auto.commit: true}\n`,
      FILE,
    );
    expect(exp.profiles.map((p) => p.consumer)).toEqual([
      { strategy: 'commit-then-process', 'enable.auto.commit': false },
      { strategy: 'auto-commit', 'enable.auto.commit': true },
    ]);
  });

  it('reads acks 0, 1, -1 and all', () => {
    const exp = parseExperiment(
      `name: acks\nworkload: {duration: 1s}\nprofiles:\n  - {name: a0, producer: {acks: 0}}\n  - {name: a1, producer: {acks: 1}}\n  - {name: am1, producer: {acks: -1}}\n  - {name: aall, producer: {acks: all}}\n`,
      FILE,
    );
    expect(exp.profiles.map((p) => p.producer.acks)).toEqual([0, 1, -1, -1]);
  });

  it('follows YAML anchors and aliases', () => {
    const exp = parseExperiment(
      `name: anchors\nworkload: {duration: 5s}\nprofiles:\n  - name: a\n    producer: &safe {acks: all, enable.idempotence: true}\n  - name: b\n    producer: *safe\n`,
      FILE,
    );
    expect(exp.profiles[1]!.producer).toEqual({ acks: -1, 'enable.idempotence': true });
  });

  it('exports the metric names of the reconciler', () => {
    expectTypeOf<MetricName>().toEqualTypeOf<ReconcileMetricName>();
    // one catalogue: the schema takes its threshold names from the reconciler's metrics
    expect(METRIC_NAMES).toBe(CATALOGUE_METRIC_NAMES);
    expect([...METRIC_NAMES]).toEqual(METRICS.map((m) => m.name));
    expect(new Set(METRIC_NAMES).size).toBe(METRICS.length);
  });

  it('accepts a threshold on any metric of the catalogue', () => {
    const expectations = METRIC_NAMES.map((name) => `      ${name}: {min: 0}`).join('\n');
    const exp = parseExperiment(`${MINIMAL}    expect:\n${expectations}\n`, FILE);
    expect(Object.keys(exp.profiles[0]!.expect)).toEqual([...METRIC_NAMES]);
  });
});

describe('parseExperiment: errors point at file, line, column and key', () => {
  it('unknown top-level key: at the key', () => {
    expect(issuesOf(`${MINIMAL}seeed: 3\n`)).toEqual([issue(6, 1, 'seeed', 'unknown key; did you mean seed?')]);
    expect(issuesOf(`${MINIMAL}extra: 3\n`)).toEqual([
      issue(6, 1, 'extra', 'unknown key; allowed here: name, description, seed, cluster, topic, workload, faults, profiles'),
    ]);
  });

  it("unknown key in a profile's producer: at the key, with the full path", () => {
    const text = `name: x
workload:
  duration: 10s
profiles:
  - name: a
  - name: b
    producer:
      acks: all
      ack: 1
`;
    expect(issuesOf(text)).toEqual([issue(9, 7, 'profiles[1].producer.ack', 'unknown key; did you mean acks?')]);
  });

  it('unknown key in a flow mapping: at the key', () => {
    const text = `name: x\nworkload: {duration: 10s, rates: 5}\nprofiles: [{name: a}]\n`;
    expect(issuesOf(text)).toEqual([issue(2, 27, 'workload.rates', 'unknown key; did you mean rate?')]);
  });

  it('wrong type: at the value', () => {
    const text = `name: x\nworkload:\n  duration: 10s\n  rate: fast\nprofiles:\n  - name: a\n`;
    expect(issuesOf(text)).toEqual([issue(4, 9, 'workload.rate', 'expected an integer, got "fast"')]);
  });

  it('numbers out of range and non-integers: at the value', () => {
    const text = `name: x\ncluster: {brokers: 10}\nworkload:\n  duration: 10s\n  rate: 1.5\n  messageSize: 100\nprofiles:\n  - name: a\n`;
    expect(issuesOf(text)).toEqual([
      issue(2, 20, 'cluster.brokers', 'must be <= 9, got 10'),
      issue(5, 9, 'workload.rate', 'expected an integer, got 1.5'),
      issue(6, 16, 'workload.messageSize', 'must be >= 128, got 100'),
    ]);
  });

  it('bad duration: at the value, with the duration message', () => {
    const text = `name: x\nworkload:\n  duration: 10 sec\nprofiles:\n  - name: a\n`;
    expect(issuesOf(text)).toEqual([
      issue(3, 13, 'workload.duration', 'expected a duration like 500ms, 10s or 2m, got "10 sec"'),
    ]);
  });

  it('a bare number is not a duration', () => {
    const text = `name: x\nworkload:\n  duration: 10s\n  processingTime: 5\nprofiles:\n  - name: a\n`;
    expect(issuesOf(text)).toEqual([
      issue(4, 19, 'workload.processingTime', 'expected a duration like 500ms, 10s or 2m, got 5'),
    ]);
  });

  it('workload.duration must be at least 1s', () => {
    const text = `name: x\nworkload:\n  duration: 500ms\nprofiles:\n  - name: a\n`;
    expect(issuesOf(text)).toEqual([issue(3, 13, 'workload.duration', 'must be at least 1s, got 500ms')]);
  });

  it('bad enum value: at the value, listing the choices', () => {
    const text = `${MINIMAL}faults:\n  - at: 1s\n    action: broker.explode\n`;
    expect(issuesOf(text)).toEqual([
      issue(
        8,
        13,
        'faults[0].action',
        'expected one of broker.kill, broker.stop, broker.pause, broker.restart, broker.power-loss, broker.disconnect, network.latency, network.bandwidth, network.timeout, network.reset, network.slicer, network.limit-data, network.down, network.partition, consumer.kill, consumer.leave, consumer.join, transformer.kill, consumer.pause, producer.kill, cluster.elect-leaders, cluster.reassign, recipe.stale-leader, recipe.last-replica-standing, recipe.rolling-restart, recipe.leader-bounce; got "broker.explode"',
      ),
    ]);
  });

  it('missing required key: at the key of the mapping that lacks it', () => {
    const text = `name: x\nworkload:\n  rate: 100\nprofiles:\n  - name: a\n`;
    expect(issuesOf(text)).toEqual([issue(2, 1, 'workload.duration', 'required key is missing')]);
  });

  it('missing required key in a list item: at the item', () => {
    const text = `name: x\nworkload:\n  duration: 10s\nprofiles:\n  - name: a\n  - description: no name\n`;
    expect(issuesOf(text)).toEqual([issue(6, 5, 'profiles[1].name', 'required key is missing')]);
  });

  it('missing required top-level keys: at the document', () => {
    const text = `# comment\nname: x\n`;
    expect(issuesOf(text)).toEqual([issue(2, 1, 'workload', 'required key is missing'), issue(2, 1, 'profiles', 'required key is missing')]);
  });

  it('an empty value: at its key', () => {
    const text = `name:\nworkload:\n  duration: 10s\nprofiles: []\n`;
    expect(issuesOf(text)).toEqual([
      issue(1, 1, 'name', 'expected a string, got null (empty value)'),
      issue(4, 11, 'profiles', 'at least one profile is required'),
    ]);
  });

  it('an empty file', () => {
    expect(issuesOf('')).toEqual([issue(1, 1, '', 'expected a mapping, got null (empty value)')]);
  });

  it('YAML syntax error: where the parser found it', () => {
    const text = `name: x\nworkload:\n  duration: 10s\nprofiles: [{name: a}\n`;
    expect(issuesOf(text)).toEqual([issue(5, 1, '', /^YAML syntax error: Flow sequence .* end with a \]$/)]);
  });

  it('YAML syntax error: a bad indentation', () => {
    const text = `name: x\nworkload:\n  duration: 10s\n    rate: 5\nprofiles: [{name: a}]\n`;
    expect(issuesOf(text)).toEqual([
      issue(3, 13, '', 'YAML syntax error: Nested mappings are not allowed in compact mappings'),
      issue(3, 13, '', 'YAML syntax error: Implicit keys need to be on a single line'),
    ]);
  });

  it('duplicate key: at the second occurrence', () => {
    const text = `name: x\nworkload:\n  duration: 10s\n  rate: 5\n  duration: 20s\nprofiles: [{name: a}]\n`;
    expect(issuesOf(text)).toEqual([issue(5, 3, 'workload.duration', 'duplicate key')]);
  });

  it('property maps: keys in Kafka style, scalar values', () => {
    const text = `${MINIMAL}    broker:\n      Min.Insync: 2\n      log.retention.ms: [1]\n`;
    expect(issuesOf(text)).toEqual([
      issue(7, 7, 'profiles[0].broker.Min.Insync', /^not a Kafka property name .*"Min.Insync"$/),
      issue(8, 25, 'profiles[0].broker.log.retention.ms', 'expected a string, number or boolean, got a list'),
    ]);
  });

  it('acks accepts only 0, 1, -1 and all', () => {
    const text = `${MINIMAL}    producer: {acks: 2}\n`;
    expect(issuesOf(text)).toEqual([issue(6, 22, 'profiles[0].producer.acks', 'expected one of 0, 1, -1, all; got 2')]);
  });

  it('thresholds: a count or {min, max}', () => {
    const text = `${MINIMAL}    expect:
      lost: -1
      acked: {}
      present: {min: 5, max: 2}
      reordered: lots
      losts: 0
`;
    expect(issuesOf(text)).toEqual([
      issue(7, 13, 'profiles[0].expect.lost', 'must be >= 0, got -1'),
      issue(8, 14, 'profiles[0].expect.acked', 'set min, max or both'),
      issue(9, 22, 'profiles[0].expect.present.min', 'min 5 is greater than max 2'),
      issue(10, 18, 'profiles[0].expect.reordered', 'expected a count N (meaning at most N) or {min, max}, got "lots"'),
      issue(11, 7, 'profiles[0].expect.losts', 'unknown key; did you mean lost?'),
    ]);
  });

  it('fault targets must suit the action', () => {
    const text = `${MINIMAL}faults:
  - {at: 1s, action: broker.kill, target: 0}
  - {at: 1s, action: consumer.kill, target: leader}
  - {at: 1s, action: broker.pause, target: primary}
`;
    expect(issuesOf(text)).toEqual([
      issue(7, 43, 'faults[0].target', `${BROKER_TARGET_EXPECTED}, got 0`),
      issue(8, 45, 'faults[1].target', 'expected an agent index (0, 1, ...) or random, got "leader"'),
      issue(9, 44, 'faults[2].target', `${BROKER_TARGET_EXPECTED}, got "primary"`),
    ]);
  });
});

describe('parseExperiment: cross-field checks', () => {
  it('replicationFactor greater than the number of brokers', () => {
    const text = `name: x\ncluster:\n  brokers: 2\ntopic:\n  replicationFactor: 3\nworkload:\n  duration: 10s\nprofiles:\n  - name: a\n`;
    expect(issuesOf(text)).toEqual([
      issue(5, 22, 'topic.replicationFactor', 'replication factor 3 is more than the 2 broker(s) of the cluster (cluster.brokers)'),
    ]);
  });

  it('replicationFactor above the default of 3 brokers', () => {
    const text = `name: x\ntopic: {replicationFactor: 4}\nworkload: {duration: 10s}\nprofiles: [{name: a}]\n`;
    expect(issuesOf(text)).toEqual([
      issue(2, 28, 'topic.replicationFactor', 'replication factor 4 is more than the 3 broker(s) of the cluster (cluster.brokers)'),
    ]);
  });

  it('a fault at or after the end of the workload', () => {
    const text = `${MINIMAL}faults:\n  - at: 10s\n    action: broker.kill\n  - at: 9.999s\n    action: broker.kill\n  - at: 1m\n    action: broker.stop\n`;
    expect(issuesOf(text)).toEqual([
      issue(7, 9, 'faults[0].at', 'fault at 10s would fire after the workload ends (workload.duration is 10s)'),
      issue(11, 9, 'faults[2].at', 'fault at 1m would fire after the workload ends (workload.duration is 10s)'),
    ]);
  });

  it('a broker id beyond cluster.brokers', () => {
    const text = `name: x\ncluster: {brokers: 3}\nworkload: {duration: 10s}\nfaults:\n  - at: 1s\n    action: broker.kill\n    target: 4\n  - {at: 1s, action: broker.kill, target: 3}\nprofiles: [{name: a}]\n`;
    expect(issuesOf(text)).toEqual([
      issue(7, 13, 'faults[0].target', 'broker 4 does not exist: the cluster has 3 broker(s) (ids 1..3)'),
    ]);
  });

  it('a partition beyond topic.partitions', () => {
    const text = `name: x\ntopic: {partitions: 2}\nworkload: {duration: 10s}\nfaults:\n  - at: 1s\n    action: broker.kill\n    partition: 2\n  - {at: 1s, action: broker.kill, partition: 1}\nprofiles: [{name: a}]\n`;
    expect(issuesOf(text)).toEqual([
      issue(7, 16, 'faults[0].partition', 'partition 2 does not exist: the topic has 2 partition(s) (0..1)'),
    ]);
  });

  it('an agent index beyond workload.consumers / workload.producers', () => {
    const text = `name: x
workload: {duration: 10s, consumers: 2, producers: 1}
faults:
  - {at: 1s, action: consumer.kill, target: 2}
  - {at: 1s, action: consumer.kill, target: 1}
  - {at: 1s, action: producer.kill, target: 1}
profiles: [{name: a}]
`;
    expect(issuesOf(text)).toEqual([
      issue(4, 45, 'faults[0].target', 'consumer 2 does not exist: workload.consumers is 2 (indexes 0..1)'),
      issue(6, 45, 'faults[2].target', 'producer 1 does not exist: workload.producers is 1 (indexes 0..0)'),
    ]);
  });

  it('an agent fault when there is no such agent: at the fault, as the target is a default', () => {
    const text = `name: x
workload: {duration: 10s, producers: 0}
faults:
  - at: 1s
    action: producer.kill
profiles: [{name: a}]
`;
    expect(issuesOf(text)).toEqual([issue(4, 5, 'faults[0].target', 'producer.kill needs a producer, but workload.producers is 0')]);
  });

  it('a threshold on a consumer metric when workload.consumers is 0: at the key, n/a', () => {
    const text = `name: x
workload:
  duration: 10s
  consumers: 0
profiles:
  - name: a
    expect:
      lost: 0
      notProcessed: 0
      endToEndLost: {max: 3}
  - name: b
    expect: {unsent: 0, processed: {min: 1}}
`;
    expect(issuesOf(text)).toEqual([
      issue(9, 7, 'profiles[0].expect.notProcessed', 'notProcessed is a consumer metric and is n/a here: workload.consumers is 0'),
      issue(10, 7, 'profiles[0].expect.endToEndLost', 'endToEndLost is a consumer metric and is n/a here: workload.consumers is 0'),
      issue(12, 25, 'profiles[1].expect.processed', 'processed is a consumer metric and is n/a here: workload.consumers is 0'),
    ]);
  });

  it('producer metric thresholds stay valid without consumers; consumer ones are valid with consumers', () => {
    const producerOnly = parseExperiment(
      `name: x\nworkload: {duration: 10s, consumers: 0}\nprofiles:\n  - name: a\n    expect: {lost: 0, unsent: 0, ackedAtForeignOffset: 0, acked: {min: 1}}\n`,
      FILE,
    );
    expect(producerOnly.workload.consumers).toBe(0);
    expect(producerOnly.profiles[0]!.expect).toEqual({ lost: { max: 0 }, unsent: { max: 0 }, ackedAtForeignOffset: { max: 0 }, acked: { min: 1 } });
    const withConsumers = parseExperiment(
      `name: x\nworkload: {duration: 10s, consumers: 1}\nprofiles:\n  - name: a\n    expect: {notProcessed: 0}\n`,
      FILE,
    );
    expect(withConsumers.profiles[0]!.expect).toEqual({ notProcessed: { max: 0 } });
  });

  it('duplicate profile names: at the second name', () => {
    const text = `name: x\nworkload: {duration: 10s}\nprofiles:\n  - name: a\n  - name: b\n  - name: a\n`;
    expect(issuesOf(text)).toEqual([issue(6, 11, 'profiles[2].name', 'duplicate profile name a (also profiles[0])')]);
  });

  it('enable.auto.commit conflicting with the strategy: at enable.auto.commit', () => {
    const text = `${MINIMAL}    consumer:
      strategy: auto-commit
      enable.auto.commit: false
  - name: b
    consumer:
      enable.auto.commit: true
`;
    expect(issuesOf(text)).toEqual([
      issue(8, 27, 'profiles[0].consumer.enable.auto.commit', /^false conflicts with strategy auto-commit: /),
      issue(11, 27, 'profiles[1].consumer.enable.auto.commit', /^true conflicts with strategy process-then-commit: /),
    ]);
  });
});

describe('parseExperiment: several errors at once', () => {
  const text = `name: Bad_Name
bogus: 1
cluster:
  brokers: 2
topic:
  replicationFactor: 3
workload:
  rate: fast
faults:
  - at: 10 sec
    action: broker.kill
  - at: 30s
    action: broker.kill
    target: 7
profiles:
  - name: p
    producer:
      acks: all
      retires: 3
  - name: p
`;

  it('reports every issue, in file order', () => {
    expect(issuesOf(text)).toEqual([
      issue(1, 7, 'name', /^experiment names are lowercase letters/),
      issue(2, 1, 'bogus', /^unknown key/),
      issue(6, 22, 'topic.replicationFactor', /^replication factor 3 is more than the 2 broker/),
      issue(7, 1, 'workload.duration', 'required key is missing'),
      issue(8, 9, 'workload.rate', 'expected an integer, got "fast"'),
      issue(10, 9, 'faults[0].at', 'expected a duration like 500ms, 10s or 2m, got "10 sec"'),
      issue(14, 13, 'faults[1].target', 'broker 7 does not exist: the cluster has 2 broker(s) (ids 1..2)'),
      issue(19, 7, 'profiles[0].producer.retires', 'unknown key; did you mean retries?'),
      issue(20, 11, 'profiles[1].name', 'duplicate profile name p (also profiles[0])'),
    ]);
  });

  it('lists them one per line in the message', () => {
    let error: unknown;
    try {
      parseExperiment(text, FILE);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ExperimentError);
    expect(error).toBeInstanceOf(Error);
    const err = error as ExperimentError;
    expect(err.name).toBe('ExperimentError');
    const lines = err.message.split('\n');
    expect(lines).toHaveLength(9);
    expect(lines[4]).toBe(`${FILE}:8:9: workload.rate: expected an integer, got "fast"`);
    expect(lines[3]).toBe(`${FILE}:7:1: workload.duration: required key is missing`);
    for (const [i, line] of lines.entries()) {
      const is = err.issues[i]!;
      expect(line).toBe(`${is.file}:${is.line}:${is.column}: ${is.key}: ${is.message}`);
    }
  });
});

describe('loadExperiment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kafka-chaos-experiment-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file and records its absolute path and text', () => {
    const file = join(dir, 'ok.yaml');
    writeFileSync(file, MINIMAL);
    const exp = loadExperiment(file);
    expect(exp.file).toBe(file);
    expect(exp.source).toBe(MINIMAL);
    expect(exp.name).toBe('minimal');
  });

  it('reports issues against the path as given', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, MINIMAL.replace('10s', '10 sec'));
    expect(() => loadExperiment(file)).toThrow(
      new ExperimentError([
        { file, line: 3, column: 13, key: 'workload.duration', message: 'expected a duration like 500ms, 10s or 2m, got "10 sec"' },
      ]),
    );
  });

  it('a missing file is an ExperimentError naming it', () => {
    const file = join(dir, 'nope.yaml');
    let error: unknown;
    try {
      loadExperiment(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ExperimentError);
    const err = error as ExperimentError;
    expect(err.issues).toEqual([{ file, line: 0, column: 0, key: '', message: `experiment file not found (looked for ${file})` }]);
    expect(err.message).toBe(`${file}: experiment file not found (looked for ${file})`);
  });

  it('a directory is an ExperimentError', () => {
    expect(() => loadExperiment(dir)).toThrow(ExperimentError);
  });
});

describe('shipped experiments', () => {
  const experimentsDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../experiments');
  const files = readdirSync(experimentsDir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();

  it('experiments/ ships the scenario experiments', () => {
    expect(files).toEqual(expect.arrayContaining(['leader-kill-acks.yaml', 'consumer-crash-commit.yaml']));
  });

  for (const f of files) {
    it(`experiments/${f} loads`, () => {
      const exp = loadExperiment(join(experimentsDir, f));
      expect(exp.profiles.length).toBeGreaterThan(0);
    });
  }
});

describe('network faults', () => {
  it('resolve with the replication link by default and their latency in ms', () => {
    const exp = parseExperiment(`${MINIMAL}faults:\n  - at: 2s\n    action: network.latency\n    latency: 800ms\n    jitter: 50ms\n  - at: 3s\n    action: network.down\n    target: 2\n    link: client\n    restartAfter: 1s\n`, FILE);
    expect(exp.faults).toStrictEqual({
      form: 'list',
      list: [
        { at: 2000, partition: 0, action: 'network.latency', target: 'leader', link: 'replication', stream: 'both', toxicity: 1, latency: 800, jitter: 50 },
        { at: 3000, partition: 0, action: 'network.down', target: 2, link: 'client', restartAfter: 1000 },
      ],
    });
  });

  it('network.latency without a latency is refused at the fault', () => {
    expect(issuesOf(`${MINIMAL}faults:\n  - at: 2s\n    action: network.latency\n`)).toEqual([
      issue(7, 5, 'faults[0].latency', 'required key is missing'),
    ]);
  });

  it('link is refused on a fault that is not a network fault, naming the keys allowed there', () => {
    expect(issuesOf(`${MINIMAL}faults:\n  - at: 2s\n    action: broker.kill\n    link: client\n`)).toEqual([
      issue(9, 5, 'faults[0].link', 'unknown key; allowed here: action, at, restartAfter, target, partition'),
    ]);
  });
});

describe('the fault catalogue in the schema', () => {
  /** The parameters an action cannot do without (besides at). */
  const REQUIRED: Record<string, { key: string; line: string; missing?: string }> = {
    'network.latency': { key: 'latency', line: 'latency: 100ms' },
    'network.bandwidth': { key: 'rate', line: 'rate: 100' },
    'network.limit-data': { key: 'bytes', line: 'bytes: 1000' },
    'network.partition': {
      key: 'groups',
      line: 'groups: halves',
      // the custom message of its union wins over "required key is missing" (reported as unclear)
      missing: 'required key is missing',
    },
  };

  /** The keys each action allows, as the schema lists them (written out: the catalogue must not drift silently). */
  const ALLOWED: Record<string, string> = {
    'broker.kill': 'action, at, restartAfter, target, partition',
    'broker.stop': 'action, at, restartAfter, target, partition',
    'broker.pause': 'action, at, restartAfter, target, partition',
    'broker.restart': 'action, at, restartAfter, target, partition',
    'broker.power-loss': 'action, at, restartAfter, target, partition',
    'broker.disconnect': 'action, at, restartAfter, target, partition',
    'network.latency': 'action, at, restartAfter, target, partition, link, stream, toxicity, latency, jitter',
    'network.bandwidth': 'action, at, restartAfter, target, partition, link, stream, toxicity, rate',
    'network.timeout': 'action, at, restartAfter, target, partition, link, stream, toxicity, timeout',
    'network.reset': 'action, at, restartAfter, target, partition, link, stream, toxicity, timeout',
    'network.slicer': 'action, at, restartAfter, target, partition, link, stream, toxicity, averageSize, sizeVariation, delay',
    'network.limit-data': 'action, at, restartAfter, target, partition, link, stream, toxicity, bytes',
    'network.down': 'action, at, restartAfter, target, partition, link',
    'network.partition': 'action, at, restartAfter, groups, partition, clients',
    'consumer.kill': 'action, at, restartAfter, target',
    'consumer.leave': 'action, at, restartAfter, target',
    'consumer.join': 'action, at, restartAfter',
    'transformer.kill': 'action, at, restartAfter, target',
    'consumer.pause': 'action, at, restartAfter, target',
    'producer.kill': 'action, at, restartAfter, target',
    'cluster.elect-leaders': 'action, at, restartAfter, type',
    'cluster.reassign': 'action, at, restartAfter, partition, replicas',
    'recipe.stale-leader': 'action, at, restartAfter, partition, alone, then, shrinkTimeout',
    'recipe.last-replica-standing': 'action, at, restartAfter, partition, shrinkTimeout',
    'recipe.rolling-restart': 'action, at, restartAfter, healthTimeout',
    'recipe.leader-bounce': 'action, at, restartAfter, partition, times, down, between',
  };

  /** A misspelling of one of the action's keys, and the key it should suggest. */
  const NEAR: Record<string, [string, string]> = {
    'broker.kill': ['targt', 'target'],
    'broker.stop': ['partiton', 'partition'],
    'broker.pause': ['restartAftr', 'restartAfter'],
    'broker.restart': ['targets', 'target'],
    'broker.power-loss': ['targed', 'target'],
    'broker.disconnect': ['partiion', 'partition'],
    'network.latency': ['latncy', 'latency'],
    'network.bandwidth': ['rates', 'rate'],
    'network.timeout': ['timout', 'timeout'],
    'network.reset': ['timeot', 'timeout'],
    'network.slicer': ['averagesize', 'averageSize'],
    'network.limit-data': ['byte', 'bytes'],
    'network.down': ['lnk', 'link'],
    'network.partition': ['group', 'groups'],
    'consumer.kill': ['targets', 'target'],
    'consumer.leave': ['targe', 'target'],
    'consumer.join': ['restartafter', 'restartAfter'],
    'transformer.kill': ['tarket', 'target'],
    'consumer.pause': ['taget', 'target'],
    'producer.kill': ['restart-after', 'restartAfter'],
    'cluster.elect-leaders': ['typ', 'type'],
    'cluster.reassign': ['replica', 'replicas'],
    'recipe.stale-leader': ['shrinkTimout', 'shrinkTimeout'],
    'recipe.last-replica-standing': ['partitions', 'partition'],
    'recipe.rolling-restart': ['healthTimout', 'healthTimeout'],
    'recipe.leader-bounce': ['time', 'times'],
  };

  const minimal = (action: string): string[] => (REQUIRED[action] ? [REQUIRED[action].line] : []);
  /** MINIMAL with one fault at 1s: `- at: 1s` is line 7, `action:` line 8, `lines` from line 9 on. */
  // with a transformer in the workload, so that transformer.kill has a target (the same number of lines)
  const MINIMAL_ALL = MINIMAL.replace('workload:\n  duration: 10s', 'workload: {transformers: 1,\n  duration: 10s}');
  const withFault = (action: string, lines: string[]) => `${MINIMAL_ALL}faults:\n  - at: 1s\n    action: ${action}\n${lines.map((l) => `    ${l}\n`).join('')}`;
  /** MINIMAL with a random mix of one entry: `- action:` is line 10, `lines` from line 11 on. */
  const withMix = (action: string, lines: string[]) =>
    `${MINIMAL_ALL}faults:\n  random:\n    every: 1s\n    mix:\n      - action: ${action}\n${lines.map((l) => `        ${l}\n`).join('')}`;

  it('the tables above cover the whole catalogue', () => {
    expect(Object.keys(ALLOWED).sort()).toEqual([...FAULT_ACTIONS].sort());
    expect(Object.keys(NEAR).sort()).toEqual([...FAULT_ACTIONS].sort());
    expect(FAULT_ACTIONS).toHaveLength(26);
    expect(new Set(FAULT_ACTIONS).size).toBe(FAULT_ACTIONS.length);
  });

  describe.each(FAULT_TYPES.map((t) => [t.action, t] as const))('%s', (action, type) => {
    it('is accepted with its minimal parameters, its defaults applied', () => {
      const exp = parseExperiment(withFault(action, minimal(action)), FILE);
      expect(exp.faults.form).toBe('list');
      expect(exp.faults.list).toHaveLength(1);
      const f = exp.faults.list[0]!;
      expect(f).toMatchObject({ action, at: 1000 });
      expect('restartAfter' in f).toBe(false);
      // every key of the resolved fault is one the file may write
      for (const key of Object.keys(f)) expect(ALLOWED[action]!.split(', ')).toContain(key);
      // a fault with a target resolves it to its default
      if (type.targets === 'brokers') expect(f.target).toBe('leader');
      else if (type.targets === 'none') expect('target' in f).toBe(false);
      else expect(f.target).toBe(0);
    });

    it('is accepted as a random mix entry (no at), weight 1 by default', () => {
      const exp = parseExperiment(withMix(action, minimal(action)), FILE);
      expect(exp.faults.form).toBe('sections');
      expect(exp.faults.list).toEqual([]);
      expect(exp.faults.random!.mix).toHaveLength(1);
      expect(exp.faults.random!.mix[0]).toMatchObject({ action, weight: 1 });
      expect('at' in exp.faults.random!.mix[0]!).toBe(false);
    });

    it('without its required parameter: refused at the fault, naming the key', () => {
      const required = REQUIRED[action];
      if (required) {
        expect(issuesOf(withFault(action, []))).toEqual([issue(7, 5, `faults[0].${required.key}`, required.missing ?? 'required key is missing')]);
      } else {
        expect(parseExperiment(withFault(action, []), FILE).faults.list).toHaveLength(1);
      }
    });

    it('an unknown key: at the key, naming the keys allowed here', () => {
      const lines = minimal(action);
      expect(issuesOf(withFault(action, [...lines, 'bogus: 1']))).toEqual([
        issue(9 + lines.length, 5, 'faults[0].bogus', `unknown key; allowed here: ${ALLOWED[action]}`),
      ]);
    });

    it('a misspelt key: suggests the near one', () => {
      const lines = minimal(action);
      const [typo, meant] = NEAR[action]!;
      expect(issuesOf(withFault(action, [...lines, `${typo}: 1`]))).toEqual([
        issue(9 + lines.length, 5, `faults[0].${typo}`, `unknown key; did you mean ${meant}?`),
      ]);
    });

    it('in a random mix: at is refused, weight is allowed', () => {
      const lines = minimal(action);
      const allowedInMix = [...ALLOWED[action]!.split(', ').filter((k) => k !== 'at'), 'weight'].join(', ');
      // `at` is within edit distance 2 of `rate`, so there the generic "did you mean" misleads
      const message = action === 'network.bandwidth' ? 'unknown key; did you mean rate?' : `unknown key; allowed here: ${allowedInMix}`;
      expect(issuesOf(withMix(action, [...lines, 'at: 1s']))).toEqual([issue(11 + lines.length, 9, 'faults.random.mix[0].at', message)]);
      expect(parseExperiment(withMix(action, [...lines, 'weight: 2.5']), FILE).faults.random!.mix[0]!.weight).toBe(2.5);
    });
  });

  it('an unknown action lists every action of the catalogue, in its order', () => {
    const [only] = issuesOf(withFault('broker.explode', []));
    expect(only).toEqual(issue(8, 13, 'faults[0].action', `expected one of ${FAULT_TYPES.map((t) => t.action).join(', ')}; got "broker.explode"`));
    const listed = /^expected one of (.*); got "broker\.explode"$/.exec(only!.message)![1]!.split(', ');
    expect(listed).toEqual(FAULT_TYPES.map((t) => t.action));
  });

  it('an unknown action in a random mix: the same list, at the mix entry', () => {
    expect(issuesOf(withMix('network.jam', []))).toEqual([
      issue(10, 17, 'faults.random.mix[0].action', `expected one of ${FAULT_ACTIONS.join(', ')}; got "network.jam"`),
    ]);
  });

  it('a fault without an action: at the fault', () => {
    expect(issuesOf(`${MINIMAL}faults:\n  - at: 1s\n    target: 1\n`)).toEqual([issue(7, 5, 'faults[0].action', 'required key is missing')]);
  });
});

describe('fault targets', () => {
  const brokerFault = (target: string, cluster = '') =>
    `name: x\n${cluster}workload: {duration: 10s}\nfaults:\n  - at: 1s\n    action: broker.kill\n    target: ${target}\nprofiles: [{name: a}]\n`;

  it.each([...BROKER_ROLES])('broker role %s is accepted as written', (role) => {
    expect(parseExperiment(brokerFault(role), FILE).faults.list[0]!.target).toBe(role);
  });

  it('broker ids and lists of ids are accepted as written', () => {
    expect(parseExperiment(brokerFault('1'), FILE).faults.list[0]!.target).toBe(1);
    expect(parseExperiment(brokerFault('3'), FILE).faults.list[0]!.target).toBe(3);
    expect(parseExperiment(brokerFault('[3, 1]'), FILE).faults.list[0]!.target).toEqual([3, 1]);
    expect(parseExperiment(brokerFault('[1, 2, 3, 4, 5]', 'cluster: {brokers: 5}\n'), FILE).faults.list[0]!.target).toEqual([1, 2, 3, 4, 5]);
  });

  it('a broker id beyond cluster.brokers: refused naming it', () => {
    expect(issuesOf(brokerFault('4'))).toEqual([issue(6, 13, 'faults[0].target', 'broker 4 does not exist: the cluster has 3 broker(s) (ids 1..3)')]);
    expect(issuesOf(brokerFault('6', 'cluster: {brokers: 5}\n'))).toEqual([
      issue(7, 13, 'faults[0].target', 'broker 6 does not exist: the cluster has 5 broker(s) (ids 1..5)'),
    ]);
  });

  it('a list of ids with one beyond cluster.brokers: refused naming only that one, at the list', () => {
    expect(issuesOf(brokerFault('[1, 4]'))).toEqual([issue(6, 13, 'faults[0].target', 'broker 4 does not exist: the cluster has 3 broker(s) (ids 1..3)')]);
    expect(issuesOf(brokerFault('[2, 5, 3, 6]'))).toEqual([
      issue(6, 13, 'faults[0].target', 'brokers 5, 6 do not exist: the cluster has 3 broker(s) (ids 1..3)'),
    ]);
  });

  it('a list of ids on a network fault is checked the same way', () => {
    const text = `${MINIMAL}faults:\n  - {at: 1s, action: network.down, target: [1, 7], link: all}\n  - {at: 1s, action: network.latency, latency: 1s, target: [3]}\n`;
    expect(issuesOf(text)).toEqual([issue(7, 44, 'faults[0].target', 'broker 7 does not exist: the cluster has 3 broker(s) (ids 1..3)')]);
  });

  it('what is not a role, an id or a non-empty list of ids: at the value', () => {
    const text = `${MINIMAL}faults:
  - {at: 1s, action: broker.kill, target: 0}
  - {at: 1s, action: broker.kill, target: primary}
  - {at: 1s, action: broker.kill, target: 1.5}
  - {at: 1s, action: broker.kill, target: []}
  - {at: 1s, action: broker.kill, target: [0, 1]}
  - {at: 1s, action: broker.kill, target: [1, leader]}
  - {at: 1s, action: broker.kill, target: {id: 1}}
  - {at: 1s, action: network.down, target: Leader}
`;
    expect(issuesOf(text)).toEqual([
      issue(7, 43, 'faults[0].target', `${BROKER_TARGET_EXPECTED}, got 0`),
      issue(8, 43, 'faults[1].target', `${BROKER_TARGET_EXPECTED}, got "primary"`),
      issue(9, 43, 'faults[2].target', `${BROKER_TARGET_EXPECTED}, got 1.5`),
      issue(10, 43, 'faults[3].target', `${BROKER_TARGET_EXPECTED}, got a list`),
      issue(11, 43, 'faults[4].target', `${BROKER_TARGET_EXPECTED}, got a list`),
      issue(12, 43, 'faults[5].target', `${BROKER_TARGET_EXPECTED}, got a list`),
      issue(13, 43, 'faults[6].target', `${BROKER_TARGET_EXPECTED}, got a mapping`),
      issue(14, 44, 'faults[7].target', `${BROKER_TARGET_EXPECTED}, got "Leader"`),
    ]);
  });

  it('agent targets: an index or random; anything else refused at the value', () => {
    const text = `name: x
workload: {duration: 10s, consumers: 3, producers: 2}
faults:
  - {at: 1s, action: consumer.kill, target: random}
  - {at: 1s, action: consumer.pause, target: 2}
  - {at: 1s, action: producer.kill, target: 1}
  - {at: 1s, action: consumer.kill, target: -1}
  - {at: 1s, action: consumer.pause, target: 1.5}
  - {at: 1s, action: producer.kill, target: leader}
  - {at: 1s, action: producer.kill, target: [0]}
profiles: [{name: a}]
`;
    expect(issuesOf(text)).toEqual([
      issue(7, 45, 'faults[3].target', 'expected an agent index (0, 1, ...) or random, got -1'),
      issue(8, 46, 'faults[4].target', 'expected an agent index (0, 1, ...) or random, got 1.5'),
      issue(9, 45, 'faults[5].target', 'expected an agent index (0, 1, ...) or random, got "leader"'),
      issue(10, 45, 'faults[6].target', 'expected an agent index (0, 1, ...) or random, got a list'),
    ]);
    const ok = parseExperiment(text.split('\n').filter((_, i) => i < 6 || i > 9).join('\n'), FILE);
    expect(ok.faults.list.map((f) => f.target)).toEqual(['random', 2, 1]);
  });

  it('agent indexes beyond the workload and agent faults without agents: at the target', () => {
    const text = `name: x
workload: {duration: 10s, consumers: 3, producers: 0}
faults:
  - {at: 1s, action: consumer.pause, target: 3}
  - {at: 1s, action: consumer.pause, target: 2}
  - {at: 1s, action: producer.kill, target: random}
profiles: [{name: a}]
`;
    expect(issuesOf(text)).toEqual([
      issue(4, 46, 'faults[0].target', 'consumer 3 does not exist: workload.consumers is 3 (indexes 0..2)'),
      issue(6, 45, 'faults[2].target', 'producer.kill needs a producer, but workload.producers is 0'),
    ]);
  });
});

describe('faults: {list, random}', () => {
  const SECTIONS = `name: x
seed: 5
workload:
  duration: 1m
faults:
  list:
    - at: 2s
      action: broker.kill
      target: [1, 2]
      restartAfter: 1s
  random:
    every: 5s
    jitter: 2s
    from: 10s
    until: 50s
    heal: 3s
    mix:
      - action: network.latency
        latency: 200ms
        weight: 3
      - action: consumer.pause
        target: random
        restartAfter: 500ms
profiles: [{name: a}]
`;

  it('parses into a FaultPlan with every duration in ms and the mix defaults applied', () => {
    const exp = parseExperiment(SECTIONS, FILE);
    expect(exp.faults).toStrictEqual({
      form: 'sections',
      list: [{ action: 'broker.kill', at: 2000, restartAfter: 1000, target: [1, 2], partition: 0 }],
      random: {
        every: 5000,
        jitter: 2000,
        from: 10_000,
        until: 50_000,
        heal: 3000,
        mix: [
          { action: 'network.latency', target: 'leader', partition: 0, link: 'replication', stream: 'both', toxicity: 1, latency: 200, jitter: 0, weight: 3 },
          { action: 'consumer.pause', target: 'random', restartAfter: 500, weight: 1 },
        ],
      },
    });
  });

  it('random alone: no list, jitter and from default to 0, until and heal stay absent', () => {
    const exp = parseExperiment(`${MINIMAL}faults:\n  random:\n    every: 100ms\n    mix: [{action: broker.pause}]\n`, FILE);
    expect(exp.faults).toStrictEqual({
      form: 'sections',
      list: [],
      random: { every: 100, jitter: 0, from: 0, mix: [{ action: 'broker.pause', target: 'leader', partition: 0, weight: 1 }] },
    });
  });

  it('list alone: form sections, no random', () => {
    const exp = parseExperiment(`${MINIMAL}faults:\n  list:\n    - {at: 1s, action: broker.stop}\n`, FILE);
    expect(exp.faults).toStrictEqual({ form: 'sections', list: [{ action: 'broker.stop', at: 1000, target: 'leader', partition: 0 }] });
  });

  it('errors inside list entries and random.mix entries: at faults.list[i] / faults.random.mix[i]', () => {
    const text = `${MINIMAL}faults:
  list:
    - at: 1s
      action: broker.kill
    - at: 2s
      action: broker.kill
      target: 7
    - at: 12s
      action: consumer.kill
  random:
    every: 1s
    mix:
      - action: network.latency
        latncy: 100ms
      - action: broker.stop
        target: [1, 4]
      - action: consumer.kill
        target: 3
      - action: broker.pause
        partition: 3
      - action: broker.nope
      - action: producer.kill
        weight: 0
`;
    expect(issuesOf(text)).toEqual([
      issue(12, 15, 'faults.list[1].target', 'broker 7 does not exist: the cluster has 3 broker(s) (ids 1..3)'),
      issue(13, 11, 'faults.list[2].at', 'fault at 12s would fire after the workload ends (workload.duration is 10s)'),
      issue(18, 9, 'faults.random.mix[0].latency', 'required key is missing'),
      issue(19, 9, 'faults.random.mix[0].latncy', 'unknown key; did you mean latency?'),
      issue(21, 17, 'faults.random.mix[1].target', 'broker 4 does not exist: the cluster has 3 broker(s) (ids 1..3)'),
      issue(23, 17, 'faults.random.mix[2].target', 'consumer 3 does not exist: workload.consumers is 1 (indexes 0..0)'),
      issue(25, 20, 'faults.random.mix[3].partition', 'partition 3 does not exist: the topic has 3 partition(s) (0..2)'),
      issue(26, 17, 'faults.random.mix[4].action', `expected one of ${FAULT_ACTIONS.join(', ')}; got "broker.nope"`),
      issue(28, 17, 'faults.random.mix[5].weight', 'must be > 0, got 0'),
    ]);
  });

  it('a mix entry with at: refused at the key', () => {
    const text = `${MINIMAL}faults:\n  random:\n    every: 1s\n    mix:\n      - action: broker.stop\n        at: 1s\n      - {action: broker.kill, at: 2s}\n`;
    expect(issuesOf(text)).toEqual([
      issue(11, 9, 'faults.random.mix[0].at', 'unknown key; allowed here: action, restartAfter, target, partition, weight'),
      issue(12, 31, 'faults.random.mix[1].at', 'unknown key; allowed here: action, restartAfter, target, partition, weight'),
    ]);
  });

  it('every below 100ms: refused; 100ms is the floor', () => {
    const random = (every: string) => `${MINIMAL}faults:\n  random:\n    every: ${every}\n    mix: [{action: broker.kill}]\n`;
    expect(issuesOf(random('50ms'))).toEqual([issue(8, 12, 'faults.random.every', 'must be at least 100ms, got 50ms')]);
    expect(issuesOf(random('99ms'))).toEqual([issue(8, 12, 'faults.random.every', 'must be at least 100ms, got 99ms')]);
    expect(issuesOf(random('0s'))).toEqual([issue(8, 12, 'faults.random.every', 'must be at least 100ms, got 0s')]);
    expect(parseExperiment(random('100ms'), FILE).faults.random!.every).toBe(100);
  });

  it('an empty mix: refused at the mix', () => {
    expect(issuesOf(`${MINIMAL}faults:\n  random:\n    every: 1s\n    mix: []\n`)).toEqual([issue(9, 10, 'faults.random.mix', 'the mix needs at least one fault')]);
  });

  it('random without every or mix: at random', () => {
    expect(issuesOf(`${MINIMAL}faults:\n  random:\n    mix: [{action: broker.kill}]\n`)).toEqual([issue(7, 3, 'faults.random.every', 'required key is missing')]);
    expect(issuesOf(`${MINIMAL}faults:\n  random:\n    every: 1s\n`)).toEqual([issue(7, 3, 'faults.random.mix', 'required key is missing')]);
  });

  it('unknown keys in faults and in random: did you mean', () => {
    expect(issuesOf(`${MINIMAL}faults:\n  lst: []\n`)).toEqual([issue(7, 3, 'faults.lst', 'unknown key; did you mean list?')]);
    expect(issuesOf(`${MINIMAL}faults:\n  random:\n    every: 1s\n    jiter: 1s\n    mix: [{action: broker.kill}]\n`)).toEqual([
      issue(9, 5, 'faults.random.jiter', 'unknown key; did you mean jitter?'),
    ]);
    expect(issuesOf(`${MINIMAL}faults:\n  schedule: []\n`)).toEqual([issue(7, 3, 'faults.schedule', 'unknown key; allowed here: list, random')]);
  });

  it('faults that are neither a list nor a mapping', () => {
    expect(issuesOf(`${MINIMAL}faults: 5\n`)).toEqual([issue(6, 9, 'faults', 'does not match any allowed form: 5')]);
    expect(issuesOf(`${MINIMAL}faults: {list: 5}\n`)).toEqual([issue(6, 16, 'faults.list', 'expected a list, got 5')]);
  });

  it('an agent fault in the mix without agents: at its target', () => {
    const text = `name: x\nworkload: {duration: 10s, consumers: 0}\nfaults:\n  random:\n    every: 1s\n    mix:\n      - action: consumer.kill\nprofiles: [{name: a}]\n`;
    expect(issuesOf(text)).toEqual([issue(7, 9, 'faults.random.mix[0].target', 'consumer.kill needs a consumer, but workload.consumers is 0')]);
  });
});
