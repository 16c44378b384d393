// The nemesis keeps time: it fires catalogue entries on schedule, records the real times
// they took effect and were healed, and heals after restartAfter or at the end.
import { describe, expect, it } from 'vitest';
import type { Cluster } from '../../harness/cluster/backend.ts';
import type { FaultWorld } from '../../harness/faults/fault.ts';
import { Nemesis } from '../../harness/faults/nemesis.ts';
import { buildSchedule } from '../../harness/faults/schedule.ts';

/** A world whose cluster only records what was done to it (pure logic: no broker here). */
function world() {
  const calls: string[] = [];
  const t0 = Date.now();
  const cluster = {
    backend: 'stub',
    brokerIds: [1, 2, 3],
    kill: async (id: number) => void calls.push(`kill ${id}`),
    start: async (id: number) => void calls.push(`start ${id}`),
  } as unknown as Cluster;
  const w: FaultWorld = {
    cluster,
    partitions: async () => [{ partition: 0, leader: 2, replicas: [2, 3, 1], isr: [2, 3, 1] }],
    activeController: async () => 1,
    reassign: async (p, replicas) => {
      calls.push(`reassign ${p} [${replicas.join(',')}]`);
      await new Promise((r) => setTimeout(r, 120));
    },
    agent: () => undefined,
    elapsed: () => Date.now() - t0,
    log: () => undefined,
    signal: new AbortController().signal,
  };
  return { w, calls };
}

const sizes = { seed: 1, brokers: 3, producers: 1, consumers: 1, durationMs: 10_000 };

describe('Nemesis', () => {
  it('fires on schedule, heals after restartAfter, and records an instant fault as healed when it returned', async () => {
    const { w, calls } = world();
    const schedule = buildSchedule(
      {
        form: 'list',
        list: [
          { action: 'broker.kill', at: 50, target: 'leader', partition: 0, restartAfter: 100 },
          { action: 'cluster.reassign', at: 80, partition: 0, replicas: 'rotate' },
        ],
      },
      sizes,
    );
    const n = new Nemesis(schedule, w);
    await n.run(new AbortController().signal);
    await new Promise((r) => setTimeout(r, 250));
    await n.healAll();
    expect(calls).toEqual(['kill 2', 'reassign 0 [3,1,2]', 'start 2']);
    const [kill, move] = n.timeline;
    expect(kill).toMatchObject({ action: 'broker.kill', resolved: 'broker 2', heal: 'start' });
    expect(kill!.appliedAtMs!).toBeGreaterThanOrEqual(50);
    // healed by its own timer, about 100 ms after it fired, not at the end
    expect(kill!.healedAtMs! - kill!.appliedAtMs!).toBeGreaterThanOrEqual(100);
    expect(kill!.healedAtMs! - kill!.appliedAtMs!).toBeLessThan(240);
    expect(move).toMatchObject({ action: 'cluster.reassign', resolved: 'partition 0: [2, 3, 1] -> [3, 1, 2]' });
    // an instant fault spans the time its apply took (the stub waits 120 ms), then it is over
    expect(move!.healedAtMs! - move!.appliedAtMs!).toBeGreaterThanOrEqual(110);
    expect(move!.healedAtMs! - move!.appliedAtMs!).toBeLessThan(240);
    expect(move!.error).toBeUndefined();
  });

  it('a fault that cannot be applied goes on the timeline with the reason, and the schedule goes on', async () => {
    const { w, calls } = world();
    const schedule = buildSchedule(
      {
        form: 'list',
        list: [
          { action: 'broker.kill', at: 10, target: 'leader', partition: 5 },
          { action: 'broker.kill', at: 20, target: 3, partition: 0 },
        ],
      },
      sizes,
    );
    const n = new Nemesis(schedule, w);
    await n.run(new AbortController().signal);
    await n.healAll();
    expect(n.timeline[0]!.error).toBe('not applied: the topic has no partition 5');
    expect(n.timeline[0]!.appliedAtMs).toBeNull();
    expect(calls).toEqual(['kill 3', 'start 3']);
  });
});
