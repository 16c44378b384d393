// Availability alongside durability: from the producer ledgers alone, when could the
// producers not write a partition, how long did writes take, which writes did the
// brokers refuse, and how did each fault of the timeline change that.
//
// Definitions (the unit tests pin each one down):
//
// - A message is one (producer id, seq) pair; a restarted producer has a new id (`p0`,
//   then `p0.r1`), so its seqs are other messages. Its partition is the one its first
//   attempt event (in file order) addressed. Ack and error events of ids that were never
//   attempted are ignored here (the reconciler reports them).
// - Ack latency of a message: the time of its ack minus the time of its FIRST attempt
//   (the earliest attempt event of that id: a message handed to the client again keeps
//   its first send time), rounded to integer ms. A message acked more than once uses its
//   earliest ack. Percentiles use the nearest-rank method: pq is the value at rank
//   ceil(q * n) of the n latencies in ascending order; null when there are no acks.
// - Refused writes: messages with at least one error event that is `definite` (the broker
//   refused the write and guarantees it was not appended, e.g. NOT_ENOUGH_REPLICAS),
//   counted once per message under the code of its first definite error event.
//   Indeterminate errors (timeouts, network errors) are not refusals.
// - Write-unavailability: see `availability` below.
//
// Performance: runs hold millions of messages, so per-message state lives in typed arrays
// indexed by a dense message index; a producer's seqs map to indexes through a dense
// per-producer table (with a Map only for seqs that do not fit it). Times are integer ms
// in practice, so the sorts are counting sorts over the time span when it is small, with
// a comparison sort otherwise: O(n + span) or O(n log n).

import type { ProducerEvent } from '../ledger/events.ts';

/** Default longest stretch without an ack that does not count as unavailability. */
export const DEFAULT_GAP_MS = 1000;
/** Width of the `before` and `after` windows around a fault. */
export const FAULT_WINDOW_MS = 5000;

/** A stretch in which a partition could not be written; ms relative to workloadStart. */
export interface UnavailabilityWindow {
  partition: number;
  fromMs: number;
  toMs: number;
  durationMs: number;
}

/** Ack latencies of a set of acked messages (nearest-rank percentiles, integer ms). */
export interface LatencyStats {
  acks: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

/**
 * What one applied fault did to the writes. `before`, `during` and `after` select acked
 * messages by ack time relative to workloadStart: before = [appliedAt - 5000, appliedAt),
 * during = [appliedAt, healedAt) (healedAt null: [appliedAt, workloadEnd)), after =
 * [healedAt, healedAt + 5000) (no acks when the fault was not healed).
 *
 * recoveryMs: for a healed fault, the partitions unavailable at the heal moment are the
 * partitions of the windows w with w.fromMs <= healedAt < w.toMs; recoveryMs is the time
 * from healedAt to the latest of their first acks after healedAt (0 when there are no such
 * partitions). null when the fault was not healed, was healed at or after the end of the
 * workload (nothing of the recovery is observed), or when one of those partitions had no
 * ack after healedAt up to workloadEnd.
 */
export interface FaultAvailability {
  index: number;
  action: string;
  resolved: string;
  before: LatencyStats;
  during: LatencyStats;
  after: LatencyStats;
  recoveryMs: number | null;
}

export interface Availability {
  /** sorted by partition then fromMs */
  windows: UnavailabilityWindow[];
  unavailableCount: number;
  unavailableTotalMs: number;
  longestUnavailableMs: number;
  /** messages with a definite error (the broker refused them: NOT_ENOUGH_REPLICAS and friends) */
  refusedWrites: number;
  refusedByCode: Record<string, number>;
  /** over every acked message of the run */
  latency: LatencyStats;
  /** one entry per applied fault (appliedAtMs not null), in input order */
  faults: FaultAvailability[];
}

interface Producer {
  pid: string;
  num: number;
  /** attempt events of this id (bounds the dense seq table) */
  attempts: number;
  /** latest t of any event of this id */
  lastT: number;
  /** seq -> message index + 1 (0: none), for integer seqs in [0, limit) */
  dense: Int32Array;
  limit: number;
  /** seq -> message index, for the other seqs */
  sparse: Map<number, number> | undefined;
}

/**
 * Availability of writes over the workload, from the producer ledgers.
 *
 * Write-unavailability. A message addressed to partition p *waits* from its first attempt
 * until
 *   - its ack, when it was acked;
 *   - when it failed (an error event, no ack): the first attempt of another message of the
 *     same producer id to the same partition at or after the error, or, when there is
 *     none, the last event its producer id recorded: after a failure the producer is
 *     still trying to write p until it sends to p again (the in-flight slot of a timed out
 *     batch stays taken while the client retries; a refused write is followed by the next);
 *   - when it never settled: the last event its producer id recorded (a killed producer
 *     stops waiting when it dies; a stopped one when it has recorded its last outcome).
 * Partition p is write-unavailable over [x, y) when at every instant of [x, y) some message
 * addressed to p was waiting, no ack on p has a time strictly between x and y, and, after
 * clipping to [workloadStart, workloadEnd], y - x > gapMs. The windows are the maximal
 * such intervals: one begins when a message starts waiting while none was (or at an ack
 * while messages keep waiting) and ends at the next ack on p or when no message waits any
 * more. So a window always lies inside a gap between consecutive acks on p (the workload
 * start and end bounding the first and last gap), and a stretch without acks in which
 * nobody was sending to p, or a producer was dead, is not unavailability. Acks count on the
 * partition their ack event names; partitions outside [0, partitions) are ignored.
 */
export function availability(input: {
  producers: ProducerEvent[][];
  workloadStart: number;
  workloadEnd: number;
  partitions: number;
  faults: Array<{ index: number; action: string; resolved: string; appliedAtMs: number | null; healedAtMs: number | null }>;
  gapMs?: number;
}): Availability {
  const { workloadStart: w0, workloadEnd: w1 } = input;
  const P = Math.max(0, Math.floor(input.partitions));
  const gapMs = input.gapMs ?? DEFAULT_GAP_MS;

  // ---- pass 0: producer ids, their attempt counts and last event times ---------------
  const producers = new Map<string, Producer>();
  const producerList: Producer[] = [];
  let last: Producer | undefined;
  const producerOf = (pid: string): Producer => {
    let pr = last !== undefined && last.pid === pid ? last : producers.get(pid);
    if (pr === undefined) {
      pr = { pid, num: producerList.length, attempts: 0, lastT: -Infinity, dense: new Int32Array(0), limit: 0, sparse: undefined };
      producers.set(pid, pr);
      producerList.push(pr);
    }
    last = pr;
    return pr;
  };
  let capacity = 0;
  for (const ledger of input.producers) {
    for (const ev of ledger) {
      if (ev.e === 'start') continue;
      const pr = producerOf(ev.pid);
      if (ev.t > pr.lastT) pr.lastT = ev.t;
      if (ev.e === 'attempt') {
        pr.attempts++;
        capacity++;
      }
    }
  }
  for (const pr of producerList) pr.limit = 2 * pr.attempts + 1024;

  // ---- pass 1: attempts -> message indexes ---------------------------------------------
  const prodOf = new Int32Array(capacity);
  const partOf = new Int32Array(capacity);
  const first = new Float64Array(capacity);
  let count = 0;
  /** The message index of (pr, seq); -1 when there is none and `create` is false. */
  const indexOf = (pr: Producer, seq: number, create: boolean): number => {
    if (seq >= 0 && seq < pr.limit && Number.isInteger(seq)) {
      if (seq >= pr.dense.length) {
        if (!create) return -1;
        const grown = new Int32Array(Math.min(pr.limit, Math.max(seq + 1, 2 * pr.dense.length, 1024)));
        grown.set(pr.dense);
        pr.dense = grown;
      }
      const v = pr.dense[seq]!;
      if (v !== 0 || !create) return v - 1;
      pr.dense[seq] = count + 1;
      return count++;
    }
    const v = pr.sparse?.get(seq);
    if (v !== undefined || !create) return v ?? -1;
    (pr.sparse ??= new Map()).set(seq, count);
    return count++;
  };
  last = undefined;
  for (const ledger of input.producers) {
    for (const ev of ledger) {
      if (ev.e !== 'attempt') continue;
      const pr = producerOf(ev.pid);
      const before = count;
      const idx = indexOf(pr, ev.seq, true);
      if (idx === before) {
        prodOf[idx] = pr.num;
        partOf[idx] = ev.p;
        first[idx] = ev.t;
      } else if (ev.t < first[idx]!) first[idx] = ev.t;
    }
  }

  // ---- pass 2: acks and errors -----------------------------------------------------------
  const ackT = new Float64Array(count).fill(NaN);
  const ackP = new Int32Array(count);
  const errT = new Float64Array(count).fill(NaN);
  const refused = new Uint8Array(count);
  let refusedWrites = 0;
  const byCode = new Map<string, number>();
  last = undefined;
  for (const ledger of input.producers) {
    for (const ev of ledger) {
      if (ev.e !== 'ack' && ev.e !== 'error') continue;
      const pr = producerOf(ev.pid);
      const idx = indexOf(pr, ev.seq, false);
      if (idx < 0) continue;
      if (ev.e === 'ack') {
        if (!(ev.t >= ackT[idx]!)) {
          ackT[idx] = ev.t;
          ackP[idx] = ev.p;
        }
      } else {
        if (!(ev.t >= errT[idx]!)) errT[idx] = ev.t;
        if (ev.definite && refused[idx] === 0) {
          refused[idx] = 1;
          refusedWrites++;
          byCode.set(ev.code, (byCode.get(ev.code) ?? 0) + 1);
        }
      }
    }
  }

  // ---- latencies ---------------------------------------------------------------------------
  let acked = 0;
  for (let idx = 0; idx < count; idx++) if (ackT[idx] === ackT[idx]) acked++;
  const ackedT = new Float64Array(acked);
  const ackedLat = new Float64Array(acked);
  for (let idx = 0, k = 0; idx < count; idx++) {
    const t = ackT[idx]!;
    if (t !== t) continue;
    ackedT[k] = t;
    ackedLat[k++] = Math.round(t - first[idx]!);
  }
  const latency = latencyStats(ackedLat);

  // ---- waits and acks per partition --------------------------------------------------------
  // a failed message waits until its producer's next attempt to the partition: the first
  // attempt times per (producer, partition), sorted, answer that by binary search
  let nextAttempt: ((num: number, p: number, t: number) => number) | undefined;
  const inRange = (p: number): boolean => p >= 0 && p < P;
  const waitEnd = (idx: number): number => {
    const a = ackT[idx]!;
    if (a === a) return a;
    const pr = producerList[prodOf[idx]!]!;
    const e = errT[idx]!;
    if (e !== e) return pr.lastT;
    nextAttempt ??= attemptIndex(prodOf, partOf, first, count, producerList.length, P);
    const next = nextAttempt(pr.num, partOf[idx]!, e);
    return next === next ? next : pr.lastT;
  };
  const waitOffsets = new Int32Array(P + 1);
  const ackOffsets = new Int32Array(P + 1);
  for (let idx = 0; idx < count; idx++) {
    if (inRange(partOf[idx]!)) waitOffsets[partOf[idx]! + 1]!++;
    if (ackT[idx] === ackT[idx] && inRange(ackP[idx]!)) ackOffsets[ackP[idx]! + 1]!++;
  }
  for (let p = 0; p < P; p++) {
    waitOffsets[p + 1]! += waitOffsets[p]!;
    ackOffsets[p + 1]! += ackOffsets[p]!;
  }
  const starts = new Float64Array(waitOffsets[P]!);
  const ends = new Float64Array(waitOffsets[P]!);
  const acks = new Float64Array(ackOffsets[P]!);
  const waitFill = waitOffsets.slice(0, P);
  const ackFill = ackOffsets.slice(0, P);
  for (let idx = 0; idx < count; idx++) {
    const p = partOf[idx]!;
    if (inRange(p)) {
      const s = first[idx]!;
      const e = waitEnd(idx);
      // a wait of no length never covers an instant
      if (e > s) {
        const k = waitFill[p]!++;
        starts[k] = s;
        ends[k] = e;
      }
    }
    const t = ackT[idx]!;
    if (t === t && inRange(ackP[idx]!)) acks[ackFill[ackP[idx]!]!++] = t;
  }

  // ---- windows: sweep each partition's waits and acks in time order ------------------------
  const windows: UnavailabilityWindow[] = [];
  const acksOf: Float64Array[] = [];
  for (let p = 0; p < P; p++) {
    const S = starts.subarray(waitOffsets[p]!, waitFill[p]!);
    const E = ends.subarray(waitOffsets[p]!, waitFill[p]!);
    const A = acks.subarray(ackOffsets[p]!, ackOffsets[p + 1]!);
    sortAsc(S);
    sortAsc(E);
    sortAsc(A);
    acksOf.push(A);
    let i = 0;
    let j = 0;
    let k = 0;
    let waiting = 0;
    let from = NaN;
    while (i < S.length || j < E.length) {
      const x = Math.min(i < S.length ? S[i]! : Infinity, j < E.length ? E[j]! : Infinity, k < A.length ? A[k]! : Infinity);
      while (j < E.length && E[j] === x) {
        waiting--;
        j++;
      }
      while (i < S.length && S[i] === x) {
        waiting++;
        i++;
      }
      let ack = false;
      while (k < A.length && A[k] === x) {
        ack = true;
        k++;
      }
      if (from === from && (waiting === 0 || ack)) {
        const a = Math.max(from, w0);
        const b = Math.min(x, w1);
        if (b - a > gapMs) windows.push({ partition: p, fromMs: a - w0, toMs: b - w0, durationMs: b - a });
        from = NaN;
      }
      if (from !== from && waiting > 0) from = x;
    }
  }
  let unavailableTotalMs = 0;
  let longestUnavailableMs = 0;
  for (const w of windows) {
    unavailableTotalMs += w.durationMs;
    if (w.durationMs > longestUnavailableMs) longestUnavailableMs = w.durationMs;
  }

  // ---- faults ----------------------------------------------------------------------------
  const faults: FaultAvailability[] = [];
  const applied = input.faults.filter((f) => f.appliedAtMs !== null);
  if (applied.length > 0) {
    // acked messages in ack time order
    const order = orderByTime(ackedT);
    const T = new Float64Array(acked);
    const L = new Float64Array(acked);
    for (let k = 0; k < acked; k++) {
      T[k] = ackedT[order[k]!]!;
      L[k] = ackedLat[order[k]!]!;
    }
    /** stats of the acks with time in [w0 + from, w0 + to) */
    const statsIn = (from: number, to: number): LatencyStats => {
      const lo = lowerBound(T, w0 + from);
      const hi = Math.max(lo, lowerBound(T, w0 + to));
      return latencyStats(L.subarray(lo, hi));
    };
    const none: LatencyStats = { acks: 0, p50Ms: null, p99Ms: null };
    for (const f of applied) {
      const at = f.appliedAtMs!;
      const healed = f.healedAtMs;
      faults.push({
        index: f.index,
        action: f.action,
        resolved: f.resolved,
        before: statsIn(at - FAULT_WINDOW_MS, at),
        during: statsIn(at, healed ?? w1 - w0),
        after: healed === null ? none : statsIn(healed, healed + FAULT_WINDOW_MS),
        recoveryMs: healed === null ? null : recovery(healed),
      });
    }
  }

  function recovery(healed: number): number | null {
    if (healed >= w1 - w0) return null;
    let worst = 0;
    let lastPartition = -1;
    for (const w of windows) {
      if (w.partition === lastPartition || !(w.fromMs <= healed && healed < w.toMs)) continue;
      lastPartition = w.partition;
      const A = acksOf[w.partition]!;
      const k = upperBound(A, w0 + healed);
      if (k >= A.length || A[k]! > w1) return null;
      worst = Math.max(worst, A[k]! - w0 - healed);
    }
    return worst;
  }

  const refusedByCode: Record<string, number> = Object.fromEntries([...byCode].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return {
    windows,
    unavailableCount: windows.length,
    unavailableTotalMs,
    longestUnavailableMs,
    refusedWrites,
    refusedByCode,
    latency,
    faults,
  };
}

/**
 * For each (producer, partition), the first attempt times of its messages in ascending
 * order; returns a lookup of the first such time at or after `t` (NaN when there is none).
 */
function attemptIndex(
  prodOf: Int32Array,
  partOf: Int32Array,
  first: Float64Array,
  count: number,
  producers: number,
  P: number,
): (num: number, p: number, t: number) => number {
  const offsets = new Int32Array(producers * P + 1);
  for (let idx = 0; idx < count; idx++) {
    const p = partOf[idx]!;
    if (p >= 0 && p < P) offsets[prodOf[idx]! * P + p + 1]!++;
  }
  for (let g = 0; g < producers * P; g++) offsets[g + 1]! += offsets[g]!;
  const times = new Float64Array(offsets[producers * P]!);
  const fill = offsets.slice(0, producers * P);
  for (let idx = 0; idx < count; idx++) {
    const p = partOf[idx]!;
    if (p >= 0 && p < P) times[fill[prodOf[idx]! * P + p]!++] = first[idx]!;
  }
  for (let g = 0; g < producers * P; g++) sortAsc(times.subarray(offsets[g]!, offsets[g + 1]!));
  return (num, p, t) => {
    const g = num * P + p;
    const group = times.subarray(offsets[g]!, offsets[g + 1]!);
    const k = lowerBound(group, t);
    return k < group.length ? group[k]! : NaN;
  };
}

/** Whether the values are integers whose span allows a counting sort of `n` of them. */
function countable(a: Float64Array, min: number, max: number): boolean {
  if (!(max - min <= 4 * a.length + 65536)) return false;
  for (let i = 0; i < a.length; i++) if (!Number.isInteger(a[i]!)) return false;
  return true;
}

function minMax(a: Float64Array): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

function isSorted(a: Float64Array): boolean {
  for (let i = 1; i < a.length; i++) if (a[i]! < a[i - 1]!) return false;
  return true;
}

/** Sorts in place, ascending: nothing when sorted, a counting sort for small integer spans. */
function sortAsc(a: Float64Array): void {
  if (a.length < 2 || isSorted(a)) return;
  const [min, max] = minMax(a);
  if (!countable(a, min, max)) {
    a.sort();
    return;
  }
  const counts = new Int32Array(max - min + 1);
  for (let i = 0; i < a.length; i++) counts[a[i]! - min]!++;
  let k = 0;
  for (let v = 0; v < counts.length; v++) for (let c = counts[v]!; c > 0; c--) a[k++] = v + min;
}

/** A stable permutation that orders `t` ascending. */
function orderByTime(t: Float64Array): Uint32Array {
  const n = t.length;
  const order = new Uint32Array(n);
  if (n < 2 || isSorted(t)) {
    for (let i = 0; i < n; i++) order[i] = i;
    return order;
  }
  const [min, max] = minMax(t);
  if (!countable(t, min, max)) {
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => t[a]! - t[b]! || a - b);
    return order;
  }
  const offsets = new Int32Array(max - min + 2);
  for (let i = 0; i < n; i++) offsets[t[i]! - min + 1]!++;
  for (let v = 1; v < offsets.length; v++) offsets[v]! += offsets[v - 1]!;
  for (let i = 0; i < n; i++) order[offsets[t[i]! - min]!++] = i;
  return order;
}

/** Nearest-rank p50 and p99 of integer ms latencies (any order; not modified). */
function latencyStats(lat: Float64Array): LatencyStats {
  const n = lat.length;
  if (n === 0) return { acks: 0, p50Ms: null, p99Ms: null };
  // ranks (1-based) ceil(q * n), in integer arithmetic
  const r50 = Math.ceil((50 * n) / 100);
  const r99 = Math.ceil((99 * n) / 100);
  const [min, max] = minMax(lat);
  if (!countable(lat, min, max)) {
    const sorted = Float64Array.from(lat).sort();
    return { acks: n, p50Ms: sorted[r50 - 1]!, p99Ms: sorted[r99 - 1]! };
  }
  const counts = new Int32Array(max - min + 1);
  for (let i = 0; i < n; i++) counts[lat[i]! - min]!++;
  let p50 = NaN;
  let p99 = NaN;
  let seen = 0;
  for (let v = 0; v < counts.length; v++) {
    seen += counts[v]!;
    if (p50 !== p50 && seen >= r50) p50 = v + min;
    if (seen >= r99) {
      p99 = v + min;
      break;
    }
  }
  return { acks: n, p50Ms: p50, p99Ms: p99 };
}

/** The first position in sorted `a` whose value is >= x. */
function lowerBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first position in sorted `a` whose value is > x. */
function upperBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
