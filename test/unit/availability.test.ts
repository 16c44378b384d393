import { describe, it, expect } from 'vitest';
import type { ProducerEvent } from '../../harness/ledger/events.ts';
import { availability, type Availability, type LatencyStats, type UnavailabilityWindow } from '../../harness/reconcile/availability.ts';

// ---- helpers -----------------------------------------------------------------------
// All times in the tests are ms relative to the workload start T0.

const T0 = 1_700_000_000_000;

function attempt(pid: string, seq: number, p: number, t: number): ProducerEvent {
  return { e: 'attempt', pid, seq, p, t: T0 + t };
}

function ack(pid: string, seq: number, p: number, t: number): ProducerEvent {
  return { e: 'ack', pid, seq, p, o: null, t: T0 + t };
}

function error(pid: string, seq: number, p: number, t: number, code: string, definite: boolean): ProducerEvent {
  return { e: 'error', pid, seq, p, code, retriable: !definite, definite, attempts: 1, t: T0 + t };
}

/** One message: attempted at `from`, acked at `to`. */
function msg(pid: string, seq: number, p: number, from: number, to: number): ProducerEvent[] {
  return [attempt(pid, seq, p, from), ack(pid, seq, p, to)];
}

/** Steady traffic on one partition: a message every `every` ms in [from, to), each acked `lat` ms later. */
function steady(pid: string, p: number, from: number, to: number, every: number, lat: number, seq0: number): ProducerEvent[] {
  const out: ProducerEvent[] = [];
  for (let t = from, seq = seq0; t < to; t += every, seq++) out.push(...msg(pid, seq, p, t, t + lat));
  return out;
}

/** A ledger as an agent writes it: events in time order. */
function ledger(...parts: ProducerEvent[][]): ProducerEvent[] {
  return parts.flat().sort((a, b) => a.t - b.t);
}

interface RunOptions {
  endMs?: number;
  partitions?: number;
  gapMs?: number;
  faults?: Array<{ index: number; action: string; resolved: string; appliedAtMs: number | null; healedAtMs: number | null }>;
}

function run(producers: ProducerEvent[][], o: RunOptions = {}): Availability {
  return availability({
    producers,
    workloadStart: T0,
    workloadEnd: T0 + (o.endMs ?? 10_000),
    partitions: o.partitions ?? 1,
    faults: o.faults ?? [],
    ...(o.gapMs === undefined ? {} : { gapMs: o.gapMs }),
  });
}

function win(partition: number, fromMs: number, toMs: number): UnavailabilityWindow {
  return { partition, fromMs, toMs, durationMs: toMs - fromMs };
}

function stats(acks: number, p50Ms: number | null, p99Ms: number | null): LatencyStats {
  return { acks, p50Ms, p99Ms };
}

/** Messages of producer `pid` on partition 0 with the given latencies, sent 10 ms apart. */
function withLatencies(pid: string, latencies: number[]): ProducerEvent[] {
  return ledger(...latencies.map((lat, seq) => msg(pid, seq, 0, seq * 10, seq * 10 + lat)));
}

// ---- latency -------------------------------------------------------------------------

describe('availability: ack latency', () => {
  it('nearest-rank p50 and p99 of a known set', () => {
    expect(run([withLatencies('p0', [7, 3, 5])]).latency).toEqual(stats(3, 5, 7));
    // n = 10: p50 is rank 5 (not the interpolated 5.5), p99 is rank 10
    expect(run([withLatencies('p0', [10, 9, 8, 7, 6, 5, 4, 3, 2, 1])]).latency).toEqual(stats(10, 5, 10));
    // n = 200: p99 is rank ceil(198) = 198, not 199 and not 198.01
    const l200 = Array.from({ length: 200 }, (_, i) => 200 - i);
    expect(run([withLatencies('p0', l200)], { endMs: 5000 }).latency).toEqual(stats(200, 100, 198));
    // a single ack is every percentile
    expect(run([withLatencies('p0', [42])]).latency).toEqual(stats(1, 42, 42));
  });

  it('percentiles and fault windows are exact when times spread far (sorting, not counting)', () => {
    // acks at 10_000_000 (latency 10_000_000), 11 (latency 1) and 22 (latency 2)
    const a = run([withLatencies('p0', [10_000_000, 1, 2])], {
      endMs: 20_000_000,
      faults: [{ index: 0, action: 'broker.kill', resolved: 'broker 1', appliedAtMs: 15, healedAtMs: 30 }],
    });
    expect(a.latency).toEqual(stats(3, 2, 10_000_000));
    expect(a.faults.map((f) => [f.before, f.during, f.after])).toEqual([[stats(1, 1, 1), stats(1, 2, 2), stats(0, null, null)]]);
  });

  it('latencies are rounded to integer ms', () => {
    const l = [
      attempt('p0', 0, 0, 0),
      { e: 'ack', pid: 'p0', seq: 0, p: 0, o: null, t: T0 + 2.4 } as ProducerEvent,
      attempt('p0', 1, 0, 10),
      { e: 'ack', pid: 'p0', seq: 1, p: 0, o: null, t: T0 + 12.6 } as ProducerEvent,
    ];
    expect(run([l]).latency).toEqual(stats(2, 2, 3));
  });

  it('no acks: null percentiles', () => {
    const l = ledger([attempt('p0', 0, 0, 0)], [error('p0', 0, 0, 100, 'REQUEST_TIMED_OUT', false)]);
    expect(run([l]).latency).toEqual(stats(0, null, null));
    expect(run([]).latency).toEqual(stats(0, null, null));
  });

  it("a retried message's latency is measured from its first attempt", () => {
    const l: ProducerEvent[] = [
      attempt('p0', 0, 0, 100),
      { e: 'retry', pid: 'p0', p: 0, seqs: [0], n: 2, t: T0 + 350 },
      attempt('p0', 0, 0, 600),
      ack('p0', 0, 0, 700),
    ];
    expect(run([l]).latency).toEqual(stats(1, 600, 600));
  });

  it('a message acked twice counts once, with its earliest ack', () => {
    const l: ProducerEvent[] = [attempt('p0', 0, 0, 100), ack('p0', 0, 0, 700), ack('p0', 0, 0, 900)];
    expect(run([l]).latency).toEqual(stats(1, 600, 600));
  });

  it('the first attempt is the earliest one, whatever the file order', () => {
    const l: ProducerEvent[] = [attempt('p0', 0, 0, 600), attempt('p0', 0, 0, 100), ack('p0', 0, 0, 700)];
    expect(run([l]).latency).toEqual(stats(1, 600, 600));
  });

  it('restarted producer ids (p0, p0.r1) are separate messages with the same seqs', () => {
    const p0 = ledger(msg('p0', 0, 0, 0, 10));
    const r1 = ledger(msg('p0.r1', 0, 0, 5000, 5100));
    // as one id there would be one ack with latency 10
    expect(run([p0, r1]).latency).toEqual(stats(2, 10, 100));
  });

  it('the whole-run latency counts every acked message, acked after the workload end too', () => {
    const l = ledger(msg('p0', 0, 0, 0, 5), msg('p0', 1, 0, 9990, 10_020));
    expect(run([l], { endMs: 10_000 }).latency).toEqual(stats(2, 5, 30));
  });
});

// ---- refused writes ------------------------------------------------------------------

describe('availability: refused writes', () => {
  it('counts messages with a definite error, once each, by the code of their first definite error', () => {
    const p0 = ledger(
      [attempt('p0', 0, 0, 0), error('p0', 0, 0, 10, 'NOT_ENOUGH_REPLICAS', true)],
      // two definite errors of one message: one refusal
      [attempt('p0', 1, 0, 20), error('p0', 1, 0, 30, 'NOT_ENOUGH_REPLICAS', true), error('p0', 1, 0, 31, 'MESSAGE_TOO_LARGE', true)],
      [attempt('p0', 2, 0, 40), error('p0', 2, 0, 50, 'MESSAGE_TOO_LARGE', true)],
      // indeterminate errors are not refusals, whatever their code
      [attempt('p0', 3, 0, 60), error('p0', 3, 0, 70, 'REQUEST_TIMED_OUT', false)],
      [attempt('p0', 4, 0, 80), error('p0', 4, 0, 90, 'NOT_ENOUGH_REPLICAS', false)],
      [attempt('p0', 5, 0, 100), error('p0', 5, 0, 110, 'DELIVERY_TIMEOUT', false)],
      msg('p0', 6, 0, 120, 125),
      // an error of an id never attempted is not a message of the run
      [error('p0', 99, 0, 130, 'NOT_ENOUGH_REPLICAS', true)],
    );
    // the restarted producer's seq 0 is another message
    const r1 = ledger([attempt('p0.r1', 0, 0, 200), error('p0.r1', 0, 0, 210, 'NOT_ENOUGH_REPLICAS', true)]);
    const a = run([p0, r1]);
    expect(a.refusedWrites).toBe(4);
    expect(a.refusedByCode).toEqual({ MESSAGE_TOO_LARGE: 1, NOT_ENOUGH_REPLICAS: 3 });
  });

  it('no definite errors: zero and an empty record', () => {
    const l = ledger([attempt('p0', 0, 0, 0), error('p0', 0, 0, 10, 'REQUEST_TIMED_OUT', false)], msg('p0', 1, 0, 20, 25));
    const a = run([l]);
    expect(a.refusedWrites).toBe(0);
    expect(a.refusedByCode).toEqual({});
  });
});

// ---- unavailability --------------------------------------------------------------------

describe('availability: unavailability windows', () => {
  it('a gap on one partition while another keeps acking', () => {
    // two producers write partitions 0 and 1 every 100 ms; partition 1 stalls from 3000 to 6000
    const pa = ledger(
      steady('pa', 0, 0, 10_000, 100, 5, 0),
      steady('pa', 1, 0, 3000, 100, 5, 1000),
      msg('pa', 2000, 1, 3000, 6000),
      steady('pa', 1, 6100, 10_000, 100, 5, 2001),
    );
    const pb = ledger(
      steady('pb', 0, 50, 10_000, 100, 5, 0),
      steady('pb', 1, 50, 3000, 100, 5, 1000),
      msg('pb', 2000, 1, 3050, 6000),
      steady('pb', 1, 6050, 10_000, 100, 5, 2001),
    );
    const a = run([pa, pb], { partitions: 2 });
    // from the first write left waiting (3000), not from the last ack before it (2955)
    expect(a.windows).toEqual([win(1, 3000, 6000)]);
    expect(a.unavailableCount).toBe(1);
    expect(a.unavailableTotalMs).toBe(3000);
    expect(a.longestUnavailableMs).toBe(3000);
  });

  it('an idle producer is not unavailability', () => {
    // acks until 1905, nothing sent until 8000: a 6 s stretch without acks
    const l = ledger(steady('p0', 0, 0, 2000, 100, 5, 0), steady('p0', 0, 8000, 10_000, 100, 5, 100));
    const a = run([l]);
    expect(a.windows).toEqual([]);
    expect(a.unavailableCount).toBe(0);
    expect(a.unavailableTotalMs).toBe(0);
    expect(a.longestUnavailableMs).toBe(0);
  });

  it('the same stretch with a write waiting through it is unavailability', () => {
    const l = ledger(steady('p0', 0, 0, 2000, 100, 5, 0), msg('p0', 20, 0, 2000, 8000), steady('p0', 0, 8100, 10_000, 100, 5, 100));
    expect(run([l]).windows).toEqual([win(0, 2000, 8000)]);
  });

  it('a killed producer stops waiting at its last event; a live one keeps waiting', () => {
    // p0 dies right after handing seq 20 to the client; p0.r1 starts writing at 8000
    const killed = ledger(steady('p0', 0, 0, 2000, 100, 5, 0), [attempt('p0', 20, 0, 2000)]);
    const restarted = ledger(steady('p0.r1', 0, 8000, 10_000, 100, 5, 0));
    expect(run([killed, restarted]).windows).toEqual([]);
    // the same, but p0 was alive until 9000 (still behind, seq 20 never settled)
    const alive = [...killed, { e: 'backlog', pid: 'p0', state: 'behind', queued: 60, t: T0 + 9000 } as ProducerEvent];
    expect(run([alive, restarted]).windows).toEqual([win(0, 2000, 8005)]);
  });

  it('first-ack and last-ack edges: from the workload start, to the workload end', () => {
    const l = ledger(
      // partition 0: nothing acked until 2500; the write sent at 7000 is never settled
      msg('p0', 0, 0, 0, 2500),
      steady('p0', 0, 2600, 7000, 100, 5, 1),
      [attempt('p0', 100, 0, 7000)],
      // partition 1: a write sent before the workload start counts from the start
      msg('p0', 200, 1, -500, 1200),
      steady('p0', 1, 1300, 10_000, 100, 5, 201),
      // the producer stops after the workload end
      [{ e: 'unsent', pid: 'p0', p: 0, seqs: [101, 102], t: T0 + 10_400 }],
    );
    const a = run([l], { partitions: 2, endMs: 10_000 });
    expect(a.windows).toEqual([win(0, 0, 2500), win(0, 7000, 10_000), win(1, 0, 1200)]);
    expect(a.unavailableCount).toBe(3);
    expect(a.unavailableTotalMs).toBe(6700);
    expect(a.longestUnavailableMs).toBe(3000);
  });

  it('only stretches of more than gapMs count', () => {
    const l = ledger(msg('p0', 0, 0, 0, 1000), msg('p0', 1, 1, 0, 1001), msg('p0', 2, 2, 0, 999));
    expect(run([l], { partitions: 3 }).windows).toEqual([win(1, 0, 1001)]);
    expect(run([l], { partitions: 3, gapMs: 500 }).windows).toEqual([win(0, 0, 1000), win(1, 0, 1001), win(2, 0, 999)]);
  });

  it('an ack ends a window even while other writes keep waiting', () => {
    // seq 0 waits from 0 to 5000; seq 1 is acked at 2000 in between
    const l = ledger(msg('p0', 0, 0, 0, 5000), msg('p0', 1, 0, 100, 2000));
    expect(run([l]).windows).toEqual([win(0, 0, 2000), win(0, 2000, 5000)]);
  });

  it('a timed-out write waits until its producer sends to the partition again', () => {
    const l = ledger(
      steady('p0', 0, 0, 1000, 100, 5, 0),
      [attempt('p0', 10, 0, 1000), error('p0', 10, 0, 4000, 'DELIVERY_TIMEOUT', false)],
      msg('p0', 11, 0, 6000, 6010),
      steady('p0', 0, 6100, 10_000, 100, 5, 12),
    );
    expect(run([l]).windows).toEqual([win(0, 1000, 6010)]);
    // a send in the same ms as the error is the next one: the producer does not wait on
    // partition 0 after the ack at 2500 (idle until 4000)
    const m = ledger(
      [attempt('p0', 10, 0, 1000), error('p0', 10, 0, 2000, 'DELIVERY_TIMEOUT', false)],
      msg('p0', 11, 0, 2000, 2500),
      msg('p0', 12, 0, 4000, 4005),
    );
    expect(run([m]).windows).toEqual([win(0, 1000, 2500)]);
  });

  it('writes refused one after another are unavailability', () => {
    const refusedLedger: ProducerEvent[][] = [];
    for (let k = 0; k < 100; k++) refusedLedger.push([attempt('p0', 10 + k, 0, 1000 + 20 * k), error('p0', 10 + k, 0, 1010 + 20 * k, 'NOT_ENOUGH_REPLICAS', true)]);
    const l = ledger(steady('p0', 0, 0, 1000, 100, 5, 0), ...refusedLedger, msg('p0', 110, 0, 3000, 3005), steady('p0', 0, 3100, 10_000, 100, 5, 111));
    const a = run([l]);
    expect(a.windows).toEqual([win(0, 1000, 3005)]);
    expect(a.refusedWrites).toBe(100);
    expect(a.refusedByCode).toEqual({ NOT_ENOUGH_REPLICAS: 100 });
  });

  it('a failed write its producer never follows up waits until the producer last recorded something', () => {
    // partition 0 fails at 1500 and is never written again; the producer writes partition 1 until 8905
    const l = ledger(steady('p0', 0, 0, 1000, 100, 5, 0), [attempt('p0', 10, 0, 1000), error('p0', 10, 0, 1500, 'REQUEST_TIMED_OUT', false)], steady('p0', 1, 0, 9000, 100, 5, 100));
    expect(run([l], { partitions: 2 }).windows).toEqual([win(0, 1000, 8905)]);
  });

  it('times need not be integers nor ledgers in time order', () => {
    const pa = [...msg('pa', 1, 0, 3000.5, 3001.5), ...msg('pa', 0, 0, 0.5, 1.5)];
    const pb = msg('pb', 0, 0, 1200.25, 2600.75);
    expect(run([pa, pb]).windows).toEqual([{ partition: 0, fromMs: 1200.25, toMs: 2600.75, durationMs: 1400.5 }]);
  });
});

// ---- faults -------------------------------------------------------------------------

describe('availability: faults', () => {
  /** One message per (ack time, latency), on partition 0. */
  function acksAt(pairs: Array<[number, number]>): ProducerEvent[] {
    return ledger(...pairs.map(([t, lat], seq) => msg('p0', seq, 0, t - lat, t)));
  }

  it('before/during/after windows of two overlapping faults', () => {
    const l = acksAt([
      [4999, 50],
      [5000, 10],
      [9999, 20],
      [10_000, 300],
      [11_000, 400],
      [11_999, 500],
      [12_000, 30],
      [16_999, 40],
      [17_000, 60],
      [20_000, 70],
    ]);
    const a = run([l], {
      endMs: 20_000,
      faults: [
        { index: 0, action: 'broker.kill', resolved: 'broker 1', appliedAtMs: 10_000, healedAtMs: 12_000 },
        { index: 1, action: 'network.down', resolved: 'broker 2 client', appliedAtMs: 11_000, healedAtMs: null },
        { index: 2, action: 'broker.stop', resolved: '', appliedAtMs: null, healedAtMs: null },
      ],
    });
    expect(a.faults).toEqual([
      {
        index: 0,
        action: 'broker.kill',
        resolved: 'broker 1',
        before: stats(2, 10, 20),
        during: stats(3, 400, 500),
        after: stats(2, 30, 40),
        recoveryMs: 0,
      },
      {
        index: 1,
        action: 'network.down',
        resolved: 'broker 2 client',
        before: stats(2, 20, 300),
        during: stats(5, 60, 500),
        after: stats(0, null, null),
        recoveryMs: null,
      },
    ]);
  });

  it('recoveryMs: until every partition unavailable at the heal has an ack again', () => {
    const l = ledger(
      // partition 0: unavailable 3000..6000 (contains the heal at 5000)
      steady('p0', 0, 0, 3000, 100, 5, 0),
      msg('p0', 100, 0, 3000, 6000),
      steady('p0', 0, 6100, 10_000, 100, 5, 101),
      // partition 1: unavailable 4000..7500
      steady('p0', 1, 0, 4000, 100, 5, 200),
      msg('p0', 300, 1, 4000, 7500),
      steady('p0', 1, 7600, 10_000, 100, 5, 301),
      // partition 2: unavailable 1000..2500, over before the heal
      steady('p0', 2, 0, 1000, 100, 5, 400),
      msg('p0', 500, 2, 1000, 2500),
      steady('p0', 2, 2600, 10_000, 100, 5, 501),
    );
    const heal = { index: 0, action: 'broker.kill', resolved: 'broker 1', appliedAtMs: 2800, healedAtMs: 5000 };
    const a = run([l], { partitions: 3, faults: [heal] });
    expect(a.windows).toEqual([win(0, 3000, 6000), win(1, 4000, 7500), win(2, 1000, 2500)]);
    expect(a.faults.map((f) => f.recoveryMs)).toEqual([2500]);
    // healed while nothing was unavailable
    expect(run([l], { partitions: 3, faults: [{ ...heal, healedAtMs: 8000 }] }).faults.map((f) => f.recoveryMs)).toEqual([0]);
    // healed as a window ends: the window [3000, 6000) does not contain 6000
    expect(run([l], { partitions: 3, faults: [{ ...heal, healedAtMs: 6000 }] }).faults.map((f) => f.recoveryMs)).toEqual([1500]);
  });

  it('recoveryMs counts acks strictly after the heal; a window ending at the heal is over', () => {
    // seq 0 waits 0..5000, seq 1 is acked at 2000: windows [0, 2000) and [2000, 5000)
    const l = ledger(msg('p0', 0, 0, 0, 5000), msg('p0', 1, 0, 100, 2000), steady('p0', 0, 5100, 10_000, 100, 5, 2));
    const heal = { index: 0, action: 'broker.kill', resolved: 'broker 1', appliedAtMs: 0, healedAtMs: 2000 };
    const a = run([l], { faults: [heal] });
    expect(a.windows).toEqual([win(0, 0, 2000), win(0, 2000, 5000)]);
    // the heal opens [2000, 5000): the ack at 2000 is not an ack "again"
    expect(a.faults.map((f) => f.recoveryMs)).toEqual([3000]);
    // partition 0 unavailable [0, 2000), then idle until 4000: a heal at 2000 finds nothing unavailable
    const idle = ledger(msg('p0', 0, 0, 0, 2000), steady('p0', 0, 4000, 10_000, 100, 5, 1));
    const b = run([idle], { faults: [heal] });
    expect(b.windows).toEqual([win(0, 0, 2000)]);
    expect(b.faults.map((f) => f.recoveryMs)).toEqual([0]);
  });

  it('recoveryMs is null when a partition unavailable at the heal gets no ack again within the workload', () => {
    const base = ledger(steady('p0', 0, 0, 10_000, 100, 5, 0), steady('p0', 1, 0, 4000, 100, 5, 200));
    const heal = { index: 3, action: 'broker.kill', resolved: 'broker 1', appliedAtMs: 3500, healedAtMs: 5000 };
    // partition 1 never acked again
    const never = ledger(base, [attempt('p0', 300, 1, 4000)]);
    const a = run([never], { partitions: 2, faults: [heal] });
    expect(a.windows).toEqual([win(1, 4000, 9905)]);
    expect(a.faults.map((f) => f.recoveryMs)).toEqual([null]);
    // acked only after the workload end: still null
    const late = ledger(base, msg('p0', 300, 1, 4000, 10_500), [{ e: 'unsent', pid: 'p0', p: 1, seqs: [301], t: T0 + 10_600 }]);
    const b = run([late], { partitions: 2, faults: [heal] });
    expect(b.windows).toEqual([win(1, 4000, 10_000)]);
    expect(b.faults.map((f) => f.recoveryMs)).toEqual([null]);
    // acked within the workload: recovered
    const onTime = ledger(base, msg('p0', 300, 1, 4000, 9950));
    expect(run([onTime], { partitions: 2, faults: [heal] }).faults.map((f) => f.recoveryMs)).toEqual([4950]);
    // not healed, or healed at the end of the workload: null
    expect(run([onTime], { partitions: 2, faults: [{ ...heal, healedAtMs: null }] }).faults.map((f) => f.recoveryMs)).toEqual([null]);
    expect(run([base], { partitions: 2, faults: [{ ...heal, healedAtMs: 10_000 }] }).faults.map((f) => f.recoveryMs)).toEqual([null]);
  });
});

// ---- scale -----------------------------------------------------------------------------

describe('availability: a million messages', () => {
  /** Reference nearest-rank stats by sorting. */
  function reference(lat: number[]): LatencyStats {
    if (lat.length === 0) return stats(0, null, null);
    const s = Float64Array.from(lat).sort();
    return stats(s.length, s[Math.ceil((50 * s.length) / 100) - 1]!, s[Math.ceil((99 * s.length) / 100) - 1]!);
  }

  it('1M attempt+ack pairs: exact windows, latency and fault stats', () => {
    // message i: producer pa or pb, 10 attempts per ms over 100 s, round robin over 4
    // partitions, latency i % 100 + 1; partition 2 holds every write sent in [40 s, 45 s)
    // until 45 s
    const N = 1_000_000;
    const ledgers: Record<string, ProducerEvent[]> = { pa: [], pb: [] };
    const ackTimes: number[] = [];
    const latencies: number[] = [];
    for (let i = 0; i < N; i++) {
      const pid = i % 2 === 0 ? 'pa' : 'pb';
      const seq = i >> 1;
      const p = seq % 4;
      const at = Math.floor(i / 10);
      const acked = p === 2 && at >= 40_000 && at < 45_000 ? 45_000 : at + (i % 100) + 1;
      ledgers[pid]!.push(attempt(pid, seq, p, at), ack(pid, seq, p, acked));
      ackTimes.push(acked);
      latencies.push(acked - at);
    }
    const between = (from: number, to: number): number[] => latencies.filter((_, k) => ackTimes[k]! >= from && ackTimes[k]! < to);
    const a = run([ledgers.pa!, ledgers.pb!], {
      endMs: 100_000,
      partitions: 4,
      faults: [{ index: 0, action: 'broker.kill', resolved: 'broker 2', appliedAtMs: 40_000, healedAtMs: 43_000 }],
    });
    // the last ack on partition 2 before the stall: i = 399997 (sent at 39999, latency 98)
    expect(a.windows).toEqual([win(2, 40_097, 45_000)]);
    expect(a.unavailableTotalMs).toBe(4903);
    expect(a.refusedWrites).toBe(0);
    expect(a.latency).toEqual(reference(latencies));
    expect(a.latency.acks).toBe(N);
    expect(a.faults).toEqual([
      {
        index: 0,
        action: 'broker.kill',
        resolved: 'broker 2',
        before: reference(between(35_000, 40_000)),
        during: reference(between(40_000, 43_000)),
        after: reference(between(43_000, 48_000)),
        recoveryMs: 2000,
      },
    ]);
  });
});
