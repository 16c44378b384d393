// The checker: ledgers + final read of the log -> outcome counts per message id.
//
// Everything here is derived from the recorded history; nothing is estimated. The checks
// below can each fail on a real history (a unit test makes every one fire); a failed
// check is returned as an IdentityViolation, which makes the profile an ERROR.
//
// Performance: a run can hold ten million messages. The checker reads the ledgers and the
// final read as columns (ledger/columns.ts: typed arrays, no object per event), and per-id
// state lives in typed arrays indexed by a dense "message index" assigned to each
// generated id (Run). Producer events are resolved through a per-producer seq table
// (SeqIndex); ids (final read, consumer ledgers) are kept as (prefix, seq) and looked up
// the same way (see idResolver). Events and records the columns keep whole go through the
// same steps. The producer ledgers take one pass when every ack, error and retry follows
// its attempt (what agents write), two otherwise (producersFused); the same passes gather
// what availability needs (Run.facts), so that it can be computed on another thread. The
// steps can be taken one at a time (Reconciler), reading the next part of a run meanwhile
// (read-run.ts).

import {
  ACK,
  ATTEMPT,
  ERROR,
  NULL_ID,
  NULL_OFFSET,
  OTHER,
  ROW,
  consumerColumns,
  idAt,
  producerColumns,
  recordColumns,
  type ConsumerColumns,
  type FinalReadColumns,
  type IdColumns,
  type ProducerColumns,
  type RecordColumns,
} from '../ledger/columns.ts';
import { messageId, type MessageId, type ProducerEvent } from '../ledger/events.ts';
import type { PartitionRead } from '../ledger/events.ts';
import { ACKED, ATTEMPTED, ERRORED, availabilityFrom, type Availability, type MessageFacts } from './availability.ts';
import { EXAMPLE_METRICS, zeroMetrics, type ExampleMetricName, type Metrics } from './metrics.ts';
import { SeqIndex } from './seq-index.ts';
import type { ColumnHistory, History, IdentityViolation, ProducerSummary, Reconciliation, RetrySummary } from './types.ts';

/** Examples kept per non-zero metric. */
export const MAX_EXAMPLES = 20;
/** Examples quoted in the detail of a violation. */
const MAX_VIOLATION_EXAMPLES = 5;

/** The checks the reconciler makes (the `identity` of a violation). */
export const IDENTITY = {
  ackedWasAttempted: 'every acked id was attempted',
  erroredWasAttempted: 'every errored id was attempted',
  processedIsKnown: 'every processed id is known',
  ackOrError: 'no message has both an ack and an error',
  addressedPartition: 'every message is in the partition it was addressed to',
  unsentNotAttempted: 'no unsent message was handed to the client',
  unsentNotInLog: 'no unsent message is in the log',
  processedOffsetHolds: 'every processed offset holds the processed message (or the message is gone from the log)',
  partitionListedOnce: 'every partition of the final read is listed once',
  recordPartitionListed: 'every record is in a partition listed by the final read',
  recordInRange: 'every record lies in [logStartOffset, highWatermark) of its partition',
  uniqueOffset: 'one record per (partition, offset)',
  readComplete: 'the final read returned every offset in [logStartOffset, highWatermark)',
} as const;

export type IdentityName = (typeof IDENTITY)[keyof typeof IDENTITY];

/** No record at this offset of the table (a gap) / a record that is not a message of this run. */
const NO_RECORD = -1;
const FOREIGN_RECORD = -2;

interface Producer {
  pid: string;
  /** producer number, index into per-producer scratch arrays */
  num: number;
  /** seq -> message index */
  index: SeqIndex;
  /** whether seqs were first seen in ascending order (then its message indexes are in seq order) */
  ascending: boolean;
  maxSeq: number;
  summary: ProducerSummary;
}

/** What the final read holds of one partition: the message index at each offset. */
interface PartitionTable {
  info: PartitionRead;
  /** message index per offset - logStartOffset; NO_RECORD or FOREIGN_RECORD otherwise */
  at: Int32Array;
  records: number;
}

/** Counts occurrences of something wrong and keeps the first few examples. */
class Tally {
  count = 0;
  readonly examples: string[] = [];
  add(example: string): void {
    this.count++;
    if (this.examples.length < MAX_VIOLATION_EXAMPLES) this.examples.push(example);
  }
  /** Counts one more; `example` is called only while examples are still kept. */
  addLazy(example: () => string): void {
    this.count++;
    if (this.examples.length < MAX_VIOLATION_EXAMPLES) this.examples.push(example());
  }
  report(violations: IdentityViolation[], identity: IdentityName, what: string): void {
    if (this.count === 0) return;
    violations.push({ identity, detail: `${this.count} ${what}${this.examples.length === 0 ? '' : `, e.g. ${this.examples.join(', ')}`}` });
  }
}

/** Small counts per message in a byte, the rare larger ones in a map. */
class Counts {
  readonly small: Uint8Array;
  private readonly large = new Map<number, number>();
  constructor(n: number) {
    this.small = new Uint8Array(n);
  }
  increment(idx: number): void {
    const v = this.small[idx]!;
    if (v < 254) this.small[idx] = v + 1;
    else if (v === 254) {
      this.small[idx] = 255;
      this.large.set(idx, 255);
    } else this.large.set(idx, this.large.get(idx)! + 1);
  }
  get(idx: number): number {
    const v = this.small[idx]!;
    return v === 255 ? this.large.get(idx)! : v;
  }
}

// message flags (Run.flags): ATTEMPTED, ACKED and ERRORED (availability.ts) and these
const UNSENT = 2;
const DEFINITE = 16;
const RETRIED = 32;
// what the final read says of a message (Log.marks)
const SEEN = 1;
const REORDERED = 2;
const OVERTAKEN = 4;

export function reconcile(history: History): Reconciliation {
  return reconcileColumns(historyColumns(history));
}

/**
 * A history's ledgers and final read as columns (what the checker reads from disk). With
 * `rows: false` every event and record is kept whole: the checker must count the same
 * either way, which the unit tests check.
 */
export function historyColumns(history: History, opts: { rows?: boolean } = {}): ColumnHistory {
  return {
    runId: history.runId,
    producers: history.producers.map((l) => producerColumns(l, opts)),
    consumers: history.consumers.map((l) => consumerColumns(l, opts)),
    consumerLedgers: history.consumers.length,
    finalRead: { isolation: history.finalRead.isolation, partitions: history.finalRead.partitions, records: recordColumns(history.finalRead.records, opts) },
    ...(history.workload ? { workload: history.workload } : {}),
  };
}

/**
 * `reconcile` of a history read as columns. `availability`, when given, is what
 * availabilityFrom made of this history's facts (it can be computed elsewhere meanwhile);
 * without it, a history with the workload's timing gets it here.
 */
export function reconcileColumns(history: ColumnHistory, opts: { availability?: Availability } = {}): Reconciliation {
  const r = new Reconciler({ consumers: history.consumerLedgers > 0, ...(history.workload ? { workload: history.workload } : {}) });
  r.producers(history.producers);
  r.finalRead(history.finalRead);
  for (const c of history.consumers) r.consumer(c);
  return r.finish(opts.availability);
}

/**
 * The checker, a step at a time, so that a caller can read the next part of the run while
 * it works: `producers` (every producer ledger, once), then `finalRead`, then `consumer`
 * for each consumer ledger (or consecutive part of one) in order, then `finish`.
 * `facts()`, after `producers`, is what availability needs (on shared memory: another
 * thread can compute availability meanwhile).
 */
export class Reconciler {
  private readonly violations: IdentityViolation[] = [];
  private readonly hasConsumers: boolean;
  private readonly workload: History['workload'];
  private run: Run | undefined;
  private pass2: { retries: RetrySummary; wrongPartition: Tally } | undefined;
  private log: Log | undefined;
  private consumed: Consumed | undefined;

  constructor(opts: { consumers: boolean; workload?: History['workload'] }) {
    this.hasConsumers = opts.consumers;
    this.workload = opts.workload;
  }

  producers(ledgers: readonly ProducerColumns[]): void {
    if (this.run) throw new Error('Reconciler.producers: called twice');
    const size = sizeOf(ledgers);
    // one pass when every ack, error and retry follows its message's attempt (what agents write), else two
    const fused = producersFused(ledgers, size);
    if (fused) {
      this.run = fused.run;
      this.pass2 = producersDone(fused.run, fused.pass2, this.violations);
    } else {
      this.run = producersPass1(ledgers, size);
      this.pass2 = producersDone(this.run, producersPass2(this.run, ledgers), this.violations);
    }
  }

  facts(): MessageFacts {
    const run = this.need(this.run, 'producers');
    return run.facts();
  }

  finalRead(finalRead: FinalReadColumns): void {
    if (this.log) throw new Error('Reconciler.finalRead: called twice');
    this.log = readLog(this.need(this.run, 'producers'), finalRead, this.need(this.pass2, 'producers').wrongPartition, this.violations);
  }

  consumer(ledger: ConsumerColumns): void {
    const run = this.need(this.run, 'producers');
    const log = this.need(this.log, 'finalRead');
    this.consumed ??= new Consumed(run.count);
    consume(run, ledger, log, this.consumed);
  }

  finish(availability?: Availability): Reconciliation {
    const run = this.need(this.run, 'producers');
    const log = this.need(this.log, 'finalRead');
    const { retries } = this.need(this.pass2, 'producers');
    const consumed = this.consumed ?? new Consumed(run.count);
    consumed.report(log, this.violations);
    const m: Metrics = {
      ...zeroMetrics({ consumers: this.hasConsumers, availability: this.workload !== undefined }),
      reordered: log.reordered,
      reorderedPairs: log.reorderedPairs,
      unexpected: log.unexpected,
      logRecords: log.records,
    };
    const ex: Record<ExampleMetricName, string[]> = Object.fromEntries(EXAMPLE_METRICS.map((name) => [name, []])) as unknown as Record<ExampleMetricName, string[]>;
    ex.unexpected = log.unexpectedExamples;
    const withoutOffset = { acked: 0, lost: 0 };
    outcomes(run, log, consumed, this.hasConsumers, retries, m, ex, withoutOffset);
    const examples: Reconciliation['examples'] = {};
    for (const name of EXAMPLE_METRICS) {
      const v = m[name];
      if (v !== null && v > 0 && ex[name].length > 0) examples[name] = ex[name];
    }
    const result: Reconciliation = { metrics: m, examples, violations: this.violations, producers: run.producerList.map((p) => p.summary), retries, acksWithoutOffset: withoutOffset };
    if (this.workload) {
      const w = this.workload;
      const a = availability ?? availabilityFrom(run.facts(), { workloadStart: w.start, workloadEnd: w.end, partitions: w.partitions, faults: w.faults });
      m.refused = a.refusedWrites;
      m.unavailableMs = a.unavailableTotalMs;
      result.availability = a;
    }
    return result;
  }

  private need<T>(v: T | undefined, step: string): T {
    if (v === undefined) throw new Error(`Reconciler: ${step} first`);
    return v;
  }
}

/** An array of n elements on memory another thread can read (availability's facts). */
function shared<T extends Uint8Array | Int32Array | Float64Array>(type: { new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number }, n: number): T {
  return new type(new SharedArrayBuffer(n * type.BYTES_PER_ELEMENT));
}

/** The messages of a run: one dense message index per (producer id, seq) the producer ledgers generated, and what happened to each. */
class Run {
  readonly producers = new Map<string, Producer>();
  readonly producerList: Producer[] = [];
  count = 0;
  /** Int32 when every seq fits one */
  readonly seqOf: Float64Array | Int32Array;
  readonly prodOf: Int32Array;
  /** the partition of the event that first named the message */
  readonly addressed: Int32Array;
  readonly flags: Uint8Array;
  /** the earliest attempt time (for availability) */
  readonly first: Float64Array;
  /** the last ack's partition, offset and time (NaN offset: no ack with an offset) */
  readonly ackPartition: Int32Array;
  readonly ackOffset: Float64Array;
  readonly ackTime: Float64Array;
  /** the earliest error time (for availability) */
  readonly errT: Float64Array;
  // for availability: the first attempt's partition where it differs from `addressed`, the earliest ack where there were several
  readonly partOther = new Map<number, number>();
  readonly ackOther = new Map<number, { t: number; p: number }>();
  /** last event time per producer id (any event but start) */
  readonly lastT = new Map<string, number>();
  refusedWrites = 0;
  readonly byCode = new Map<string, number>();
  /**
   * The time of each producer's last first attempt (ProducerSummary.lastAttemptAt), by
   * producer number, kept in an array of doubles: a summary's field would box each time.
   */
  readonly lastAttempt: number[] = [];
  private last: Producer | undefined;

  private readonly seqLimit: number;
  private readonly maxSeqOf: ReadonlyMap<string, number>;

  constructor(size: Size) {
    const capacity = size.capacity;
    this.seqLimit = 2 * capacity + 1024;
    this.maxSeqOf = size.maxSeqOf;
    this.seqOf = size.int32Seqs ? new Int32Array(capacity) : new Float64Array(capacity);
    this.prodOf = shared(Int32Array, capacity);
    this.addressed = shared(Int32Array, capacity);
    this.flags = shared(Uint8Array, capacity);
    this.first = shared(Float64Array, capacity);
    this.ackPartition = shared(Int32Array, capacity);
    this.ackOffset = new Float64Array(capacity).fill(NaN);
    this.ackTime = shared(Float64Array, capacity);
    this.errT = shared(Float64Array, capacity);
  }

  /** The producer of `pid`, made on first sight (in the order pass 1 meets them). */
  producerOf(pid: string): Producer {
    let pr = this.last !== undefined && this.last.pid === pid ? this.last : this.producers.get(pid);
    if (pr === undefined) {
      const summary: ProducerSummary = { pid, attempted: 0, unsent: 0, firstAttemptAt: null, lastAttemptAt: null, behindSince: null, maxQueued: 0 };
      pr = { pid, num: this.producerList.length, index: new SeqIndex(this.seqLimit, (this.maxSeqOf.get(pid) ?? -1) + 1), ascending: true, maxSeq: -Infinity, summary };
      this.producers.set(pid, pr);
      this.producerList.push(pr);
    }
    this.last = pr;
    return pr;
  }

  /** The message index of (pr, seq), given on first sight with `p` as its addressed partition. */
  indexOf(pr: Producer, seq: number, p: number): number {
    const idx = pr.index.get(seq);
    return idx >= 0 ? idx : this.add(pr, seq, p);
  }

  private add(pr: Producer, seq: number, p: number): number {
    const idx = this.count++;
    pr.index.set(seq, idx);
    this.seqOf[idx] = seq;
    this.prodOf[idx] = pr.num;
    this.addressed[idx] = p;
    if (seq < pr.maxSeq) pr.ascending = false;
    else pr.maxSeq = seq;
    return idx;
  }

  attempt(pr: Producer, seq: number, p: number, t: number): void {
    const idx = this.indexOf(pr, seq, p);
    const f = this.flags[idx]!;
    if ((f & ATTEMPTED) === 0) {
      this.flags[idx] = f | ATTEMPTED;
      const s = pr.summary;
      s.attempted++;
      s.firstAttemptAt ??= t;
      this.lastAttempt[pr.num] = t;
      this.first[idx] = t;
      // the message was named by an unsent event first
      if ((p | 0) !== this.addressed[idx]) this.partOther.set(idx, p | 0);
    } else if (t < this.first[idx]!) this.first[idx] = t;
  }

  /** The message index of an attempted (pr, seq); -1 for none. */
  lookup(pr: Producer | undefined, seq: number): number {
    if (pr === undefined) return -1;
    const idx = pr.index.get(seq);
    return idx >= 0 && (this.flags[idx]! & ATTEMPTED) !== 0 ? idx : -1;
  }

  /** An ack of an attempted message. */
  ack(idx: number, p: number, o: number | null, t: number): void {
    const f = this.flags[idx]!;
    if ((f & ACKED) !== 0) {
      // availability wants the earliest ack (the first of equal times)
      const cur = this.ackOther.get(idx) ?? { t: this.ackTime[idx]!, p: this.ackPartition[idx]! };
      this.ackOther.set(idx, t >= cur.t ? cur : { t, p: p | 0 });
    }
    this.flags[idx] = f | ACKED;
    this.ackTime[idx] = t;
    this.ackPartition[idx] = p;
    if (o !== null) this.ackOffset[idx] = o;
  }

  /** An error of an attempted message. */
  error(idx: number, t: number, definite: boolean, code: string): void {
    const f = this.flags[idx]!;
    if ((f & ERRORED) === 0 || !(t >= this.errT[idx]!)) this.errT[idx] = t;
    let g = f | ERRORED;
    if (definite && (f & DEFINITE) === 0) {
      g |= DEFINITE;
      this.refusedWrites++;
      this.byCode.set(code, (this.byCode.get(code) ?? 0) + 1);
    }
    this.flags[idx] = g;
  }

  /** Records the time of an event (any but start) of producer id `pid`. */
  saw(pid: string, t: number): void {
    if (t > (this.lastT.get(pid) ?? -Infinity)) this.lastT.set(pid, t);
  }

  id(idx: number): MessageId {
    return messageId(this.producerList[this.prodOf[idx]!]!.pid, this.seqOf[idx]!);
  }

  facts(): MessageFacts {
    return {
      count: this.count,
      flags: this.flags,
      prodOf: this.prodOf,
      lastT: Float64Array.from(this.producerList, (pr) => this.lastT.get(pr.pid) ?? -Infinity),
      partOf: this.addressed,
      partOther: this.partOther,
      first: this.first,
      ackT: this.ackTime,
      ackP: this.ackPartition,
      ackOther: this.ackOther,
      errT: this.errT,
      refusedWrites: this.refusedWrites,
      byCode: this.byCode,
    };
  }
}

/** How many messages the producer ledgers may name, and the largest seq of each producer id's attempt rows (the first size of its seq table). */
interface Size {
  capacity: number;
  maxSeqOf: Map<string, number>;
  /** every seq fits an Int32Array (rows' seqs do) */
  int32Seqs: boolean;
}

function sizeOf(ledgers: readonly ProducerColumns[]): Size {
  let capacity = 0;
  let int32Seqs = true;
  const int32 = (seq: number): boolean => (seq | 0) === seq;
  const maxSeqOf = new Map<string, number>();
  for (const c of ledgers) {
    capacity += c.attempts;
    c.pids.forEach((pid, li) => {
      if (c.maxSeq[li]! >= 0) maxSeqOf.set(pid, Math.max(maxSeqOf.get(pid) ?? -1, c.maxSeq[li]!));
    });
    for (const ev of c.others.values()) {
      if (ev.e === 'attempt') {
        capacity++;
        int32Seqs &&= int32(ev.seq);
      } else if (ev.e === 'unsent') {
        capacity += ev.seqs.length;
        int32Seqs &&= ev.seqs.every(int32);
      }
    }
  }
  return { capacity, maxSeqOf, int32Seqs };
}

// ---- producers, pass 1: attempts and unsent messages get message indexes -----------
function producersPass1(ledgers: readonly ProducerColumns[], size: Size): Run {
  const run = new Run(size);
  const { flags, first, addressed } = run;
  for (const c of ledgers) {
    const local: Array<Producer | undefined> = [];
    const lastT = new Float64Array(c.pids.length).fill(-Infinity);
    const { kind, pid, seq, p, t, tBase, pids } = c;
    for (let k = 0; k < c.length; k++) {
      const kd = kind[k]!;
      if (kd === ATTEMPT) {
        const li = pid[k]!;
        const pr = local[li] ?? (local[li] = run.producerOf(pids[li]!));
        const pk = p[k]!;
        const idx = run.indexOf(pr, seq[k]!, pk);
        const tk = tBase + t[k]!;
        if (tk > lastT[li]!) lastT[li] = tk;
        const f = flags[idx]!;
        if ((f & ATTEMPTED) === 0 && pk === addressed[idx]) {
          flags[idx] = f | ATTEMPTED;
          const s = pr.summary;
          s.attempted++;
          s.firstAttemptAt ??= tk;
          run.lastAttempt[pr.num] = tk;
          first[idx] = tk;
        } else run.attempt(pr, seq[k]!, pk, tk);
      } else if (kd === OTHER) {
        const ev = c.others.get(k)!;
        if (ev.e !== 'start') run.saw(ev.pid, ev.t);
        pass1Other(run, ev);
      }
    }
    pids.forEach((pid, li) => {
      if (lastT[li]! > -Infinity) run.saw(pid, lastT[li]!);
    });
  }
  return run;
}

/** An event kept whole, in pass 1: attempt, unsent or backlog (the rest wait for pass 2). */
function pass1Other(run: Run, ev: ProducerEvent): void {
  if (ev.e === 'attempt') run.attempt(run.producerOf(ev.pid), ev.seq, ev.p, ev.t);
  else if (ev.e === 'unsent') {
    const pr = run.producerOf(ev.pid);
    for (const s of ev.seqs) {
      const idx = run.indexOf(pr, s, ev.p);
      if ((run.flags[idx]! & UNSENT) === 0) {
        run.flags[idx]! |= UNSENT;
        pr.summary.unsent++;
      }
    }
  } else if (ev.e === 'backlog') {
    const pr = run.producerOf(ev.pid);
    if (ev.state === 'behind') pr.summary.behindSince ??= ev.t;
    pr.summary.maxQueued = Math.max(pr.summary.maxQueued, ev.queued);
  }
}

/**
 * Both producer passes in one, for ledgers in which every ack, error and retry comes
 * after an attempt of its message (what agents write: the attempt is recorded before the
 * send). Then pass 2 would see every such event exactly as this sees it. At the first
 * event that does not (its message not attempted yet), this gives up: null, and the two
 * passes run instead.
 */
function producersFused(ledgers: readonly ProducerColumns[], size: Size): { run: Run; pass2: Pass2 } | null {
  const run = new Run(size);
  const retries: RetrySummary = { batches: 0, messages: 0, resends: 0, firstAt: null, lastAt: null, overtakenRetried: 0 };
  const wrongPartition = new Tally();
  const { flags, first, addressed, ackTime, ackPartition, ackOffset } = run;
  for (const c of ledgers) {
    const local: Array<Producer | undefined> = [];
    const lastT = new Float64Array(c.pids.length).fill(-Infinity);
    const { kind, pid, seq, p, t, tBase, x, pids } = c;
    for (let k = 0; k < c.length; k++) {
      const kd = kind[k]!;
      if (kd === ATTEMPT) {
        const li = pid[k]!;
        const pr = local[li] ?? (local[li] = run.producerOf(pids[li]!));
        const pk = p[k]!;
        const idx = run.indexOf(pr, seq[k]!, pk);
        const tk = tBase + t[k]!;
        if (tk > lastT[li]!) lastT[li] = tk;
        const f = flags[idx]!;
        if ((f & ATTEMPTED) === 0 && pk === addressed[idx]) {
          flags[idx] = f | ATTEMPTED;
          const s = pr.summary;
          s.attempted++;
          s.firstAttemptAt ??= tk;
          run.lastAttempt[pr.num] = tk;
          first[idx] = tk;
        } else run.attempt(pr, seq[k]!, pk, tk);
      } else if (kd === ACK || kd === ERROR) {
        const li = pid[k]!;
        const pr = local[li] ?? (local[li] = run.producers.get(pids[li]!));
        const sq = seq[k]!;
        const idx = pr === undefined ? -1 : pr.index.get(sq);
        if (idx < 0 || (flags[idx]! & ATTEMPTED) === 0) return null;
        const tk = tBase + t[k]!;
        if (tk > lastT[li]!) lastT[li] = tk;
        const xk = x[k]!;
        if (kd === ERROR) {
          run.error(idx, tk, (xk & 1) === 1, c.codes[xk >>> 1]!);
          continue;
        }
        const pk = p[k]!;
        const f = flags[idx]!;
        if ((f & ACKED) === 0 && pk === addressed[idx]) {
          flags[idx] = f | ACKED;
          ackTime[idx] = tk;
          ackPartition[idx] = pk;
          if (xk !== NULL_OFFSET) ackOffset[idx] = xk;
        } else {
          run.ack(idx, pk, xk === NULL_OFFSET ? null : xk, tk);
          if (pk !== addressed[idx]) wrongPartition.add(`${messageId(pids[li]!, sq)} addressed to p${addressed[idx]}, acked in p${pk}`);
        }
      } else if (kd === OTHER) {
        const ev = c.others.get(k)!;
        if (ev.e !== 'start') run.saw(ev.pid, ev.t);
        if (ev.e === 'ack' || ev.e === 'error') {
          const idx = run.lookup(run.producers.get(ev.pid), ev.seq);
          if (idx < 0) return null;
          if (ev.e === 'error') run.error(idx, ev.t, Boolean(ev.definite), ev.code);
          else {
            run.ack(idx, ev.p, ev.o, ev.t);
            if (ev.p !== addressed[idx]) wrongPartition.add(`${messageId(ev.pid, ev.seq)} addressed to p${addressed[idx]}, acked in p${ev.p}`);
          }
        } else if (ev.e === 'retry') {
          if (ev.n === 2) retries.batches++;
          retries.resends++;
          if (retries.firstAt === null || ev.t < retries.firstAt) retries.firstAt = ev.t;
          if (retries.lastAt === null || ev.t > retries.lastAt) retries.lastAt = ev.t;
          const pr = run.producers.get(ev.pid);
          for (const s of ev.seqs) {
            const idx = run.lookup(pr, s);
            if (idx < 0) return null;
            if ((flags[idx]! & RETRIED) === 0) {
              flags[idx]! |= RETRIED;
              retries.messages++;
            }
          }
        } else pass1Other(run, ev);
      }
    }
    pids.forEach((pid, li) => {
      if (lastT[li]! > -Infinity) run.saw(pid, lastT[li]!);
    });
  }
  return { run, pass2: { retries, wrongPartition, ackUnattempted: new Tally(), errorUnattempted: new Tally() } };
}


// ---- producers, pass 2: acks, errors and retries ----------------------------------------
function producersPass2(run: Run, ledgers: readonly ProducerColumns[]): Pass2 {
  const ackUnattempted = new Tally();
  const errorUnattempted = new Tally();
  const wrongPartition = new Tally();
  const retries: RetrySummary = { batches: 0, messages: 0, resends: 0, firstAt: null, lastAt: null, overtakenRetried: 0 };
  const { flags, ackTime, ackPartition, ackOffset, addressed } = run;
  const ack = (pid: string, pr: Producer | undefined, seq: number, p: number, o: number | null, t: number): void => {
    const idx = run.lookup(pr, seq);
    if (idx < 0) {
      ackUnattempted.add(messageId(pid, seq));
      return;
    }
    run.ack(idx, p, o, t);
    if (p !== addressed[idx]) wrongPartition.add(`${messageId(pid, seq)} addressed to p${addressed[idx]}, acked in p${p}`);
  };
  const error = (pid: string, pr: Producer | undefined, seq: number, code: string, isDefinite: boolean, t: number): void => {
    const idx = run.lookup(pr, seq);
    if (idx < 0) {
      errorUnattempted.add(`${messageId(pid, seq)} (${code})`);
      return;
    }
    run.error(idx, t, isDefinite, code);
  };
  for (const c of ledgers) {
    const local = c.pids.map((pid) => run.producers.get(pid));
    const lastT = new Float64Array(c.pids.length).fill(-Infinity);
    const { kind, pid, seq, p, t, tBase, x, pids } = c;
    for (let k = 0; k < c.length; k++) {
      const kd = kind[k]!;
      if (kd === ACK) {
        // inline: the row of nearly every message
        const li = pid[k]!;
        const pr = local[li];
        const sq = seq[k]!;
        const idx = pr === undefined ? -1 : pr.index.get(sq);
        const pk = p[k]!;
        const o = x[k]!;
        const tk = tBase + t[k]!;
        if (tk > lastT[li]!) lastT[li] = tk;
        const f = idx < 0 ? 0 : flags[idx]!;
        if ((f & (ATTEMPTED | ACKED)) !== ATTEMPTED || pk !== addressed[idx]) {
          ack(pids[li]!, pr, sq, pk, o === NULL_OFFSET ? null : o, tk);
          continue;
        }
        flags[idx] = f | ACKED;
        ackTime[idx] = tk;
        ackPartition[idx] = pk;
        if (o !== NULL_OFFSET) ackOffset[idx] = o;
      } else if (kd === ERROR) {
        const li = pid[k]!;
        const tk = tBase + t[k]!;
        if (tk > lastT[li]!) lastT[li] = tk;
        error(pids[li]!, local[li], seq[k]!, c.codes[x[k]! >>> 1]!, (x[k]! & 1) === 1, tk);
      } else if (kd === OTHER) {
        const ev = c.others.get(k)!;
        if (ev.e === 'ack') ack(ev.pid, run.producers.get(ev.pid), ev.seq, ev.p, ev.o, ev.t);
        else if (ev.e === 'error') error(ev.pid, run.producers.get(ev.pid), ev.seq, ev.code, Boolean(ev.definite), ev.t);
        else if (ev.e === 'retry') {
          // a batch sent three times writes retry events for attempts 2 and 3: one batch, two resends
          if (ev.n === 2) retries.batches++;
          retries.resends++;
          // ledgers are read one producer after another, so file order is not time order
          if (retries.firstAt === null || ev.t < retries.firstAt) retries.firstAt = ev.t;
          if (retries.lastAt === null || ev.t > retries.lastAt) retries.lastAt = ev.t;
          const pr = run.producers.get(ev.pid);
          for (const s of ev.seqs) {
            const idx = run.lookup(pr, s);
            if (idx >= 0 && (flags[idx]! & RETRIED) === 0) {
              flags[idx]! |= RETRIED;
              retries.messages++;
            }
          }
        }
      }
    }
    pids.forEach((pid, li) => {
      if (lastT[li]! > -Infinity) run.saw(pid, lastT[li]!);
    });
  }
  return { retries, wrongPartition, ackUnattempted, errorUnattempted };
}

/** What the producer passes found. */
interface Pass2 {
  retries: RetrySummary;
  wrongPartition: Tally;
  ackUnattempted: Tally;
  errorUnattempted: Tally;
}

/** The producer checks, once every producer event is in. */
function producersDone(run: Run, pass2: Pass2, violations: IdentityViolation[]): { retries: RetrySummary; wrongPartition: Tally } {
  for (const pr of run.producerList) if (pr.summary.attempted > 0) pr.summary.lastAttemptAt = run.lastAttempt[pr.num]!;
  const { ackUnattempted, errorUnattempted } = pass2;
  const { count, flags } = run;
  ackUnattempted.report(violations, IDENTITY.ackedWasAttempted, 'ack event(s) for ids no producer ledger attempted');
  errorUnattempted.report(violations, IDENTITY.erroredWasAttempted, 'error event(s) for ids no producer ledger attempted');
  const ackAndError = new Tally();
  const unsentAttempted = new Tally();
  for (let idx = 0; idx < count; idx++) {
    const f = flags[idx]!;
    if ((f & (ACKED | ERRORED)) === (ACKED | ERRORED)) ackAndError.add(run.id(idx));
    if ((f & (UNSENT | ATTEMPTED)) === (UNSENT | ATTEMPTED)) unsentAttempted.add(run.id(idx));
  }
  ackAndError.report(violations, IDENTITY.ackOrError, 'message(s) both acked and failed: the client reported two outcomes for one send');
  unsentAttempted.report(violations, IDENTITY.unsentNotAttempted, 'message(s) recorded as unsent that were also handed to the client');
  return { retries: pass2.retries, wrongPartition: pass2.wrongPartition };
}

/** What the final read holds. */
interface Log {
  resolve: Resolver;
  tables: Map<number, PartitionTable>;
  records: number;
  /** copies of each message in the log */
  n: Counts;
  /** SEEN, REORDERED, OVERTAKEN per message */
  marks: Uint8Array;
  reordered: number;
  reorderedPairs: number;
  unexpected: number;
  unexpectedExamples: string[];
  /** message indexes per producer (number), each in the order they were given; null: one producer, all of them in order */
  byProducer: { members: Int32Array; offsets: Int32Array } | null;
}

// ---- final read ------------------------------------------------------------------
function readLog(run: Run, finalRead: FinalReadColumns, wrongPartition: Tally, violations: IdentityViolation[]): Log {
  const { count, seqOf, prodOf, flags, addressed } = run;
  const resolve = idResolver(run.producers, run.producerList, seqOf, prodOf, count);
  const rc = finalRead.records;
  const tables = new Map<number, PartitionTable>();
  const listedTwice = new Tally();
  for (const pr of finalRead.partitions) {
    if (tables.has(pr.partition)) listedTwice.add(`p${pr.partition}`);
    else tables.set(pr.partition, { info: pr, at: new Int32Array(Math.max(0, pr.highWatermark - pr.logStartOffset)).fill(NO_RECORD), records: 0 });
  }
  listedTwice.report(violations, IDENTITY.partitionListedOnce, 'extra listing(s) of a partition in finalRead.partitions (the first is used)');

  // record indexes per partition, in log order (offset ascending; stable for equal offsets)
  const order = logOrder(rc);
  const n = new Counts(count);
  const marks = new Uint8Array(count);
  // per producer, its first occurrences in the current partition, in log order: groups[num].subarray(0, groupLength[num])
  const byProducer = run.producerList.length === 1 ? null : groupBy(prodOf, count, run.producerList.length);
  const groups = run.producerList.map((pr) => new Int32Array(byProducer === null ? count : byProducer.offsets[pr.num + 1]! - byProducer.offsets[pr.num]!));
  const groupLength = new Int32Array(run.producerList.length);
  const touched: number[] = [];
  const scratch = new Scratch();
  let unexpected = 0;
  const unexpectedExamples: string[] = [];
  let reordered = 0;
  let reorderedPairs = 0;
  const notListed = new Tally();
  const outOfRange = new Tally();
  const sameOffset = new Tally();
  const unsentInLog = new Tally();
  const recordIdx = resolve.of(rc);
  const { kind: recordKind, o: recordO } = rc;
  for (let pi = 0; pi < order.partitions.length; pi++) {
    const partition = order.partitions[pi]!;
    const table = tables.get(partition);
    const logStart = table === undefined ? 0 : table.info.logStartOffset;
    const hw = table === undefined ? 0 : table.info.highWatermark;
    const at = table?.at;
    const to = order.bounds[pi + 1]!;
    for (let q = order.bounds[pi]!; q < to; q++) {
      const k = order.order === null ? q : order.order[q]!;
      const other = recordKind[k] === ROW ? undefined : rc.others.get(k)!;
      const o = other === undefined ? recordO[k]! : other.o;
      const idx = other === undefined ? recordIdx(k) : other.id === null ? -1 : resolve.string(other.id);
      if (table === undefined || at === undefined) notListed.add(`p${partition}@${o}`);
      else if (!(o >= logStart && o < hw)) {
        outOfRange.add(`p${partition}@${o} not in [${logStart}, ${hw})`);
      } else {
        const slot = o - logStart;
        if (at[slot] !== NO_RECORD) sameOffset.add(`p${partition}@${o}`);
        else table.records++;
        at[slot] = idx < 0 ? FOREIGN_RECORD : idx;
      }
      if (idx < 0) {
        unexpected++;
        if (unexpectedExamples.length < MAX_EXAMPLES) unexpectedExamples.push(`p${partition}@${o}`);
        continue;
      }
      n.increment(idx);
      if ((flags[idx]! & ATTEMPTED) === 0) unsentInLog.addLazy(() => `${other === undefined ? idAt(rc, k) : other.id} at p${partition}@${o}`);
      if (addressed[idx] !== partition) wrongPartition.addLazy(() => `${other === undefined ? idAt(rc, k) : other.id} addressed to p${addressed[idx]}, found at p${partition}@${o}`);
      const mk = marks[idx]!;
      if ((mk & SEEN) === 0) {
        // its first occurrence in this partition
        marks[idx] = mk | SEEN;
        const num = prodOf[idx]!;
        const len = groupLength[num]!;
        if (len === 0) touched.push(num);
        groups[num]![len] = idx;
        groupLength[num] = len + 1;
      }
    }
    for (const num of touched) {
      const g = groups[num]!.subarray(0, groupLength[num]!);
      const counts = reorders(g, seqOf, marks, scratch);
      reordered += counts.reordered;
      reorderedPairs += counts.pairs;
      for (let i = 0; i < g.length; i++) marks[g[i]!]! &= ~SEEN;
      groupLength[num] = 0;
    }
    touched.length = 0;
  }
  notListed.report(violations, IDENTITY.recordPartitionListed, 'record(s) in partitions missing from finalRead.partitions');
  outOfRange.report(violations, IDENTITY.recordInRange, 'record(s) outside the offsets the final read reported');
  sameOffset.report(violations, IDENTITY.uniqueOffset, 'record(s) share a (partition, offset) with an earlier record');
  wrongPartition.report(violations, IDENTITY.addressedPartition, 'message(s) acked in or found in a partition other than the one they were addressed to');
  unsentInLog.report(violations, IDENTITY.unsentNotInLog, 'record(s) of messages the producer never handed to the client');
  if (finalRead.isolation === 'read_uncommitted') {
    // without transactions or compaction every offset in [log start, high watermark) holds a record
    const gaps = new Tally();
    for (const t of tables.values()) {
      if (t.records !== t.at.length) gaps.add(`p${t.info.partition}: ${t.records} of ${t.at.length} offsets in [${t.info.logStartOffset}, ${t.info.highWatermark})`);
    }
    gaps.report(violations, IDENTITY.readComplete, 'partition(s) with offsets the final read did not return');
  }
  return { resolve, tables, records: rc.length, n, marks, reordered, reorderedPairs, unexpected, unexpectedExamples, byProducer };
}

/** What the consumers processed. */
class Consumed {
  readonly times: Counts;
  readonly unknown = new Tally();
  /** processed records whose offset holds another record */
  readonly elsewhere: Array<{ idx: number; where: () => string }> = [];
  constructor(count: number) {
    this.times = new Counts(count);
  }
  report(log: Log, violations: IdentityViolation[]): void {
    this.unknown.report(violations, IDENTITY.processedIsKnown, 'processed event(s) for ids no producer handed to the client');
    // a truncated log may give the offset to another record, but then the processed message
    // is gone (lost after consume); a message still in the log was read where it is not
    const mismatch = new Tally();
    for (const { idx, where } of this.elsewhere) if (log.n.get(idx) >= 1) mismatch.addLazy(where);
    mismatch.report(violations, IDENTITY.processedOffsetHolds, 'processed record(s) whose offset holds another record while the message is elsewhere in the log');
  }
}

// ---- consumers: processed events --------------------------------------------------
function consume(run: Run, c: ConsumerColumns, log: Log, consumed: Consumed): void {
  const flags = run.flags;
  const { tables, resolve } = log;
  const times = consumed.times;
  const idxOf = resolve.of(c);
  const { kind, cid: cids, p: ps, o: os } = c;
  let table: PartitionTable | undefined;
  let tableP = -1;
  for (let k = 0; k < c.length; k++) {
    let idx: number;
    let p: number;
    let o: number;
    const ev = kind[k] === ROW ? undefined : c.others.get(k)!;
    if (ev === undefined) {
      idx = idxOf(k);
      p = ps[k]!;
      o = os[k]!;
    } else {
      if (ev.e !== 'processed' || ev.id === null) continue;
      idx = resolve.string(ev.id);
      p = ev.p;
      o = ev.o;
    }
    if (idx < 0 || (flags[idx]! & ATTEMPTED) === 0) {
      consumed.unknown.addLazy(() => (ev === undefined ? `${idAt(c, k)} (${c.cids[cids[k]!]} p${p}@${o})` : `${ev.id} (${ev.cid} p${p}@${o})`));
      continue;
    }
    times.increment(idx);
    if (p !== tableP || ev !== undefined) {
      table = tables.get(p);
      tableP = ev === undefined ? p : -1;
    }
    if (table && o >= table.info.logStartOffset && o < table.info.highWatermark) {
      const holds = table.at[o - table.info.logStartOffset]!;
      if (holds !== NO_RECORD && holds !== idx) {
        consumed.elsewhere.push({ idx, where: () => (ev === undefined ? `${idAt(c, k)} processed at p${p}@${o} (${c.cids[cids[k]!]})` : `${ev.id} processed at p${p}@${o} (${ev.cid})`) });
      }
    }
  }
}

// ---- per-id outcomes, in a deterministic order (producer id, then seq) -------------
function outcomes(
  run: Run,
  log: Log,
  consumed: Consumed,
  hasConsumers: boolean,
  retries: RetrySummary,
  m: Metrics,
  ex: Record<ExampleMetricName, string[]>,
  withoutOffset: { acked: number; lost: number },
): void {
  const { count, seqOf, prodOf, flags, ackOffset, ackPartition, ackTime } = run;
  const { n, tables, marks, byProducer } = log;
  const times = consumed.times;
  const note = (name: ExampleMetricName, pr: Producer, idx: number): void => {
    const list = ex[name];
    if (list.length < MAX_EXAMPLES) list.push(messageId(pr.pid, seqOf[idx]!));
  };
  /**
   * A lost message M was acked at an offset that holds R, an earlier send of the same
   * producer that R did not get acked at after M: the broker did not append M there (it
   * answered a retry or a deduplicated batch with R's offset), so the client acknowledged
   * a write it never made. After a truncation the offset is reused by a later send, which
   * this does not count.
   */
  const ackedAtForeignOffset = (mIdx: number, rIdx: number): boolean => {
    if (rIdx < 0 || prodOf[rIdx] !== prodOf[mIdx] || seqOf[rIdx]! >= seqOf[mIdx]!) return false;
    const rAckedThereLater = (flags[rIdx]! & ACKED) !== 0 && ackPartition[rIdx] === ackPartition[mIdx] && ackOffset[rIdx] === ackOffset[mIdx] && ackTime[rIdx]! > ackTime[mIdx]!;
    return !rAckedThereLater;
  };
  const c = { notProcessed: 0, processedTwice: 0, endToEndLost: 0, lostAfterConsume: 0, processed: 0 };
  const ordered = [...run.producerList].sort((a, b) => (a.pid < b.pid ? -1 : a.pid > b.pid ? 1 : 0));
  for (const pr of ordered) {
    // its message indexes in the order they were given (first seen): in seq order when ascending
    let idxs: ArrayLike<number> | null = null;
    let len = count;
    if (byProducer !== null) {
      idxs = byProducer.members.subarray(byProducer.offsets[pr.num]!, byProducer.offsets[pr.num + 1]!);
      len = idxs.length;
    }
    if (!pr.ascending) {
      idxs = Array.from(idxs ?? { length: count }, (v: number | undefined, i) => v ?? i).sort((a, b) => seqOf[a]! - seqOf[b]!);
    }
    for (let q = 0; q < len; q++) {
      const idx = idxs === null ? q : idxs[q]!;
      const f = flags[idx]!;
      const copies = n.get(idx);
      if ((f & ATTEMPTED) === 0) {
        m.unsent++;
        note('unsent', pr, idx);
        continue;
      }
      const isAcked = (f & ACKED) !== 0;
      const isDefinite = (f & DEFINITE) !== 0;
      m.attempted++;
      if (isAcked) m.acked++;
      else if (isDefinite) m.failed++;
      else m.unknown++;
      if (copies >= 1) m.present++;
      if ((f & RETRIED) !== 0) {
        m.retried++;
        if ((marks[idx]! & OVERTAKEN) !== 0) retries.overtakenRetried++;
      }
      if (isAcked && Number.isNaN(ackOffset[idx]!)) {
        withoutOffset.acked++;
        if (copies === 0) withoutOffset.lost++;
      }
      if (isAcked && copies === 0) {
        const offset = ackOffset[idx]!;
        const table = tables.get(ackPartition[idx]!);
        if (table && !Number.isNaN(offset) && offset < table.info.logStartOffset) {
          m.belowLogStart++;
          note('belowLogStart', pr, idx);
        } else {
          m.lost++;
          note('lost', pr, idx);
          if (table && offset < table.info.highWatermark && ackedAtForeignOffset(idx, table.at[offset - table.info.logStartOffset]!)) {
            m.ackedAtForeignOffset++;
            note('ackedAtForeignOffset', pr, idx);
          }
        }
      }
      if (!isAcked && copies >= 1) {
        if (isDefinite) {
          m.failedButLanded++;
          note('failedButLanded', pr, idx);
        } else {
          m.landedUnacked++;
          note('landedUnacked', pr, idx);
        }
      }
      if (copies > 1) {
        m.logDuplicates += copies - 1;
        note('logDuplicates', pr, idx);
      }
      if ((marks[idx]! & REORDERED) !== 0) note('reordered', pr, idx);
      if (!hasConsumers) continue;
      const processed = times.get(idx);
      if (processed >= 1) c.processed++;
      if (processed >= 1 && copies === 0) {
        c.lostAfterConsume++;
        note('lostAfterConsume', pr, idx);
      }
      if (copies >= 1 && processed === 0) {
        c.notProcessed++;
        note('notProcessed', pr, idx);
      }
      if (processed > 1) {
        c.processedTwice += processed - 1;
        note('processedTwice', pr, idx);
      }
      if (isAcked && processed === 0) {
        c.endToEndLost++;
        note('endToEndLost', pr, idx);
      }
    }
  }
  if (hasConsumers) Object.assign(m, c);
}

/** Seqs written in canonical decimal form by `messageId` that `idResolver` parses directly. */
function isPlainSeq(seq: number): boolean {
  return Number.isSafeInteger(seq) && seq >= 0 && seq < 1e15;
}

/** Message ids to message indexes (-1 when no producer generated the id). */
interface Resolver {
  /** the message index of an id string */
  string(id: string): number;
  /** the message index of the id at row k of `c` */
  of(c: IdColumns): (k: number) => number;
}

/**
 * Maps an id to its message index. An id `${pid}:${seq}` with a plain seq is parsed and
 * looked up per producer, which avoids building a million-entry string map; any other id
 * (a seq that `messageId` does not print as plain digits) goes through a small map of its
 * string. Id rows of the columns are (prefix, seq) already: the prefix is looked up once.
 */
function idResolver(producers: ReadonlyMap<string, Producer>, producerList: readonly Producer[], seqOf: Float64Array | Int32Array, prodOf: Int32Array, count: number): Resolver {
  const irregular = new Map<string, number>();
  for (let idx = 0; idx < count; idx++) {
    const seq = seqOf[idx]!;
    if (!isPlainSeq(seq)) irregular.set(messageId(producerList[prodOf[idx]!]!.pid, seq), idx);
  }
  let last: Producer | undefined;
  const string = (id: string): number => {
    const colon = id.lastIndexOf(':');
    const digits = id.length - colon - 1;
    // plain digits only: 1 to 15 of them, no leading zero (so String(seq) is exactly them)
    if (colon < 0 || digits < 1 || digits > 15 || (digits > 1 && id.charCodeAt(colon + 1) === 48)) {
      return irregular.get(id) ?? -1;
    }
    let seq = 0;
    for (let i = colon + 1; i < id.length; i++) {
      const d = id.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return irregular.get(id) ?? -1;
      seq = seq * 10 + d;
    }
    const pid = id.slice(0, colon);
    const pr = last !== undefined && last.pid === pid ? last : producers.get(pid);
    if (pr === undefined) return -1;
    last = pr;
    return pr.index.get(seq);
  };
  const of = (c: IdColumns): ((k: number) => number) => {
    const byPrefix = c.prefixes.map((prefix) => producers.get(prefix));
    const { idp, iseq } = c;
    return (k) => {
      const p = idp[k]!;
      if (p >= 0) {
        const pr = byPrefix[p];
        return pr === undefined ? -1 : pr.index.get(iseq[k]!);
      }
      return p === NULL_ID ? -1 : string(c.strings[-2 - p]!);
    };
  };
  return { string, of };
}

/** The records of a final read in log order: by partition (ascending), then offset (ascending; stable for equal offsets). */
interface LogOrder {
  /** the partitions, ascending */
  partitions: number[];
  /** the records of partitions[i] are order[bounds[i]] .. order[bounds[i + 1] - 1] */
  bounds: number[];
  /** record indexes; null: the records are in log order already */
  order: Int32Array | null;
}

function logOrder(rc: RecordColumns): LogOrder {
  const n = rc.length;
  if (rc.others.size > 0) return logOrderOf(rc);
  const { p, o } = rc;
  // the harness writes the final read in log order: check that first
  let sorted = true;
  for (let k = 1; k < n; k++) {
    const a = p[k - 1]!;
    const b = p[k]!;
    if (a > b || (a === b && o[k - 1]! > o[k]!)) {
      sorted = false;
      break;
    }
  }
  const partitions: number[] = [];
  const bounds: number[] = [];
  if (sorted) {
    for (let k = 0; k < n; k++) {
      if (k === 0 || p[k] !== p[k - 1]) {
        partitions.push(p[k]!);
        bounds.push(k);
      }
    }
    bounds.push(n);
    return { partitions, bounds, order: null };
  }
  // a stable counting sort by partition, then each partition by offset
  const counts = new Int32Array(0x10001);
  for (let k = 0; k < n; k++) counts[p[k]! + 1]!++;
  for (let v = 0; v < 0x10000; v++) {
    if (counts[v + 1]! > 0) {
      partitions.push(v);
      bounds.push(counts[v]!);
    }
    counts[v + 1]! += counts[v]!;
  }
  bounds.push(n);
  const order = new Int32Array(n);
  for (let k = 0; k < n; k++) order[counts[p[k]!]!++] = k;
  for (let i = 0; i < partitions.length; i++) {
    const part = order.subarray(bounds[i]!, bounds[i + 1]!);
    for (let q = 1; q < part.length; q++) {
      if (o[part[q - 1]!]! > o[part[q]!]!) {
        part.sort((a, b) => o[a]! - o[b]! || a - b);
        break;
      }
    }
  }
  return { partitions, bounds, order };
}

/** logOrder of records some of which are kept whole (values that may be anything a JSON line holds). */
function logOrderOf(rc: RecordColumns): LogOrder {
  const pOf = (k: number): number => (rc.kind[k] === ROW ? rc.p[k]! : rc.others.get(k)!.p);
  const oOf = (k: number): number => (rc.kind[k] === ROW ? rc.o[k]! : rc.others.get(k)!.o);
  const buckets = new Map<number, number[]>();
  for (let k = 0; k < rc.length; k++) {
    const p = pOf(k);
    let b = buckets.get(p);
    if (b === undefined) buckets.set(p, (b = []));
    b.push(k);
  }
  const partitions = [...buckets.keys()].sort((a, b) => a - b);
  const order = new Int32Array(rc.length);
  const bounds: number[] = [0];
  let at = 0;
  for (const p of partitions) {
    const ks = buckets.get(p)!;
    sortByOffset(ks, oOf);
    for (const k of ks) order[at++] = k;
    bounds.push(at);
  }
  return { partitions, bounds, order };
}

/** Sorts record indexes by offset, keeping input order for equal offsets; no-op when sorted. */
function sortByOffset(ks: number[], oOf: (k: number) => number): void {
  for (let i = 1; i < ks.length; i++) {
    if (oOf(ks[i - 1]!) > oOf(ks[i]!)) {
      ks.sort((a, b) => oOf(a) - oOf(b) || a - b);
      return;
    }
  }
}

/** The indexes 0..count-1 grouped by `groupOf` (in [0, groups)), each group in index order. */
function groupBy(groupOf: Int32Array, count: number, groups: number): { members: Int32Array; offsets: Int32Array } {
  const offsets = new Int32Array(groups + 1);
  for (let i = 0; i < count; i++) offsets[groupOf[i]! + 1]!++;
  for (let g = 0; g < groups; g++) offsets[g + 1]! += offsets[g]!;
  const fill = offsets.slice(0, groups);
  const members = new Int32Array(count);
  for (let i = 0; i < count; i++) members[fill[groupOf[i]!]!++] = i;
  return { members, offsets };
}

/**
 * Working memory of the reorder counts, kept from one group to the next: a large run
 * has few groups of up to millions of messages, and fresh memory costs a page fault per
 * page.
 */
class Scratch {
  private f = [new Float64Array(0), new Float64Array(0)];
  private i = [new Int32Array(0), new Int32Array(0)];
  private u = new Uint8Array(0);
  float(k: 0 | 1, n: number): Float64Array {
    if (this.f[k]!.length < n) this.f[k] = new Float64Array(n);
    return this.f[k]!.subarray(0, n);
  }
  int(k: 0 | 1, n: number): Int32Array {
    if (this.i[k]!.length < n) this.i[k] = new Int32Array(n);
    return this.i[k]!.subarray(0, n);
  }
  byte(n: number): Uint8Array {
    if (this.u.length < n) this.u = new Uint8Array(n);
    return this.u.subarray(0, n);
  }
}

/**
 * What reordering a group shows: message indexes of one producer in one partition, in
 * log order (first occurrences): the messages out of send order (flagged REORDERED), the
 * overtaken ones (flagged OVERTAKEN) and the pairs in inverted order.
 */
function reorders(group: Int32Array, seqOf: Float64Array | Int32Array, marks: Uint8Array, scratch: Scratch): { reordered: number; pairs: number } {
  const len = group.length;
  // the seqs, gathered once (the common case, all in send order, ends here)
  const seqs = scratch.float(0, len);
  let ordered = true;
  for (let i = 0; i < len; i++) {
    const s = seqOf[group[i]!]!;
    seqs[i] = s;
    if (i > 0 && s < seqs[i - 1]!) ordered = false;
  }
  if (ordered) return { reordered: 0, pairs: 0 };
  const reordered = outOfSendOrder(seqs, group, marks, REORDERED, scratch);
  markOvertaken(seqs, group, marks, OVERTAKEN);
  return { reordered, pairs: inversions(seqs, scratch) };
}

/**
 * The messages of `group` (message indexes in log order, distinct seqs) that are out of
 * send order: the group minus a longest subsequence in ascending seq order, found by
 * patience sorting in O(n log n). Sets `bit` in `flag` for each out-of-order message.
 */
export function outOfOrder(group: ArrayLike<number>, seqOf: ArrayLike<number>, flag: Uint8Array, bit = 1): number {
  const seqs = Float64Array.from({ length: group.length }, (_, i) => seqOf[group[i]!]!);
  for (let i = 1; i < seqs.length; i++) if (seqs[i]! < seqs[i - 1]!) return outOfSendOrder(seqs, group, flag, bit, new Scratch());
  return 0;
}

/** outOfOrder with the group's seqs gathered (`seqs[i]` is the seq of `group[i]`). */
function outOfSendOrder(seqs: Float64Array, group: ArrayLike<number>, flag: Uint8Array, bit: number, scratch: Scratch): number {
  const len = seqs.length;
  // tails[k]: position in group of the smallest tail of an ascending run of length k + 1
  const tails = scratch.int(0, len);
  const prev = scratch.int(1, len).fill(-1);
  let runs = 0;
  for (let i = 0; i < len; i++) {
    const s = seqs[i]!;
    let lo = 0;
    let hi = runs;
    // in send order (nearly always): past the longest run's tail, what the search would find
    if (runs > 0 && seqs[tails[runs - 1]!]! < s) lo = hi;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (seqs[tails[mid]!]! < s) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) prev[i] = tails[lo - 1]!;
    tails[lo] = i;
    if (lo === runs) runs++;
  }
  const inRun = scratch.byte(len).fill(0);
  for (let i = tails[runs - 1]!; i >= 0; i = prev[i]!) inRun[i] = 1;
  for (let i = 0; i < len; i++) if (inRun[i] === 0) flag[group[i]!]! |= bit;
  return len - runs;
}

/** Flags each message of `group` (log order) that comes after a later send of its producer: it was overtaken. */
function markOvertaken(seqs: Float64Array, group: ArrayLike<number>, flag: Uint8Array, bit: number): void {
  let max = -Infinity;
  for (let i = 0; i < seqs.length; i++) {
    const s = seqs[i]!;
    if (s < max) flag[group[i]!]! |= bit;
    else max = s;
  }
}

/**
 * The number of pairs (i < j) with seqs[i] > seqs[j]. A group is nearly in send order, so
 * an insertion sort counts them in O(n + pairs); past a budget of shifts it leaves the
 * count to a merge sort, O(n log n).
 */
function inversions(seqs: Float64Array, scratch: Scratch): number {
  const len = seqs.length;
  const a = scratch.float(1, len);
  a.set(seqs);
  const budget = 16 * len;
  let count = 0;
  for (let i = 1; i < len; i++) {
    const v = a[i]!;
    let j = i - 1;
    while (j >= 0 && a[j]! > v) {
      a[j + 1] = a[j]!;
      j--;
    }
    a[j + 1] = v;
    count += i - 1 - j;
    if (count > budget) return mergeInversions(seqs);
  }
  return count;
}

/** `inversions` by merge sort in O(n log n). */
function mergeInversions(seqs: Float64Array): number {
  const len = seqs.length;
  let src = Float64Array.from(seqs);
  let dst = new Float64Array(len);
  let count = 0;
  for (let width = 1; width < len; width *= 2) {
    for (let lo = 0; lo < len; lo += 2 * width) {
      const mid = Math.min(lo + width, len);
      const hi = Math.min(lo + 2 * width, len);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        if (src[i]! <= src[j]!) dst[k++] = src[i++]!;
        else {
          dst[k++] = src[j++]!;
          count += mid - i;
        }
      }
      while (i < mid) dst[k++] = src[i++]!;
      while (j < hi) dst[k++] = src[j++]!;
    }
    const t = src;
    src = dst;
    dst = t;
  }
  return count;
}
