import { describe, expect, it } from 'vitest';
import { elrState, parseFeatureLevels } from '../../harness/cluster/features.ts';
import { ExperimentError, parseExperiment } from '../../harness/experiment/load.ts';
import { effectiveKafkaVersion, kafkaVersionsOf } from '../../harness/experiment/schema.ts';
import { DEFAULT_KAFKA_VERSION } from '../../harness/provision/versions.ts';
import { describeElr } from '../../harness/report/render.ts';

// what Kafka 4.3.1's kafka-features describe prints (tabs between the columns)
const DESCRIBE_4 = [
  'Feature: eligible.leader.replicas.version\tSupportedMinVersion: 0\tSupportedMaxVersion: 1\tFinalizedVersionLevel: 1\tEpoch: 22',
  'Feature: metadata.version\tSupportedMinVersion: 3.3-IV3\tSupportedMaxVersion: 4.3-IV0\tFinalizedVersionLevel: 4.3-IV0\tEpoch: 22',
  'Feature: transaction.version\tSupportedMinVersion: 0\tSupportedMaxVersion: 2\tFinalizedVersionLevel: 2\tEpoch: 22',
].join('\n');

describe('cluster features', () => {
  it('reads the finalized level of every feature line and nothing else', () => {
    expect(parseFeatureLevels(`SLF4J: noise\n${DESCRIBE_4}\n`)).toEqual({
      'eligible.leader.replicas.version': '1',
      'metadata.version': '4.3-IV0',
      'transaction.version': '2',
    });
    expect(parseFeatureLevels('no features here')).toEqual({});
  });

  it('ELR is on when its feature is at level 1 or more, off at 0', () => {
    expect(elrState(parseFeatureLevels(DESCRIBE_4), {})).toEqual({ elr: true, elrBecause: 'eligible.leader.replicas.version=1' });
    expect(elrState({ 'eligible.leader.replicas.version': '0' }, { 'eligible.leader.replicas.enable': 'true' }).elr).toBe(false);
  });

  it('without the feature (Kafka 3.9) the broker setting decides, off by default', () => {
    const k39 = { 'metadata.version': '3.9-IV0' };
    expect(elrState(k39, {})).toEqual({ elr: false, elrBecause: expect.stringMatching(/no eligible.leader.replicas.version feature; eligible.leader.replicas.enable=false \(its default\)/) });
    expect(elrState(k39, { 'eligible.leader.replicas.enable': 'true' }).elr).toBe(true);
  });

  it('unknown, never guessed, when the cluster could not be asked', () => {
    expect(elrState(undefined, { 'eligible.leader.replicas.enable': 'true' }).elr).toBeNull();
    expect(describeElr({ features: { elr: null, elrBecause: 'the compose backend cannot run Kafka\'s admin tools' } })).toMatch(/: unknown \(the compose/);
    expect(describeElr({ features: { elr: true, elrBecause: 'eligible.leader.replicas.version=1' } })).toBe('eligible leader replicas (KIP-966): on (eligible.leader.replicas.version=1)');
  });
});

describe('Kafka version per profile', () => {
  const exp = (cluster: string, profiles: string) =>
    parseExperiment(`name: t\n${cluster}workload:\n  duration: 5s\nprofiles:\n${profiles}`, 'experiments/t.yaml');

  it('a profile runs its own version, else the cluster\'s, else the default', () => {
    const e = exp('cluster:\n  kafkaVersion: "3.9.1"\n', '  - name: a\n  - name: b\n    kafkaVersion: "4.1.0"\n');
    expect(effectiveKafkaVersion(e, e.profiles[0]!)).toBe('3.9.1');
    expect(effectiveKafkaVersion(e, e.profiles[1]!)).toBe('4.1.0');
    expect(kafkaVersionsOf(e)).toEqual(['3.9.1', '4.1.0']);
    const d = exp('', '  - name: a\n');
    expect(kafkaVersionsOf(d)).toEqual([DEFAULT_KAFKA_VERSION]);
  });

  it('a malformed profile version is refused at its line and key', () => {
    try {
      exp('', '  - name: a\n    kafkaVersion: latest\n');
      expect.unreachable('accepted');
    } catch (e) {
      expect(e).toBeInstanceOf(ExperimentError);
      expect((e as ExperimentError).issues[0]).toMatchObject({ line: 6, key: 'profiles[0].kafkaVersion', message: expect.stringMatching(/expected a version like 4.1.0, got "latest"/) });
    }
  });
});
