// Which KRaft features a cluster runs with, as the cluster itself reports them
// (kafka-features describe), and from that whether eligible leader replicas (KIP-966)
// were on: Kafka 4.x has a feature for it, 3.9 only an internal broker setting.
import type { Cluster } from './backend.ts';
import { errorMessage } from '../util/errors.ts';

export interface KafkaFeatures {
  /** finalized feature levels by name, as the cluster reported them; absent when it could not be asked */
  levels?: Record<string, string>;
  /** eligible leader replicas (KIP-966): on, off, or null when it could not be told */
  elr: boolean | null;
  /** how that was decided, in words */
  elrBecause: string;
}

const ELR_FEATURE = 'eligible.leader.replicas.version';
const ELR_SETTING = 'eligible.leader.replicas.enable';

/** Feature levels from `kafka-features describe`: one `Feature: name ... FinalizedVersionLevel: level` line each. */
export function parseFeatureLevels(out: string): Record<string, string> {
  const levels: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const m = /^Feature:\s*(\S+).*?FinalizedVersionLevel:\s*(\S+)/.exec(line.trim());
    if (m?.[1] && m[2]) levels[m[1]] = m[2];
  }
  return levels;
}

/** Whether eligible leader replicas were on, from the feature levels and the broker settings. */
export function elrState(levels: Record<string, string> | undefined, brokerConfig: Record<string, string>): Pick<KafkaFeatures, 'elr' | 'elrBecause'> {
  if (levels === undefined) return { elr: null, elrBecause: 'the cluster could not be asked for its features' };
  const level = levels[ELR_FEATURE];
  if (level !== undefined) return { elr: Number(level) >= 1, elrBecause: `${ELR_FEATURE}=${level}` };
  const setting = brokerConfig[ELR_SETTING];
  return {
    elr: setting === 'true',
    elrBecause: `this Kafka has no ${ELR_FEATURE} feature; ${ELR_SETTING}=${setting ?? 'false (its default)'}`,
  };
}

/** Asks the cluster (Kafka's own kafka-features tool) for its features; never throws. */
export async function probeFeatures(cluster: Cluster, brokerConfig: Record<string, string>): Promise<KafkaFeatures> {
  if (!cluster.runTool) return { elr: null, elrBecause: `the ${cluster.backend} backend cannot run Kafka's admin tools` };
  try {
    const levels = parseFeatureLevels(await cluster.runTool('kafka-features', ['--bootstrap-server', '{bootstrap}', 'describe']));
    if (Object.keys(levels).length === 0) return { elr: null, elrBecause: 'kafka-features describe printed no feature' };
    return { levels, ...elrState(levels, brokerConfig) };
  } catch (err) {
    return { elr: null, elrBecause: `kafka-features describe failed: ${errorMessage(err)}` };
  }
}
