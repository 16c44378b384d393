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
// indexed by a dense message index (MessageFacts): gathered here from the producer ledgers
// (messageFacts), or by the checker in its own producer passes, and then reduced to
// windows and latencies (availabilityFrom, which another thread can run: the facts are on
// shared memory). Times are integer ms in practice, so the sorts are counting sorts over
// the time span when it is small, with a comparison sort otherwise: O(n + span) or
// O(n log n); latencies are counted in a histogram.

import { ACK, ATTEMPT, ERROR, OTHER, producerColumns, type ProducerColumns } from '../ledger/columns.ts';
import type { ProducerEvent } from '../ledger/events.ts';
import { SeqIndex } from './seq-index.ts';
import type { AppliedFault } from './types.ts';

const EMPTY_INDEX = new SeqIndex(0);

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

/** Message flags (bits of MessageFacts.flags) that availability reads; the checker keeps more bits in the same byte. */
export const ATTEMPTED = 1;
export const ACKED = 4;
export const ERRORED = 8;

/**
 * What availability needs to know of each message, by message index in [0, count): the
 * messages are the indexes with the ATTEMPTED flag (others are skipped). The checker
 * gathers these in its own passes over the producer ledgers (reconcile.ts); `availability`
 * gathers them itself. Rare values that differ from the array are in the `*Other` maps.
 */
export interface MessageFacts {
  count: number;
  flags: Uint8Array;
  /** producer number per message, and the last event time of each producer number */
  prodOf: Int32Array;
  lastT: Float64Array;
  /** the partition the first attempt event addressed (partOther overrides) */
  partOf: Int32Array;
  partOther: Map<number, number>;
  /** the earliest attempt time */
  first: Float64Array;
  /** where ACKED: the earliest ack's time and partition (ackOther overrides) */
  ackT: Float64Array;
  ackP: Int32Array;
  ackOther: Map<number, { t: number; p: number }>;
  /** where ERRORED: the earliest error time */
  errT: Float64Array;
  refusedWrites: number;
  byCode: Map<string, number>;
}

export type AvailabilityInput = {
  workloadStart: number;
  workloadEnd: number;
  partitions: number;
  faults: AppliedFault[];
  gapMs?: number;
};

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
export function availability(input: AvailabilityInput & { producers: ProducerEvent[][] }): Availability {
  return availabilityOf({ ...input, producers: input.producers.map((l) => producerColumns(l)) });
}

/** `availability` of producer ledgers read as columns (ledger/columns.ts). */
export function availabilityOf(input: AvailabilityInput & { producers: readonly ProducerColumns[] }): Availability {
  return availabilityFrom(messageFacts(input.producers), input);
}

interface Producer {
  pid: string;
  num: number;
  /** attempt events of this id (bounds the dense seq table) */
  attempts: number;
  /** seq -> message index */
  index: SeqIndex;
}

/** The facts of every message of the producer ledgers (every message here is attempted). */
export function messageFacts(ledgers: readonly ProducerColumns[]): MessageFacts {
  // ---- pass 0: producer ids, their attempt counts and last event times ---------------
  const producers = new Map<string, Producer>();
  const producerList: Producer[] = [];
  const lastTs: number[] = [];
  let last: Producer | undefined;
  const producerOf = (pid: string): Producer => {
    let pr = last !== undefined && last.pid === pid ? last : producers.get(pid);
    if (pr === undefined) {
      pr = { pid, num: producerList.length, attempts: 0, index: EMPTY_INDEX };
      producers.set(pid, pr);
      producerList.push(pr);
      lastTs.push(-Infinity);
    }
    last = pr;
    return pr;
  };
  /** the producer of each pid of a ledger's columns, found once */
  const localProducers = (c: ProducerColumns): Producer[] => c.pids.map((pid) => producerOf(pid));
  let capacity = 0;
  for (const c of ledgers) {
    const local: Array<Producer | undefined> = [];
    const { kind, pid, t, tBase } = c;
    for (let k = 0; k < c.length; k++) {
      const kd = kind[k]!;
      if (kd !== OTHER) {
        const pr = (local[pid[k]!] ??= producerOf(c.pids[pid[k]!]!));
        const tk = tBase + t[k]!;
        if (tk > lastTs[pr.num]!) lastTs[pr.num] = tk;
        if (kd === ATTEMPT) {
          pr.attempts++;
          capacity++;
        }
        continue;
      }
      const ev = c.others.get(k)!;
      if (ev.e === 'start') continue;
      const pr = producerOf(ev.pid);
      if (ev.t > lastTs[pr.num]!) lastTs[pr.num] = ev.t;
      if (ev.e === 'attempt') {
        pr.attempts++;
        capacity++;
      }
    }
  }
  for (const pr of producerList) pr.index = new SeqIndex(2 * pr.attempts + 1024, pr.attempts + 1);

  // ---- pass 1: attempts -> message indexes ---------------------------------------------
  const prodOf = new Int32Array(capacity);
  const partOf = new Int32Array(capacity);
  const first = new Float64Array(capacity);
  let count = 0;
  const attempt = (pr: Producer, seq: number, p: number, t: number): void => {
    const idx = pr.index.get(seq);
    if (idx < 0) {
      pr.index.set(seq, count);
      prodOf[count] = pr.num;
      partOf[count] = p;
      first[count++] = t;
    } else if (t < first[idx]!) first[idx] = t;
  };
  for (const c of ledgers) {
    const local = localProducers(c);
    const { kind, pid, seq, p, t, tBase } = c;
    for (let k = 0; k < c.length; k++) {
      const kd = kind[k]!;
      if (kd === ATTEMPT) attempt(local[pid[k]!]!, seq[k]!, p[k]!, tBase + t[k]!);
      else if (kd === OTHER) {
        const ev = c.others.get(k)!;
        if (ev.e === 'attempt') attempt(producerOf(ev.pid), ev.seq, ev.p, ev.t);
      }
    }
  }

  // ---- pass 2: acks and errors -----------------------------------------------------------
  const flags = new Uint8Array(count).fill(ATTEMPTED);
  const ackT = new Float64Array(count);
  const ackP = new Int32Array(count);
  const errT = new Float64Array(count);
  let refusedWrites = 0;
  const refused = new Uint8Array(count);
  const byCode = new Map<string, number>();
  const ack = (pr: Producer, seq: number, p: number, t: number): void => {
    const idx = pr.index.get(seq);
    if (idx < 0) return;
    if ((flags[idx]! & ACKED) === 0 || !(t >= ackT[idx]!)) {
      flags[idx]! |= ACKED;
      ackT[idx] = t;
      ackP[idx] = p;
    }
  };
  const error = (pr: Producer, seq: number, t: number, definite: boolean, code: string): void => {
    const idx = pr.index.get(seq);
    if (idx < 0) return;
    if ((flags[idx]! & ERRORED) === 0 || !(t >= errT[idx]!)) {
      flags[idx]! |= ERRORED;
      errT[idx] = t;
    }
    if (definite && refused[idx] === 0) {
      refused[idx] = 1;
      refusedWrites++;
      byCode.set(code, (byCode.get(code) ?? 0) + 1);
    }
  };
  for (const c of ledgers) {
    const local = localProducers(c);
    const { kind, pid, seq, p, t, tBase, x } = c;
    for (let k = 0; k < c.length; k++) {
      const kd = kind[k]!;
      if (kd === ACK) ack(local[pid[k]!]!, seq[k]!, p[k]!, tBase + t[k]!);
      else if (kd === ERROR) error(local[pid[k]!]!, seq[k]!, tBase + t[k]!, (x[k]! & 1) === 1, c.codes[x[k]! >>> 1]!);
      else if (kd === OTHER) {
        const ev = c.others.get(k)!;
        if (ev.e === 'ack') ack(producerOf(ev.pid), ev.seq, ev.p, ev.t);
        else if (ev.e === 'error') error(producerOf(ev.pid), ev.seq, ev.t, Boolean(ev.definite), ev.code);
      }
    }
  }
  return {
    count,
    flags,
    prodOf,
    lastT: Float64Array.from(lastTs),
    partOf,
    partOther: new Map(),
    first,
    ackT,
    ackP,
    ackOther: new Map(),
    errT,
    refusedWrites,
    byCode,
  };
}

/** Availability from the facts of the messages. */
export function availabilityFrom(facts: MessageFacts, input: AvailabilityInput): Availability {
  const { workloadStart: w0, workloadEnd: w1 } = input;
  const P = Math.max(0, Math.floor(input.partitions));
  const gapMs = input.gapMs ?? DEFAULT_GAP_MS;
  const { refusedWrites, byCode } = facts;
  const acked = scanAcked(facts);
  const latency = latencyOf(facts, acked);
  const { starts, ends, acks, waitOffsets, waitFill, ackOffsets } = waitsAndAcks(facts, P, acked.n);

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
    // acked messages in ack time order (the waits are done with: their arrays take them)
    const { T, L } = byAckTime(facts, acked, starts.buffer as ArrayBuffer, ends.buffer as ArrayBuffer);
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


/** Waits and acks per partition, from the facts; `room`: the starts and ends arrays can take that many values later. */
function waitsAndAcks(facts: MessageFacts, P: number, room: number) {
  const { count, flags, prodOf, lastT, partOf, partOther, first, ackT, ackP, ackOther, errT } = facts;
  const plainParts = partOther.size === 0;
  const plainAcks = ackOther.size === 0;
  const part = (idx: number): number => (plainParts ? partOf[idx]! : (partOther.get(idx) ?? partOf[idx]!));
  /** the earliest ack's time and partition of an acked message */
  const ackTime = (idx: number): number => (plainAcks ? ackT[idx]! : (ackOther.get(idx)?.t ?? ackT[idx]!));
  const ackPart = (idx: number): number => (plainAcks ? ackP[idx]! : (ackOther.get(idx)?.p ?? ackP[idx]!));

  // ---- waits and acks per partition --------------------------------------------------------
  // a failed message waits until its producer's next attempt to the partition: the first
  // attempt times per (producer, partition), sorted, answer that by binary search
  let nextAttempt: ((num: number, p: number, t: number) => number) | undefined;
  const inRange = (p: number): boolean => p >= 0 && p < P;
  /** when a failed message stops waiting (a function: rare) */
  const failedEnd = (idx: number): number => {
    const num = prodOf[idx]!;
    nextAttempt ??= attemptIndex(facts, part, P);
    const next = nextAttempt(num, part(idx), errT[idx]!);
    return next === next ? next : lastT[num]!;
  };
  const waitOffsets = new Int32Array(P + 1);
  const ackOffsets = new Int32Array(P + 1);
  for (let idx = 0; idx < count; idx++) {
    const f = flags[idx]!;
    if ((f & ATTEMPTED) === 0) continue;
    const p = part(idx);
    if (inRange(p)) waitOffsets[p + 1]!++;
    if ((f & ACKED) !== 0) {
      const a = ackPart(idx);
      if (inRange(a)) ackOffsets[a + 1]!++;
    }
  }
  for (let p = 0; p < P; p++) {
    waitOffsets[p + 1]! += waitOffsets[p]!;
    ackOffsets[p + 1]! += ackOffsets[p]!;
  }
  const starts = new Float64Array(Math.max(room, waitOffsets[P]!)).subarray(0, waitOffsets[P]!);
  const ends = new Float64Array(Math.max(room, waitOffsets[P]!)).subarray(0, waitOffsets[P]!);
  const acks = new Float64Array(ackOffsets[P]!);
  const waitFill = waitOffsets.slice(0, P);
  const ackFill = ackOffsets.slice(0, P);
  // (the times are read inline, not through functions: a number returned from a call can cost an allocation)
  for (let idx = 0; idx < count; idx++) {
    const f = flags[idx]!;
    if ((f & ATTEMPTED) === 0) continue;
    const p = plainParts ? partOf[idx]! : part(idx);
    const acked = (f & ACKED) !== 0;
    const at = !acked ? NaN : plainAcks ? ackT[idx]! : ackTime(idx);
    if (p >= 0 && p < P) {
      const s = first[idx]!;
      // a message waits until its ack; a failed one until its producer sends to p again; any other until its producer's last event
      const e = acked ? at : (f & ERRORED) === 0 ? lastT[prodOf[idx]!]! : failedEnd(idx);
      // a wait of no length never covers an instant
      if (e > s) {
        const k = waitFill[p]!++;
        starts[k] = s;
        ends[k] = e;
      }
    }
    if (acked) {
      const a = plainAcks ? ackP[idx]! : ackPart(idx);
      if (a >= 0 && a < P) acks[ackFill[a]!++] = at;
    }
  }
  return { starts, ends, waitOffsets, waitFill, acks, ackOffsets };
}

/** The acked messages: how many, and the range of their ack times and latencies. */
interface Acked {
  n: number;
  tMin: number;
  tMax: number;
  /** every ack time is an integer */
  tInt: boolean;
  latMin: number;
  latMax: number;
  latInt: boolean;
}

/** The ack time of an acked message (the earliest ack). */
function ackTimeOf(facts: MessageFacts, idx: number): number {
  return facts.ackOther.size === 0 ? facts.ackT[idx]! : (facts.ackOther.get(idx)?.t ?? facts.ackT[idx]!);
}

function scanAcked(facts: MessageFacts): Acked {
  const { count, flags, first, ackT } = facts;
  const plainAcks = facts.ackOther.size === 0;
  let n = 0;
  let tMin = Infinity;
  let tMax = -Infinity;
  let latMin = Infinity;
  let latMax = -Infinity;
  let tInt = true;
  let latInt = true;
  for (let idx = 0; idx < count; idx++) {
    if ((flags[idx]! & (ATTEMPTED | ACKED)) !== (ATTEMPTED | ACKED)) continue;
    const t = plainAcks ? ackT[idx]! : ackTimeOf(facts, idx);
    const lat = Math.round(t - first[idx]!);
    n++;
    if (t < tMin) tMin = t;
    if (t > tMax) tMax = t;
    if (lat < latMin) latMin = lat;
    if (lat > latMax) latMax = lat;
    if (tInt && !Number.isInteger(t)) tInt = false;
    if (latInt && !Number.isInteger(lat)) latInt = false;
  }
  return { n, tMin, tMax, tInt, latMin, latMax, latInt };
}

/** latencyStats of every acked message's latency: from a histogram when the latencies allow (no array of them). */
function latencyOf(facts: MessageFacts, a: Acked): LatencyStats {
  const n = a.n;
  if (n === 0) return { acks: 0, p50Ms: null, p99Ms: null };
  const { count, flags, first } = facts;
  if (!(a.latInt && a.latMax - a.latMin <= 4 * n + 65536)) {
    const lat = new Float64Array(n);
    for (let idx = 0, k = 0; idx < count; idx++) {
      if ((flags[idx]! & (ATTEMPTED | ACKED)) === (ATTEMPTED | ACKED)) lat[k++] = Math.round(ackTimeOf(facts, idx) - first[idx]!);
    }
    return latencyStats(lat);
  }
  const counts = new Int32Array(a.latMax - a.latMin + 1);
  const { ackT } = facts;
  const plainAcks = facts.ackOther.size === 0;
  const latMin = a.latMin;
  for (let idx = 0; idx < count; idx++) {
    if ((flags[idx]! & (ATTEMPTED | ACKED)) !== (ATTEMPTED | ACKED)) continue;
    const t = plainAcks ? ackT[idx]! : ackTimeOf(facts, idx);
    counts[Math.round(t - first[idx]!) - latMin]!++;
  }
  return percentiles(counts, a.latMin, n);
}

/**
 * The acked messages in ack time order (stable: message order for equal times): their
 * times T and latencies L, in the given buffers when they are large enough.
 */
function byAckTime(facts: MessageFacts, a: Acked, bufT: ArrayBuffer, bufL: ArrayBuffer): { T: Float64Array; L: Float64Array } {
  const n = a.n;
  const { count, flags, first } = facts;
  const T = bufT.byteLength >= 8 * n ? new Float64Array(bufT, 0, n) : new Float64Array(n);
  const L = bufL.byteLength >= 8 * n ? new Float64Array(bufL, 0, n) : new Float64Array(n);
  if (n > 0 && a.tInt && a.tMax - a.tMin <= 4 * n + 65536) {
    // a counting sort by time, straight into T and L
    const { ackT } = facts;
    const plainAcks = facts.ackOther.size === 0;
    const tMin = a.tMin;
    const offsets = new Int32Array(a.tMax - tMin + 2);
    for (let idx = 0; idx < count; idx++) {
      if ((flags[idx]! & (ATTEMPTED | ACKED)) !== (ATTEMPTED | ACKED)) continue;
      const t = plainAcks ? ackT[idx]! : ackTimeOf(facts, idx);
      offsets[t - tMin + 1]!++;
    }
    for (let v = 1; v < offsets.length; v++) offsets[v]! += offsets[v - 1]!;
    for (let idx = 0; idx < count; idx++) {
      if ((flags[idx]! & (ATTEMPTED | ACKED)) !== (ATTEMPTED | ACKED)) continue;
      const t = plainAcks ? ackT[idx]! : ackTimeOf(facts, idx);
      const k = offsets[t - tMin]!++;
      T[k] = t;
      L[k] = Math.round(t - first[idx]!);
    }
    return { T, L };
  }
  const ackedT = new Float64Array(n);
  const ackedLat = new Float64Array(n);
  for (let idx = 0, k = 0; idx < count; idx++) {
    if ((flags[idx]! & (ATTEMPTED | ACKED)) !== (ATTEMPTED | ACKED)) continue;
    const t = ackTimeOf(facts, idx);
    ackedT[k] = t;
    ackedLat[k++] = Math.round(t - first[idx]!);
  }
  const order = orderByTime(ackedT);
  for (let k = 0; k < n; k++) {
    T[k] = ackedT[order[k]!]!;
    L[k] = ackedLat[order[k]!]!;
  }
  return { T, L };
}

/**
 * For each (producer, partition), the first attempt times of its messages in ascending
 * order; returns a lookup of the first such time at or after `t` (NaN when there is none).
 */
function attemptIndex(facts: MessageFacts, part: (idx: number) => number, P: number): (num: number, p: number, t: number) => number {
  const { count, flags, prodOf, first } = facts;
  const producers = facts.lastT.length;
  const offsets = new Int32Array(producers * P + 1);
  for (let idx = 0; idx < count; idx++) {
    if ((flags[idx]! & ATTEMPTED) === 0) continue;
    const p = part(idx);
    if (p >= 0 && p < P) offsets[prodOf[idx]! * P + p + 1]!++;
  }
  for (let g = 0; g < producers * P; g++) offsets[g + 1]! += offsets[g]!;
  const times = new Float64Array(offsets[producers * P]!);
  const fill = offsets.slice(0, producers * P);
  for (let idx = 0; idx < count; idx++) {
    if ((flags[idx]! & ATTEMPTED) === 0) continue;
    const p = part(idx);
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
  return percentiles(counts, min, n);
}

/** Nearest-rank p50 and p99 of n values given as counts per value - min. */
function percentiles(counts: Int32Array, min: number, n: number): LatencyStats {
  const r50 = Math.ceil((50 * n) / 100);
  const r99 = Math.ceil((99 * n) / 100);
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
