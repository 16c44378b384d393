// Operations an operator runs on a live cluster, here in the middle of the writes.
import { z } from 'zod';
import { HarnessError } from '../../util/errors.ts';
import { common, defineFault, partition, partitionOf } from '../fault.ts';

export const electLeaders = defineFault({
  action: 'cluster.elect-leaders',
  summary: "leader election through Kafka's own tool: preferred (leadership moves back to each partition's first replica) or unclean",
  needs: ['admin-tools'],
  targets: 'none',
  params: { ...common, type: z.enum(['preferred', 'unclean']).default('preferred') },
  async apply(spec, world) {
    const c = world.cluster;
    if (!c.runTool) throw new HarnessError(`the ${c.backend} backend cannot run Kafka's admin tools`);
    const out = await c.runTool('kafka-leader-election', ['--bootstrap-server', '{bootstrap}', '--election-type', spec.type.toUpperCase(), '--all-topic-partitions']);
    return { resolved: `every partition (${spec.type})`, heal: 'none', instant: true, undo: async () => undefined, details: { output: out.trim().split('\n').slice(0, 20) } };
  },
});

export const reassign = defineFault({
  action: 'cluster.reassign',
  summary: "partition reassignment through the admin API: new replicas for a partition (or its replica list rotated, so leadership moves)",
  needs: [],
  targets: 'none',
  params: { ...common, partition, replicas: z.union([z.array(z.int().min(1)).min(1), z.literal('rotate')]).default('rotate') },
  async apply(spec, world) {
    if (!world.reassign) throw new HarnessError('partition reassignment is not available in this run');
    const before = (await partitionOf(world, spec.partition)).replicas;
    const replicas = spec.replicas === 'rotate' ? [...before.slice(1), before[0]!] : spec.replicas;
    await world.reassign(spec.partition, replicas);
    return { resolved: `partition ${spec.partition}: [${before.join(', ')}] -> [${replicas.join(', ')}]`, heal: 'none', undo: async () => undefined, instant: true };
  },
});
