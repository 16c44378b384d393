// The fault catalogue: every fault type, by action. The experiment schema is derived from
// it, the nemesis applies its entries, and `kafka-chaos list` prints it.
import { z } from 'zod';
import type { Capability } from '../cluster/backend.ts';
import type { FaultType } from './fault.ts';
import { consumerJoin, consumerKill, consumerLeave, consumerPause, producerKill, transformerKill } from './types/agents.ts';
import { brokerDisconnect, brokerKill, brokerPause, brokerRestart, brokerStop } from './types/broker.ts';
import { electLeaders, reassign } from './types/cluster-ops.ts';
import { networkBandwidth, networkDown, networkLatency, networkLimitData, networkPartition, networkReset, networkSlicer, networkTimeout } from './types/network.ts';
import { brokerPowerLoss } from './types/power-loss.ts';
import { lastReplicaStanding, leaderBounce, rollingRestart, staleLeader } from './types/recipes.ts';

export const FAULT_TYPES: readonly FaultType[] = [
  brokerKill,
  brokerStop,
  brokerPause,
  brokerRestart,
  brokerPowerLoss,
  brokerDisconnect,
  networkLatency,
  networkBandwidth,
  networkTimeout,
  networkReset,
  networkSlicer,
  networkLimitData,
  networkDown,
  networkPartition,
  consumerKill,
  consumerLeave,
  consumerJoin,
  transformerKill,
  consumerPause,
  producerKill,
  electLeaders,
  reassign,
  staleLeader,
  lastReplicaStanding,
  rollingRestart,
  leaderBounce,
];

const byAction = new Map(FAULT_TYPES.map((t) => [t.action, t]));

export function faultType(action: string): FaultType {
  const t = byAction.get(action);
  if (!t) throw new Error(`internal: no fault type ${action}`);
  return t;
}

export const FAULT_ACTIONS = FAULT_TYPES.map((t) => t.action);

/** What a fault as written needs of its backend. */
export function faultNeeds(spec: { action: string }): readonly Capability[] {
  const t = faultType(spec.action);
  return t.needsFor ? t.needsFor(spec as never) : t.needs;
}

/** A fault as written in an experiment, with its defaults applied (durations in ms). */
export interface FaultSpec {
  action: string;
  at: number;
  restartAfter?: number;
  target?: unknown;
  partition?: number;
  [param: string]: unknown;
}

function option(t: FaultType, extra: z.ZodRawShape, omitAt: boolean) {
  const { at, ...rest } = t.params;
  const obj = z.strictObject({ action: z.literal(t.action), ...(omitAt ? {} : { at }), ...rest, ...extra });
  const refine = t.refine;
  return refine ? obj.superRefine((v, ctx) => {
    for (const p of refine(v as never)) ctx.addIssue({ code: 'custom', path: [p.key], input: (v as Record<string, unknown>)[p.key], message: p.message });
  }) : obj;
}

/** One fault of an explicit schedule: a discriminated union on `action` of the catalogue's entries. */
export const FaultSchema = z.discriminatedUnion(
  'action',
  FAULT_TYPES.map((t) => option(t, {}, false)) as unknown as [z.ZodObject, ...z.ZodObject[]],
) as unknown as z.ZodType<FaultSpec>;

/** One entry of a random mix: a fault without `at`, with a relative weight. */
export interface MixEntry {
  action: string;
  weight: number;
  restartAfter?: number;
  target?: unknown;
  partition?: number;
  [param: string]: unknown;
}

export const MixEntrySchema = z.discriminatedUnion(
  'action',
  FAULT_TYPES.map((t) => option(t, { weight: z.number().positive().default(1) }, true)) as unknown as [z.ZodObject, ...z.ZodObject[]],
) as unknown as z.ZodType<MixEntry>;
