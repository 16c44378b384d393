// A fault type is one small object: its action name, its parameters (a zod schema, from
// which the experiment schema is derived), what backend capabilities it needs, and
// apply, which returns how to heal it. The nemesis knows nothing else about faults.
import { z } from 'zod';
import type { Capability, Cluster } from '../cluster/backend.ts';
import type { ClusterAdmin, PartitionState } from '../cluster/admin.ts';
import { describeValue, duration } from '../experiment/fields.ts';
import { HarnessError } from '../util/errors.ts';

/** What a fault acts on. The runner provides it. */
export interface FaultWorld {
  cluster: Cluster;
  /** the test topic's partitions as the cluster sees them now */
  partitions(): Promise<PartitionState[]>;
  activeController(): Promise<number>;
  /** moves a partition of the test topic to these replicas (the first is the preferred leader) */
  reassign?(partition: number, replicas: number[]): Promise<void>;
  agent(role: AgentRole, index: number): AgentControl | undefined;
  /** starts one more consumer in the group (a member joining mid-run); absent where the world has no workload */
  addConsumer?(): Promise<AgentControl>;
  /** milliseconds since the workload started */
  elapsed(): number;
  log(line: string): void;
  /** aborted when the run is interrupted */
  signal: AbortSignal;
}

/**
 * The world of a cluster with one test topic (`topic()` names it when a fault asks):
 * the runner's and the library's faults act through the same one.
 */
export function clusterWorld(o: {
  cluster: Cluster;
  admin: ClusterAdmin;
  topic: () => string;
  agent?: FaultWorld['agent'];
  addConsumer?: FaultWorld['addConsumer'];
  elapsed: () => number;
  log: (line: string) => void;
  signal: AbortSignal;
}): FaultWorld {
  return {
    cluster: o.cluster,
    partitions: () => o.admin.partitions(o.topic()),
    activeController: () => {
      if (!o.cluster.activeController) throw new HarnessError(`the ${o.cluster.backend} backend cannot find the active controller`);
      return o.cluster.activeController();
    },
    reassign: (p, replicas) => o.admin.reassign(o.topic(), p, replicas),
    agent: o.agent ?? (() => undefined),
    ...(o.addConsumer ? { addConsumer: o.addConsumer } : {}),
    elapsed: o.elapsed,
    log: o.log,
    signal: o.signal,
  };
}

export type AgentRole = 'producer' | 'consumer' | 'transformer';

export interface AgentControl {
  readonly name: string;
  kill(): Promise<void>;
  /** a graceful stop: finish the work in hand, commit, leave the group */
  stop(graceMs: number): Promise<void>;
  start(): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
}

/** An applied fault: what it hit, and how to undo it. */
export interface Applied {
  /** what the target resolved to, e.g. "broker 2" or "brokers 1, 3: b1-client, b3-client" */
  resolved: string;
  /** what healing does, e.g. "start" or "remove toxic"; "none" for faults that heal themselves */
  heal: string;
  undo(): Promise<void>;
  /** fault-specific facts for the report (e.g. what a power loss truncated) */
  details?: Record<string, unknown>;
  /** healing restarts a producer, which must not happen once the workload is over */
  restartsProducer?: boolean;
  /** the fault is over when apply returns (an election, a restart): it heals itself at once */
  instant?: boolean;
}

/** The scheduling part of every fault. */
export interface Scheduled {
  index: number;
  atMs: number;
  /** heal this long after the fault fired; absent: healed after the workload */
  restartAfterMs?: number;
  /** a `random` target drawn from the seed when the schedule was built */
  drawn?: number;
}

export interface FaultType<S extends { action: string } = { action: string }> {
  readonly action: S['action'];
  /** one line for `kafka-chaos list` */
  readonly summary: string;
  readonly needs: readonly Capability[];
  /** the capabilities this fault as written needs, where its parameters add some to `needs` */
  needsFor?(spec: S): readonly Capability[];
  /** what `target` names, for checks against the cluster and workload sizes and for random draws */
  readonly targets: 'brokers' | AgentRole | 'none';
  /** the fault's own keys (besides action, at and restartAfter) */
  readonly params: z.ZodRawShape;
  /** checks that span keys of the fault itself (a message per bad key) */
  refine?(spec: S): Array<{ key: string; message: string }>;
  apply(spec: S & Scheduled, world: FaultWorld): Promise<Applied>;
}

/** Type-checks a fault type against its own parameter schema. */
export function defineFault<P extends z.ZodRawShape, A extends string>(
  f: Omit<FaultType<{ action: A } & z.output<z.ZodObject<P>>>, 'params'> & { params: P },
): FaultType {
  return f as unknown as FaultType;
}

// ---- shared parameters ---------------------------------------------------------------

export const BROKER_ROLES = ['leader', 'follower', 'controller', 'random', 'all', 'replicas-of'] as const;
export type BrokerRole = (typeof BROKER_ROLES)[number];
/** a role resolved when the fault fires, a broker id, or a list of broker ids */
export type BrokerTarget = BrokerRole | number | number[];

const isBrokerId = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 1;
/** leader (default), follower, controller, random, all, replicas-of, a broker id or a list of ids */
export const brokerTarget = z.unknown().optional().transform((v, ctx): BrokerTarget => {
  if (v === undefined) return 'leader';
  if ((BROKER_ROLES as readonly unknown[]).includes(v) || isBrokerId(v)) return v as BrokerTarget;
  if (Array.isArray(v) && v.length > 0 && v.every(isBrokerId)) return v;
  ctx.addIssue({
    code: 'custom',
    input: v,
    message: `expected leader, follower, controller, random, all, replicas-of, a broker id (1, 2, ...) or a list of ids, got ${describeValue(v)}`,
  });
  return z.NEVER;
});
/** an agent index (default 0) or random */
export const agentTarget = z.unknown().optional().transform((v, ctx): number | 'random' => {
  if (v === undefined) return 0;
  if (v === 'random' || (Number.isSafeInteger(v) && (v as number) >= 0)) return v as number | 'random';
  ctx.addIssue({ code: 'custom', input: v, message: `expected an agent index (0, 1, ...) or random, got ${describeValue(v)}` });
  return z.NEVER;
});
/** the partition whose leader, follower or replicas a role means */
export const partition = z.int().min(0).default(0);

export const LINKS = ['client', 'replication', 'controller', 'all'] as const;
export type Link = (typeof LINKS)[number];

export const common = {
  at: duration(),
  restartAfter: duration().optional(),
};

export { duration };

// ---- target resolution ---------------------------------------------------------------

function partitionState(parts: PartitionState[], p: number): PartitionState {
  const s = parts.find((x) => x.partition === p);
  if (!s) throw new HarnessError(`the topic has no partition ${p}`);
  return s;
}

/** The brokers a broker target means right now (sorted, distinct). */
export async function resolveBrokers(spec: { target: BrokerTarget; partition: number; drawn?: number }, world: FaultWorld): Promise<number[]> {
  const t = spec.target;
  if (typeof t === 'number') return [t];
  if (Array.isArray(t)) return [...new Set(t)].sort((a, b) => a - b);
  if (t === 'random') {
    if (spec.drawn === undefined) throw new HarnessError('internal: a random target was not drawn when the schedule was built');
    return [spec.drawn];
  }
  if (t === 'all') return [...world.cluster.brokerIds].sort((a, b) => a - b);
  if (t === 'controller') return [await world.activeController()];
  const s = partitionState(await world.partitions(), spec.partition);
  if (t === 'leader') {
    if (s.leader < 0) throw new HarnessError(`partition ${spec.partition} has no leader right now`);
    return [s.leader];
  }
  if (t === 'follower') {
    const follower = s.replicas.find((r) => r !== s.leader);
    if (follower === undefined) throw new HarnessError(`partition ${spec.partition} has no follower`);
    return [follower];
  }
  return [...s.replicas].sort((a, b) => a - b);
}

export function describeBrokers(ids: readonly number[]): string {
  return ids.length === 1 ? `broker ${ids[0]}` : `brokers ${ids.join(', ')}`;
}

/** How a target reads in the timeline, e.g. "leader of partition 0". */
export function describeTarget(spec: { target?: unknown; partition?: number }): string {
  const t = spec.target;
  if (t === undefined) return '-';
  if (Array.isArray(t)) return `brokers ${t.join(', ')}`;
  if (t === 'leader' || t === 'follower' || t === 'replicas-of') return `${t === 'replicas-of' ? 'replicas' : t} of partition ${spec.partition ?? 0}`;
  return String(t);
}

/** The partition's current state (leader, replicas, ISR). */
export async function partitionOf(world: FaultWorld, p: number): Promise<PartitionState> {
  return partitionState(await world.partitions(), p);
}
