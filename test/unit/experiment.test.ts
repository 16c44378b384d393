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
        processingTime: 5,
        drainTimeout: 120_000,
        healthTimeout: 45_000,
      },
      faults: [
        { at: 8_000, action: 'broker.kill', target: 'leader', partition: 5, restartAfter: 10_000 },
        { at: 20_000, action: 'broker.pause', target: 5, partition: 0 },
        { at: 1_500, action: 'consumer.kill', target: 2, partition: 0, restartAfter: 500 },
        { at: 89_000, action: 'producer.kill', target: 'random', partition: 0 },
        { at: 0, action: 'broker.stop', target: 'leader', partition: 0 },
      ],
      profiles: [
        {
          name: 'acks-all',
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
        processingTime: 0,
        drainTimeout: 60_000,
        healthTimeout: 60_000,
      },
      faults: [],
      profiles: [
        {
          name: 'default',
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
    expect(exp.faults.map((f) => f.target)).toEqual(['leader', 0, 0]);
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
      issue(8, 13, 'faults[0].action', 'expected one of broker.kill, broker.stop, broker.pause, broker.disconnect, network.latency, network.down, network.reset, consumer.kill, producer.kill; got "broker.explode"'),
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
      issue(7, 43, 'faults[0].target', 'expected leader, follower, controller, random or a broker id (1, 2, ...) for broker.kill, got 0'),
      issue(8, 45, 'faults[1].target', 'expected a consumer index (0, 1, ...) or random for consumer.kill, got "leader"'),
      issue(9, 44, 'faults[2].target', 'expected leader, follower, controller, random or a broker id (1, 2, ...) for broker.pause, got "primary"'),
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
    expect(exp.faults).toEqual([
      { at: 2000, partition: 0, action: 'network.latency', target: 'leader', link: 'replication', latency: 800, jitter: 50 },
      { at: 3000, partition: 0, action: 'network.down', target: 2, link: 'client', restartAfter: 1000 },
    ]);
  });

  it('network.latency without a latency is refused at the fault', () => {
    expect(issuesOf(`${MINIMAL}faults:\n  - at: 2s\n    action: network.latency\n`)).toEqual([
      issue(7, 5, 'faults[0]', 'network.latency needs a latency (for example latency: 500ms)'),
    ]);
  });

  it('link and latency are refused on a fault that is not a network fault', () => {
    expect(issuesOf(`${MINIMAL}faults:\n  - at: 2s\n    action: broker.kill\n    link: client\n`)).toEqual([
      issue(9, 11, 'faults[0].link', 'link applies only to network.* faults, not broker.kill'),
    ]);
  });
});
