// Recipes: catalogue entries made of other faults, in sequence, for the scenarios the
// reference articles describe. Each returns one heal that undoes all of it.
import { z } from 'zod';
import { inboundProxies } from '../../cluster/backend.ts';
import { HarnessError } from '../../util/errors.ts';
import { sleep } from '../../util/time.ts';
import { common, defineFault, describeBrokers, duration, partition, partitionOf, type FaultWorld } from '../fault.ts';
import { powerOff, truncationDetails } from './power-loss.ts';

/** Polls the partition until `pred` holds (bounded). */
async function waitForIsr(world: FaultWorld, p: number, pred: (isr: number[], leader: number) => boolean, timeoutMs: number, what: string): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await partitionOf(world, p).catch(() => undefined);
    if (s && pred(s.isr, s.leader)) return s.isr;
    if (Date.now() > deadline) throw new HarnessError(`partition ${p}: ${what} did not happen within ${timeoutMs / 1000}s (isr [${s?.isr.join(', ') ?? '?'}], leader ${s?.leader ?? '?'})`);
    await sleep(200, world.signal);
  }
}

const ending = z.enum(['kill', 'power-loss']).default('kill');

export const staleLeader = defineFault({
  action: 'recipe.stale-leader',
  summary: "the leader's followers are cut off until they leave the ISR, writes go on to the leader alone, then the leader dies (kill or power-loss)",
  needs: ['signals', 'toxiproxy'],
  needsFor: (spec) => (spec.then === 'power-loss' ? ['signals', 'toxiproxy', 'broker-data'] : ['signals', 'toxiproxy']),
  targets: 'none',
  params: { ...common, partition, alone: duration().default(3000), then: ending, shrinkTimeout: duration().default(60_000) },
  async apply(spec, world) {
    const c = world.cluster;
    const leader = (await partitionOf(world, spec.partition)).leader;
    if (leader < 0) throw new HarnessError(`partition ${spec.partition} has no leader`);
    const cut = inboundProxies(leader, ['replication'], c.brokerIds);
    for (const n of cut) await c.toxiproxy.setEnabled(n, false);
    let details: Record<string, unknown> | undefined;
    try {
      await waitForIsr(world, spec.partition, (isr) => isr.length === 1 && isr[0] === leader, spec.shrinkTimeout, `the ISR shrinking to the leader ${leader}`);
      world.log(`recipe.stale-leader: the ISR of partition ${spec.partition} is [${leader}]; writing to it alone for ${spec.alone / 1000}s`);
      await sleep(spec.alone, world.signal);
      if (spec.then === 'power-loss') details = truncationDetails(await powerOff([leader], world));
      else await c.kill(leader);
    } finally {
      // the followers get their link back (also when a step failed): they are stale, and
      // only an unclean election can make one of them the leader
      for (const n of cut) await c.toxiproxy.setEnabled(n, true);
    }
    return { resolved: `leader broker ${leader} of partition ${spec.partition} (${spec.then})`, heal: 'start the old leader', undo: () => c.start(leader), ...(details ? { details } : {}) };
  },
});

export const lastReplicaStanding = defineFault({
  action: 'recipe.last-replica-standing',
  summary: 'KIP-966: the followers of a partition stop one by one until the leader is the last in-sync replica, which then loses power (its unflushed tail)',
  needs: ['signals', 'toxiproxy', 'broker-data'],
  targets: 'none',
  params: { ...common, partition, shrinkTimeout: duration().default(60_000) },
  async apply(spec, world) {
    const c = world.cluster;
    const s = await partitionOf(world, spec.partition);
    if (s.leader < 0) throw new HarnessError(`partition ${spec.partition} has no leader`);
    const followers = s.replicas.filter((r) => r !== s.leader);
    for (const f of followers) {
      await c.stop(f);
      await waitForIsr(world, spec.partition, (isr) => !isr.includes(f), spec.shrinkTimeout, `broker ${f} leaving the ISR`);
    }
    const parts = await powerOff([s.leader], world);
    const all = [s.leader, ...followers];
    return {
      resolved: `partition ${spec.partition}: followers ${followers.join(', ')} stopped, then leader ${s.leader} lost power`,
      heal: `start ${describeBrokers(all)}`,
      undo: () => Promise.all(all.map((id) => c.start(id))).then(() => undefined),
      details: truncationDetails(parts),
    };
  },
});

export const rollingRestart = defineFault({
  action: 'recipe.rolling-restart',
  summary: 'every broker stopped gracefully and started again, one at a time, waiting for a full ISR in between',
  needs: ['signals'],
  targets: 'none',
  params: { ...common, healthTimeout: duration().default(60_000) },
  async apply(spec, world) {
    const c = world.cluster;
    const ids = [...c.brokerIds].sort((a, b) => a - b);
    for (const id of ids) {
      await c.stop(id);
      await c.start(id);
      const deadline = Date.now() + spec.healthTimeout;
      for (;;) {
        const parts = await world.partitions().catch(() => []);
        if (parts.length > 0 && parts.every((p) => p.leader >= 0 && p.isr.length === p.replicas.length)) break;
        if (Date.now() > deadline) throw new HarnessError(`rolling restart: the ISR was not full ${spec.healthTimeout / 1000}s after broker ${id} restarted`);
        await sleep(250, world.signal);
      }
    }
    return { resolved: describeBrokers(ids), heal: 'none (restarted in turn)', undo: async () => undefined, instant: true };
  },
});

export const leaderBounce = defineFault({
  action: 'recipe.leader-bounce',
  summary: "the partition's current leader is killed and started again, `times` times, `down` each time",
  needs: ['signals'],
  targets: 'none',
  params: { ...common, partition, times: z.int().min(1).max(20).default(3), down: duration().default(2000), between: duration().default(2000) },
  async apply(spec, world) {
    const c = world.cluster;
    const hit: number[] = [];
    for (let i = 0; i < spec.times; i++) {
      const leader = (await partitionOf(world, spec.partition)).leader;
      if (leader < 0) throw new HarnessError(`partition ${spec.partition} has no leader (bounce ${i + 1})`);
      hit.push(leader);
      await c.kill(leader);
      await sleep(spec.down, world.signal);
      await c.start(leader);
      if (i + 1 < spec.times) await sleep(spec.between, world.signal);
    }
    return { resolved: `leaders of partition ${spec.partition}: ${hit.join(', ')}`, heal: 'none (restarted each time)', undo: async () => undefined, instant: true };
  },
});
