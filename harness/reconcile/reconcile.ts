// The checker: ledgers + final read of the log -> outcome counts per message id.
//
// Everything here is derived from the recorded history; nothing is estimated. The
// accounting identities of DESIGN.md are checked on every call and a broken one is
// returned as an IdentityViolation (an error of the harness, not a finding about Kafka).
//
// Performance: a run can hold millions of messages, so per-id state lives in typed
// arrays indexed by a dense "message index" assigned to each attempted id. Producer
// events are resolved through a per-producer Map<seq, index> (number keys, no string
// building); ids carried as strings (final read, consumer ledgers) are parsed back into
// (producer, seq) and looked up the same way (see idResolver).

import { messageId } from '../ledger/events.ts';
import type { LogRecord, PartitionRead } from '../ledger/events.ts';
import { zeroMetrics, type History, type IdentityViolation, type MetricName, type Metrics, type Reconciliation } from './types.ts';

/** Examples kept per non-zero metric. */
export const MAX_EXAMPLES = 20;
/** Examples quoted in the detail of a violation. */
const MAX_VIOLATION_EXAMPLES = 5;

/** The names of the identities the reconciler checks (the `identity` of a violation). */
export const IDENTITY = {
  ackedWasAttempted: 'every acked id was attempted',
  erroredWasAttempted: 'every errored id was attempted',
  processedIsKnown: 'every processed id is known',
  attemptedPartition: 'attempted = acked + failed + unknown',
  ackedPresentOrLost: 'acked = acked and present + lost',
  partitionListedOnce: 'every partition of the final read is listed once',
  recordPartitionListed: 'every record is in a partition listed by the final read',
  recordInRange: 'every record lies in [logStartOffset, highWatermark) of its partition',
  uniqueOffset: 'one record per (partition, offset)',
} as const;

export type IdentityName = (typeof IDENTITY)[keyof typeof IDENTITY];

/** Metrics that get example ids in `Reconciliation.examples`. */
const EXAMPLE_METRICS = [
  'lost',
  'lostAfterConsume',
  'landedUnacked',
  'logDuplicates',
  'notProcessed',
  'processedTwice',
  'endToEndLost',
  'unexpected',
  'reordered',
] as const satisfies readonly MetricName[];

interface Producer {
  pid: string;
  /** producer number, index into per-producer scratch arrays */
  num: number;
  /** seq -> message index */
  bySeq: Map<number, number>;
  /** message indexes in first-attempt order */
  idxs: number[];
  /** whether seqs were first attempted in ascending order (then idxs is sorted by seq) */
  ascending: boolean;
  maxSeq: number;
}

/** Counts occurrences of something wrong and keeps the first few examples. */
class Tally {
  count = 0;
  readonly examples: string[] = [];
  add(example: string): void {
    this.count++;
    if (this.examples.length < MAX_VIOLATION_EXAMPLES) this.examples.push(example);
  }
  eg(): string {
    return this.examples.length === 0 ? '' : `, e.g. ${this.examples.join(', ')}`;
  }
}

export function reconcile(history: History): Reconciliation {
  const violations: IdentityViolation[] = [];

  // ---- producers, pass 1: attempts assign message indexes --------------------------
  let capacity = 0;
  for (const ledger of history.producers) {
    for (const ev of ledger) if (ev.e === 'attempt') capacity++;
  }
  const seqOf = new Float64Array(capacity);
  const producers = new Map<string, Producer>();
  const producerList: Producer[] = [];
  let count = 0;
  let last: Producer | undefined;
  for (const ledger of history.producers) {
    for (const ev of ledger) {
      if (ev.e !== 'attempt') continue;
      let pr = last !== undefined && last.pid === ev.pid ? last : producers.get(ev.pid);
      if (pr === undefined) {
        pr = { pid: ev.pid, num: producerList.length, bySeq: new Map(), idxs: [], ascending: true, maxSeq: -Infinity };
        producers.set(ev.pid, pr);
        producerList.push(pr);
      }
      last = pr;
      if (pr.bySeq.has(ev.seq)) continue; // a retried attempt is the same id
      const idx = count++;
      pr.bySeq.set(ev.seq, idx);
      pr.idxs.push(idx);
      seqOf[idx] = ev.seq;
      if (ev.seq < pr.maxSeq) pr.ascending = false;
      else pr.maxSeq = ev.seq;
    }
  }
  const prodOf = new Int32Array(count);
  for (const pr of producerList) for (const idx of pr.idxs) prodOf[idx] = pr.num;

  // ---- producers, pass 2: acks and errors -------------------------------------------
  const acked = new Uint8Array(count);
  const definite = new Uint8Array(count);
  const ackPartition = new Float64Array(count);
  const ackOffset = new Float64Array(count).fill(NaN); // NaN: no ack with an offset
  const ackUnattempted = new Tally();
  const ackUnattemptedIds = new Set<string>();
  const errorUnattempted = new Tally();
  const errorUnattemptedIds = new Set<string>();
  for (const ledger of history.producers) {
    for (const ev of ledger) {
      if (ev.e !== 'ack' && ev.e !== 'error') continue;
      const pr = last !== undefined && last.pid === ev.pid ? last : producers.get(ev.pid);
      const idx = pr?.bySeq.get(ev.seq);
      if (idx === undefined) {
        const id = messageId(ev.pid, ev.seq);
        if (ev.e === 'ack') {
          ackUnattempted.add(id);
          ackUnattemptedIds.add(id);
        } else {
          errorUnattempted.add(`${id} (${ev.code})`);
          errorUnattemptedIds.add(id);
        }
        continue;
      }
      last = pr;
      if (ev.e === 'ack') {
        acked[idx] = 1;
        if (ev.o !== null) {
          ackPartition[idx] = ev.p;
          ackOffset[idx] = ev.o;
        }
      } else if (ev.definite) {
        definite[idx] = 1;
      }
    }
  }
  if (ackUnattempted.count > 0) {
    violations.push({
      identity: IDENTITY.ackedWasAttempted,
      detail: `${ackUnattempted.count} ack event(s) for ${ackUnattemptedIds.size} id(s) no producer ledger attempted${ackUnattempted.eg()}`,
    });
  }
  if (errorUnattempted.count > 0) {
    violations.push({
      identity: IDENTITY.erroredWasAttempted,
      detail: `${errorUnattempted.count} error event(s) for ${errorUnattemptedIds.size} id(s) no producer ledger attempted${errorUnattempted.eg()}`,
    });
  }

  // ---- id strings -> message index ---------------------------------------------------
  const resolve = idResolver(producers, producerList, seqOf);

  // ---- consumers: processed events --------------------------------------------------
  const processedCount = new Int32Array(count);
  const processedUnknown = new Tally();
  const processedUnknownIds = new Set<string>();
  for (const ledger of history.consumers) {
    for (const ev of ledger) {
      if (ev.e !== 'processed' || ev.id === null) continue;
      const idx = resolve(ev.id);
      if (idx === undefined) {
        processedUnknown.add(`${ev.id} (${ev.cid} p${ev.p}@${ev.o})`);
        processedUnknownIds.add(ev.id);
        continue;
      }
      processedCount[idx]!++;
    }
  }
  if (processedUnknown.count > 0) {
    violations.push({
      identity: IDENTITY.processedIsKnown,
      detail: `${processedUnknown.count} processed event(s) for ${processedUnknownIds.size} id(s) no producer ledger attempted${processedUnknown.eg()}`,
    });
  }

  // ---- final read ------------------------------------------------------------------
  const records = history.finalRead.records;
  const partitionInfo = new Map<number, PartitionRead>();
  const listedTwice = new Tally();
  for (const pr of history.finalRead.partitions) {
    if (partitionInfo.has(pr.partition)) listedTwice.add(`p${pr.partition}`);
    else partitionInfo.set(pr.partition, pr);
  }
  if (listedTwice.count > 0) {
    violations.push({
      identity: IDENTITY.partitionListedOnce,
      detail: `${listedTwice.count} extra listing(s) of a partition in finalRead.partitions (the first is used)${listedTwice.eg()}`,
    });
  }

  // Record indexes per partition, in log order (offset ascending; stable for equal offsets).
  const buckets = new Map<number, number[]>();
  for (let k = 0; k < records.length; k++) {
    const p = records[k]!.p;
    let b = buckets.get(p);
    if (b === undefined) buckets.set(p, (b = []));
    b.push(k);
  }
  const partitions = [...buckets.keys()].sort((a, b) => a - b);

  const n = new Int32Array(count);
  const ackMatched = new Uint8Array(count);
  const stamp = new Int32Array(count); // first occurrence of an id within the current partition
  const reorderedFlag = new Uint8Array(count);
  const groups: number[][] = producerList.map(() => []); // per producer, first occurrences in log order
  const touched: number[] = [];
  let unexpected = 0;
  const unexpectedExamples: string[] = [];
  let reordered = 0;
  const notListed = new Tally();
  const outOfRange = new Tally();
  const sameOffset = new Tally();

  for (let pi = 0; pi < partitions.length; pi++) {
    const partition = partitions[pi]!;
    const ks = buckets.get(partition)!;
    sortByOffset(ks, records);
    const stampNo = pi + 1;
    const info = partitionInfo.get(partition);
    let prevOffset = NaN;
    for (const k of ks) {
      const r = records[k]!;
      const o = r.o;
      if (info === undefined) notListed.add(`p${partition}@${o}`);
      else if (!(o >= info.logStartOffset && o < info.highWatermark)) {
        outOfRange.add(`p${partition}@${o} not in [${info.logStartOffset}, ${info.highWatermark})`);
      }
      if (o === prevOffset) sameOffset.add(`p${partition}@${o}`);
      prevOffset = o;

      const idx = r.id === null ? undefined : resolve(r.id);
      if (idx === undefined) {
        unexpected++;
        if (unexpectedExamples.length < MAX_EXAMPLES) unexpectedExamples.push(`p${partition}@${o}`);
        continue;
      }
      n[idx]!++;
      if (ackOffset[idx] === o && ackPartition[idx] === partition) ackMatched[idx] = 1;
      if (stamp[idx] !== stampNo) {
        stamp[idx] = stampNo;
        const g = groups[prodOf[idx]!]!;
        if (g.length === 0) touched.push(prodOf[idx]!);
        g.push(idx);
      }
    }
    for (const num of touched) {
      const g = groups[num]!;
      reordered += inversions(g, seqOf, reorderedFlag);
      g.length = 0;
    }
    touched.length = 0;
  }
  if (notListed.count > 0) {
    violations.push({
      identity: IDENTITY.recordPartitionListed,
      detail: `${notListed.count} record(s) in partitions missing from finalRead.partitions${notListed.eg()}`,
    });
  }
  if (outOfRange.count > 0) {
    violations.push({
      identity: IDENTITY.recordInRange,
      detail: `${outOfRange.count} record(s) outside the offsets the final read reported${outOfRange.eg()}`,
    });
  }
  if (sameOffset.count > 0) {
    violations.push({
      identity: IDENTITY.uniqueOffset,
      detail: `${sameOffset.count} record(s) share a (partition, offset) with an earlier record${sameOffset.eg()}`,
    });
  }

  // ---- per-id outcomes, in a deterministic order (producer id, then seq) -------------
  const m: Metrics = { ...zeroMetrics(), reordered, unexpected, logRecords: records.length };
  const ex: Record<(typeof EXAMPLE_METRICS)[number], string[]> = {
    lost: [],
    lostAfterConsume: [],
    landedUnacked: [],
    logDuplicates: [],
    notProcessed: [],
    processedTwice: [],
    endToEndLost: [],
    unexpected: unexpectedExamples,
    reordered: [],
  };
  let ackedPresent = 0;
  let ackOffsetMismatches = 0;
  const ordered = [...producerList].sort((a, b) => (a.pid < b.pid ? -1 : a.pid > b.pid ? 1 : 0));
  for (const pr of ordered) {
    const idxs = pr.ascending ? pr.idxs : [...pr.idxs].sort((a, b) => seqOf[a]! - seqOf[b]!);
    for (const idx of idxs) {
      const isAcked = acked[idx] === 1;
      const copies = n[idx]!;
      const times = processedCount[idx]!;
      m.attempted++;
      if (isAcked) m.acked++;
      else if (definite[idx] === 1) m.failed++;
      else m.unknown++;
      if (copies >= 1) {
        m.present++;
        if (isAcked) ackedPresent++;
      }
      if (times >= 1) m.processed++;
      if (isAcked && !Number.isNaN(ackOffset[idx]!) && ackMatched[idx] === 0) ackOffsetMismatches++;

      const lost = isAcked && copies === 0;
      const lostAfterConsume = times >= 1 && copies === 0;
      const landedUnacked = !isAcked && copies >= 1;
      const notProcessed = copies >= 1 && times === 0;
      const endToEndLost = isAcked && times === 0;
      const isReordered = reorderedFlag[idx] === 1;
      if (!(lost || lostAfterConsume || landedUnacked || copies > 1 || notProcessed || times > 1 || endToEndLost || isReordered)) {
        continue;
      }
      let id: string | undefined;
      const note = (list: string[]): void => {
        if (list.length < MAX_EXAMPLES) list.push((id ??= messageId(pr.pid, seqOf[idx]!)));
      };
      if (lost) {
        m.lost++;
        note(ex.lost);
      }
      if (lostAfterConsume) {
        m.lostAfterConsume++;
        note(ex.lostAfterConsume);
      }
      if (landedUnacked) {
        m.landedUnacked++;
        note(ex.landedUnacked);
      }
      if (copies > 1) {
        m.logDuplicates += copies - 1;
        note(ex.logDuplicates);
      }
      if (notProcessed) {
        m.notProcessed++;
        note(ex.notProcessed);
      }
      if (times > 1) {
        m.processedTwice += times - 1;
        note(ex.processedTwice);
      }
      if (endToEndLost) {
        m.endToEndLost++;
        note(ex.endToEndLost);
      }
      if (isReordered) note(ex.reordered);
    }
  }

  // ---- sanity identities ---------------------------------------------------------------
  violations.push(...accountingViolations(m, ackedPresent));

  const examples: Reconciliation['examples'] = {};
  for (const name of EXAMPLE_METRICS) {
    if (m[name] > 0 && ex[name].length > 0) examples[name] = ex[name];
  }
  return { metrics: m, examples, violations, ackOffsetMismatches };
}

/** Seqs written in canonical decimal form by `messageId` that `idResolver` parses directly. */
function isPlainSeq(seq: number): boolean {
  return Number.isSafeInteger(seq) && seq >= 0 && seq < 1e15;
}

/**
 * Maps an id string to its message index (undefined when no producer attempted it).
 * An id `${pid}:${seq}` with a plain seq is parsed and looked up per producer, which
 * avoids building a million-entry string map; any other attempted id (a seq that
 * `messageId` does not print as plain digits) goes through a small map of its string.
 */
function idResolver(
  producers: ReadonlyMap<string, Producer>,
  producerList: readonly Producer[],
  seqOf: Float64Array,
): (id: string) => number | undefined {
  const irregular = new Map<string, number>();
  for (const pr of producerList) {
    for (const idx of pr.idxs) {
      const seq = seqOf[idx]!;
      if (!isPlainSeq(seq)) irregular.set(messageId(pr.pid, seq), idx);
    }
  }
  let last: Producer | undefined;
  return (id) => {
    const colon = id.lastIndexOf(':');
    const digits = id.length - colon - 1;
    // plain digits only: 1 to 15 of them, no leading zero (so String(seq) is exactly them)
    if (colon < 0 || digits < 1 || digits > 15 || (digits > 1 && id.charCodeAt(colon + 1) === 48)) {
      return irregular.get(id);
    }
    let seq = 0;
    for (let i = colon + 1; i < id.length; i++) {
      const d = id.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return irregular.get(id);
      seq = seq * 10 + d;
    }
    const pid = id.slice(0, colon);
    const pr = last !== undefined && last.pid === pid ? last : producers.get(pid);
    if (pr === undefined) return undefined;
    last = pr;
    return pr.bySeq.get(seq);
  };
}

/**
 * The producer-side accounting identities over computed metrics: attempted =
 * acked + failed + unknown, and acked = (acked and present) + lost. They hold by
 * construction in `reconcile`; a failure means the checker itself is broken.
 */
export function accountingViolations(m: Metrics, ackedPresent: number): IdentityViolation[] {
  const out: IdentityViolation[] = [];
  if (m.attempted !== m.acked + m.failed + m.unknown) {
    out.push({
      identity: IDENTITY.attemptedPartition,
      detail: `attempted ${m.attempted} != acked ${m.acked} + failed ${m.failed} + unknown ${m.unknown} (= ${m.acked + m.failed + m.unknown})`,
    });
  }
  if (m.acked !== ackedPresent + m.lost) {
    out.push({
      identity: IDENTITY.ackedPresentOrLost,
      detail: `acked ${m.acked} != acked and present ${ackedPresent} + lost ${m.lost} (= ${ackedPresent + m.lost})`,
    });
  }
  return out;
}

/** Sorts record indexes by offset, keeping input order for equal offsets; no-op when sorted. */
function sortByOffset(ks: number[], records: readonly LogRecord[]): void {
  for (let i = 1; i < ks.length; i++) {
    if (records[ks[i - 1]!]!.o > records[ks[i]!]!.o) {
      ks.sort((a, b) => records[a]!.o - records[b]!.o || a - b);
      return;
    }
  }
}

/**
 * The number of pairs (i < j) in `group` (message indexes in log order) with
 * seq_i > seq_j, by merge sort in O(n log n). Marks in `flag` every message that
 * comes after a larger seq.
 */
function inversions(group: readonly number[], seqOf: Float64Array, flag: Uint8Array): number {
  const len = group.length;
  let sorted = true;
  let max = -Infinity;
  for (const idx of group) {
    const s = seqOf[idx]!;
    if (s < max) {
      flag[idx] = 1;
      sorted = false;
    } else max = s;
  }
  if (sorted) return 0;

  let src = new Float64Array(len);
  for (let i = 0; i < len; i++) src[i] = seqOf[group[i]!]!;
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
