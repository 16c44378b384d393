// The fault schedule is drawn from the seed: the same seed gives the same schedule.
import { describe, expect, it } from 'vitest';
import type { FaultSpec, MixEntry } from '../../harness/faults/catalogue.ts';
import { buildSchedule, generate, type FaultPlan, type RandomFaults, type ScheduledFault, type ScheduleSizes } from '../../harness/faults/schedule.ts';

const faults: FaultSpec[] = [
  { at: 9000, partition: 0, action: 'broker.kill', target: 'random' },
  { at: 3000, action: 'consumer.kill', target: 'random', restartAfter: 1000 },
  { at: 5000, partition: 0, action: 'network.latency', target: 'leader', link: 'replication', latency: 300 },
  { at: 6000, partition: 0, action: 'broker.pause', target: 2 },
];
const opts = { brokers: 5, producers: 2, consumers: 4, durationMs: 60_000 };
const listPlan = (list: FaultSpec[]): FaultPlan => ({ form: 'list', list });
const sized = (seed: number, over: Partial<ScheduleSizes> = {}): ScheduleSizes => ({ seed, ...opts, ...over });

const killRandom: MixEntry = { action: 'broker.kill', target: 'random', partition: 0, weight: 1 };
const latency: MixEntry = { action: 'network.latency', target: 'leader', partition: 0, link: 'replication', latency: 100, weight: 2 };
const random = (over: Partial<RandomFaults> = {}): RandomFaults => ({ every: 1000, jitter: 400, from: 2000, until: 50_000, mix: [killRandom, latency], ...over });
const withRandom = (r: RandomFaults, list: FaultSpec[] = faults): FaultPlan => ({ form: 'sections', list, random: r });

const generatedOf = (s: ScheduledFault[]) => s.filter((f) => f.generated);
/** Successive gaps between the generated faults, the first from `from`. */
const intervals = (s: ScheduledFault[], from: number) => {
  const at = generatedOf(s).map((f) => f.atMs);
  return at.map((t, i) => t - (i === 0 ? from : at[i - 1]!));
};

describe('buildSchedule', () => {
  it('is the same for the same seed, sorted by time, with random targets drawn in range', () => {
    const a = buildSchedule(listPlan(faults), sized(42));
    const b = buildSchedule(listPlan(faults), sized(42));
    expect(a).toEqual(b);
    expect(a.map((f) => f.atMs)).toEqual([3000, 5000, 6000, 9000]);
    expect(a.map((f) => f.index)).toEqual([0, 1, 2, 3]);
    expect(a.every((f) => f.generated === false)).toBe(true);
    const kill = a.find((f) => f.action === 'broker.kill')!;
    expect(kill.drawn).toBeGreaterThanOrEqual(1);
    expect(kill.drawn).toBeLessThanOrEqual(5);
    expect(kill.target).toBe(`random (broker ${kill.drawn})`);
    expect(kill.spec).toBe(faults[0]);
    const consumer = a.find((f) => f.action === 'consumer.kill')!;
    expect(consumer.drawn).toBeGreaterThanOrEqual(0);
    expect(consumer.drawn).toBeLessThan(4);
    expect(consumer.target).toBe(`random (consumer ${consumer.drawn})`);
    expect(consumer.restartAfterMs).toBe(1000);
    const pause = a.find((f) => f.action === 'broker.pause')!;
    expect(pause.drawn).toBeUndefined();
    expect(pause.target).toBe('2');
    expect('restartAfterMs' in pause).toBe(false);
    const lat = a.find((f) => f.action === 'network.latency')!;
    expect(lat).toMatchObject({ target: 'leader of partition 0', spec: { link: 'replication', latency: 300 } });
    expect(lat.drawn).toBeUndefined();
  });

  it('different seeds draw different targets (over many seeds)', () => {
    const drawn = new Set<number | undefined>();
    for (let seed = 0; seed < 50; seed++) drawn.add(buildSchedule(listPlan(faults), sized(seed)).find((f) => f.action === 'broker.kill')!.drawn);
    expect(drawn.size).toBe(5);
  });

  it('a producer fault draws among the producers', () => {
    const drawn = new Set<number | undefined>();
    for (let seed = 0; seed < 50; seed++) drawn.add(buildSchedule(listPlan([{ at: 1, action: 'producer.kill', target: 'random' }]), sized(seed))[0]!.drawn);
    expect([...drawn].sort()).toEqual([0, 1]);
  });
});

describe('buildSchedule with faults.random', () => {
  it('the same seed gives the same schedule', () => {
    const a = buildSchedule(withRandom(random()), sized(7));
    const b = buildSchedule(withRandom(random()), sized(7));
    expect(generatedOf(a).length).toBeGreaterThan(20);
    expect(a).toEqual(b);
    expect(generate(random(), sized(7))).toEqual(generate(random(), sized(7)));
  });

  it('different seeds give different generated schedules (over several seeds)', () => {
    const seen = new Set<string>();
    for (let seed = 0; seed < 12; seed++) {
      const gen = generatedOf(buildSchedule(withRandom(random()), sized(seed)));
      // times and actions only: the target draws vary with the seed anyway
      seen.add(JSON.stringify(gen.map((f) => [f.atMs, f.action])));
    }
    expect(seen.size).toBe(12);
  });

  it('generated faults lie strictly between from and min(until, workload duration)', () => {
    const cases: Array<{ r: RandomFaults; bound: number }> = [
      { r: random({ until: 50_000 }), bound: 50_000 },
      { r: random({ until: 90_000 }), bound: 60_000 },
      { r: random({ until: undefined }), bound: 60_000 },
      { r: random({ from: 30_000, until: 41_000, every: 500, jitter: 0 }), bound: 41_000 },
    ];
    for (const { r, bound } of cases) {
      for (let seed = 0; seed < 10; seed++) {
        const gen = generatedOf(buildSchedule(withRandom(r), sized(seed)));
        expect(gen.length).toBeGreaterThan(0);
        for (const f of gen) {
          expect(f.atMs).toBeGreaterThan(r.from);
          expect(f.atMs).toBeLessThan(bound);
        }
        // the generator runs up to the bound: the next interval would have crossed it
        expect(bound - gen[gen.length - 1]!.atMs).toBeLessThanOrEqual(r.every + r.jitter);
      }
    }
    // with every 500ms and no jitter, from 30s to 41s exclusive: 30.5s .. 40.5s
    const exact = generatedOf(buildSchedule(withRandom(cases[3]!.r), sized(1))).map((f) => f.atMs);
    expect(exact).toEqual(Array.from({ length: 21 }, (_, i) => 30_500 + 500 * i));
  });

  it('a random section that ends before it starts generates nothing', () => {
    expect(generatedOf(buildSchedule(withRandom(random({ from: 59_500, every: 1000, jitter: 0 })), sized(1)))).toEqual([]);
    expect(generatedOf(buildSchedule(withRandom(random({ from: 10_000, until: 10_000 })), sized(1)))).toEqual([]);
  });

  it('intervals are every +- jitter', () => {
    for (let seed = 0; seed < 10; seed++) {
      const gaps = intervals(buildSchedule(withRandom(random({ every: 1000, jitter: 400, until: undefined })), sized(seed)), 2000);
      expect(gaps.length).toBeGreaterThan(40);
      for (const g of gaps) {
        expect(g).toBeGreaterThanOrEqual(600);
        expect(g).toBeLessThanOrEqual(1400);
      }
      // the jitter is used: the gaps spread over the range
      expect(Math.min(...gaps)).toBeLessThan(800);
      expect(Math.max(...gaps)).toBeGreaterThan(1200);
    }
  });

  it('without jitter, every interval is exactly every', () => {
    const gaps = intervals(buildSchedule(withRandom(random({ every: 1234, jitter: 0, until: undefined })), sized(3)), 2000);
    expect(gaps.length).toBe(Math.floor((60_000 - 2000 - 1) / 1234));
    expect(new Set(gaps)).toEqual(new Set([1234]));
  });

  it('an interval never falls below the 100ms floor, however large the jitter', () => {
    let atFloor = 0;
    for (let seed = 0; seed < 5; seed++) {
      const gaps = intervals(buildSchedule(withRandom(random({ every: 150, jitter: 100, from: 0, until: undefined })), sized(seed)), 0);
      expect(gaps.length).toBeGreaterThan(200);
      for (const g of gaps) {
        expect(g).toBeGreaterThanOrEqual(100);
        expect(g).toBeLessThanOrEqual(250);
      }
      atFloor += gaps.filter((g) => g === 100).length;
      // without the floor a quarter of them would be 50..99ms: they are 100ms instead
      expect(gaps.filter((g) => g === 100).length / gaps.length).toBeGreaterThan(0.15);
    }
    expect(atFloor).toBeGreaterThan(0);
    // a jitter above every: still at least 100ms apart
    const wild = intervals(buildSchedule(withRandom(random({ every: 100, jitter: 5000, from: 0, until: undefined })), sized(9)), 0);
    expect(wild.length).toBeGreaterThan(5);
    expect(Math.min(...wild)).toBe(100);
  });

  it('weights are honoured in proportion over a long schedule (3:1 over 2000 draws)', () => {
    const a: MixEntry = { action: 'broker.pause', target: 'leader', partition: 0, weight: 3 };
    const b: MixEntry = { action: 'broker.stop', target: 'leader', partition: 0, weight: 1 };
    for (const seed of [1, 2, 3]) {
      const gen = generatedOf(
        buildSchedule({ form: 'sections', list: [], random: { every: 100, jitter: 0, from: 0, mix: [a, b] } }, sized(seed, { durationMs: 200_050 })),
      );
      expect(gen).toHaveLength(2000);
      const share = gen.filter((f) => f.action === 'broker.pause').length / gen.length;
      // expected 0.75, standard deviation about 0.01: equal weights (0.5) or one entry only (1) fall far outside
      expect(share).toBeGreaterThan(0.7);
      expect(share).toBeLessThan(0.8);
    }
  });

  it('weights across three entries (1:1:2), order of the mix does not matter', () => {
    const mix: MixEntry[] = [
      { action: 'broker.pause', target: 'leader', partition: 0, weight: 1 },
      { action: 'broker.stop', target: 'leader', partition: 0, weight: 1 },
      { action: 'broker.kill', target: 'leader', partition: 0, weight: 2 },
    ];
    for (const order of [mix, [...mix].reverse()]) {
      const gen = generatedOf(buildSchedule({ form: 'sections', list: [], random: { every: 100, jitter: 0, from: 0, mix: order } }, sized(5, { durationMs: 200_050 })));
      const share = (action: string) => gen.filter((f) => f.action === action).length / gen.length;
      expect(share('broker.pause')).toBeGreaterThan(0.2);
      expect(share('broker.pause')).toBeLessThan(0.3);
      expect(share('broker.stop')).toBeGreaterThan(0.2);
      expect(share('broker.stop')).toBeLessThan(0.3);
      expect(share('broker.kill')).toBeGreaterThan(0.45);
      expect(share('broker.kill')).toBeLessThan(0.55);
    }
  });

  it('generated faults carry their mix entry without weight, at their time, marked generated', () => {
    const s = buildSchedule(withRandom(random(), []), sized(4));
    expect(s.length).toBeGreaterThan(0);
    for (const f of s) {
      expect(f.generated).toBe(true);
      expect(f.spec.at).toBe(f.atMs);
      expect('weight' in f.spec).toBe(false);
      if (f.action === 'network.latency') {
        expect(f.spec).toEqual({ action: 'network.latency', target: 'leader', partition: 0, link: 'replication', latency: 100, at: f.atMs });
        expect(f.target).toBe('leader of partition 0');
        expect(f.drawn).toBeUndefined();
      } else {
        expect(f.action).toBe('broker.kill');
        expect(f.drawn).toBeGreaterThanOrEqual(1);
        expect(f.drawn).toBeLessThanOrEqual(5);
        expect(f.target).toBe(`random (broker ${f.drawn})`);
      }
    }
    expect(new Set(s.map((f) => f.action))).toEqual(new Set(['network.latency', 'broker.kill']));
  });

  it('heal becomes restartAfterMs, unless the mix entry has its own restartAfter', () => {
    const own: MixEntry = { action: 'broker.stop', target: 'leader', partition: 0, weight: 1, restartAfter: 500 };
    const plain: MixEntry = { action: 'broker.pause', target: 'leader', partition: 0, weight: 1 };
    const healed = generatedOf(buildSchedule(withRandom(random({ heal: 3000, mix: [own, plain] })), sized(2)));
    expect(healed.filter((f) => f.action === 'broker.stop').length).toBeGreaterThan(3);
    expect(healed.filter((f) => f.action === 'broker.pause').length).toBeGreaterThan(3);
    for (const f of healed) {
      expect(f.restartAfterMs).toBe(f.action === 'broker.stop' ? 500 : 3000);
      expect(f.spec.restartAfter).toBe(f.restartAfterMs);
    }
    // without heal, a fault without its own restartAfter is healed after the workload
    const unhealed = generatedOf(buildSchedule(withRandom(random({ mix: [own, plain] })), sized(2)));
    for (const f of unhealed) {
      if (f.action === 'broker.stop') expect(f.restartAfterMs).toBe(500);
      else expect('restartAfterMs' in f).toBe(false);
    }
    // the mix entry itself is not changed
    expect(plain).toEqual({ action: 'broker.pause', target: 'leader', partition: 0, weight: 1 });
  });

  it("explicit faults' random target draws do not change when a random section is added", () => {
    // generated faults with random targets come before every explicit one in time
    const early = random({ every: 300, jitter: 100, from: 0, until: 2500, mix: [killRandom] });
    for (let seed = 0; seed < 20; seed++) {
      const alone = buildSchedule(listPlan(faults), sized(seed));
      const mixed = buildSchedule(withRandom(early), sized(seed));
      const gen = generatedOf(mixed);
      expect(gen.length).toBeGreaterThan(3);
      expect(gen.every((f) => f.drawn !== undefined && f.atMs < 3000)).toBe(true);
      const explicit = mixed.filter((f) => !f.generated);
      expect(explicit.map((f) => [f.spec, f.drawn, f.target])).toEqual(alone.map((f) => [f.spec, f.drawn, f.target]));
    }
  });

  it('indexes are 0..n-1 in time order, explicit and generated together', () => {
    for (let seed = 0; seed < 5; seed++) {
      const s = buildSchedule(withRandom(random({ every: 2000, jitter: 1500, from: 0 })), sized(seed));
      expect(s.map((f) => f.index)).toEqual(s.map((_, i) => i));
      for (let i = 1; i < s.length; i++) expect(s[i]!.atMs).toBeGreaterThanOrEqual(s[i - 1]!.atMs);
      // the explicit faults are spread among the generated ones, not appended
      const firstGenerated = s.findIndex((f) => f.generated);
      const lastExplicit = s.map((f) => f.generated).lastIndexOf(false);
      expect(firstGenerated).toBeLessThan(lastExplicit);
      expect(s.filter((f) => !f.generated)).toHaveLength(faults.length);
    }
  });

  it('an explicit fault at the same time as a generated one comes first', () => {
    const s = buildSchedule(withRandom(random({ every: 1000, jitter: 0, from: 0, until: 4500 }), [{ at: 3000, action: 'broker.stop', target: 1, partition: 0 }]), sized(1));
    expect(s.map((f) => [f.atMs, f.generated])).toEqual([
      [1000, true],
      [2000, true],
      [3000, false],
      [3000, true],
      [4000, true],
    ]);
    expect(s.map((f) => f.index)).toEqual([0, 1, 2, 3, 4]);
  });
});
