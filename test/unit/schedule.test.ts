// The fault schedule is drawn from the seed: the same seed gives the same schedule.
import { describe, expect, it } from 'vitest';
import type { FaultSpec } from '../../harness/experiment/schema.ts';
import { buildSchedule } from '../../harness/faults/schedule.ts';

const faults: FaultSpec[] = [
  { at: 9000, partition: 0, action: 'broker.kill', target: 'random' },
  { at: 3000, partition: 1, action: 'consumer.kill', target: 'random', restartAfter: 1000 },
  { at: 5000, partition: 0, action: 'network.latency', target: 'leader', link: 'replication', latency: 300 },
  { at: 6000, partition: 0, action: 'broker.pause', target: 2 },
];
const opts = { brokers: 5, producers: 2, consumers: 4 };

describe('buildSchedule', () => {
  it('is the same for the same seed, sorted by time, with random targets drawn in range', () => {
    const a = buildSchedule(faults, { seed: 42, ...opts });
    const b = buildSchedule(faults, { seed: 42, ...opts });
    expect(a).toEqual(b);
    expect(a.map((f) => f.atMs)).toEqual([3000, 5000, 6000, 9000]);
    const kill = a.find((f) => f.action === 'broker.kill')!;
    expect(kill.drawn).toBeGreaterThanOrEqual(1);
    expect(kill.drawn).toBeLessThanOrEqual(5);
    const consumer = a.find((f) => f.action === 'consumer.kill')!;
    expect(consumer.drawn).toBeGreaterThanOrEqual(0);
    expect(consumer.drawn).toBeLessThan(4);
    expect(consumer.restartAfterMs).toBe(1000);
    expect(a.find((f) => f.action === 'broker.pause')!.drawn).toBeUndefined();
    expect(a.find((f) => f.action === 'network.latency')).toMatchObject({ link: 'replication', latencyMs: 300, drawn: undefined });
  });

  it('different seeds draw different targets (over many seeds)', () => {
    const drawn = new Set<number | undefined>();
    for (let seed = 0; seed < 50; seed++) drawn.add(buildSchedule(faults, { seed, ...opts }).find((f) => f.action === 'broker.kill')!.drawn);
    expect(drawn.size).toBe(5);
  });
});
