// The checker: ledgers + final read of the log -> outcome counts per message id.
//
// Everything here is derived from the recorded history; nothing is estimated. The checks
// below can each fail on a real history (a unit test makes every one fire); a failed
// check is returned as an IdentityViolation, which makes the profile an ERROR.
//
// Performance: a run can hold millions of messages, so per-id state lives in typed
// arrays indexed by a dense "message index" assigned to each generated id. Producer
// events are resolved through a per-producer Map<seq, index> (number keys, no string
// building); ids carried as strings (final read, consumer ledgers) are parsed back into
// (producer, seq) and looked up the same way (see idResolver).

import { messageId } from '../ledger/events.ts';
import type { LogRecord, PartitionRead } from '../ledger/events.ts';
import { availability } from './availability.ts';
import { EXAMPLE_METRICS, zeroMetrics, type ExampleMetricName, type Metrics } from './metrics.ts';
import type { History, IdentityViolation, ProducerSummary, Reconciliation, RetrySummary } from './types.ts';

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
  bySeq: Map<number, number>;
  /** message indexes in first-seen order */
  idxs: number[];
  /** whether seqs were first seen in ascending order (then idxs is sorted by seq) */
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
  report(violations: IdentityViolation[], identity: IdentityName, what: string): void {
    if (this.count === 0) return;
    violations.push({ identity, detail: `${this.count} ${what}${this.examples.length === 0 ? '' : `, e.g. ${this.examples.join(', ')}`}` });
  }
}

export function reconcile(history: History): Reconciliation {
  const violations: IdentityViolation[] = [];
  const hasConsumers = history.consumers.length > 0;

  // ---- producers, pass 1: attempts and unsent messages get message indexes -----------
  let capacity = 0;
  for (const ledger of history.producers) {
    for (const ev of ledger) {
      if (ev.e === 'attempt') capacity++;
      else if (ev.e === 'unsent') capacity += ev.seqs.length;
    }
  }
  const seqOf = new Float64Array(capacity);
  const prodOf = new Int32Array(capacity);
  const addressed = new Int32Array(capacity);
  const attempted = new Uint8Array(capacity);
  const unsent = new Uint8Array(capacity);
  const producers = new Map<string, Producer>();
  const producerList: Producer[] = [];
  let count = 0;
  let last: Producer | undefined;
  const producerOf = (pid: string): Producer => {
    let pr = last !== undefined && last.pid === pid ? last : producers.get(pid);
    if (pr === undefined) {
      const summary: ProducerSummary = { pid, attempted: 0, unsent: 0, firstAttemptAt: null, lastAttemptAt: null, behindSince: null, maxQueued: 0 };
      pr = { pid, num: producerList.length, bySeq: new Map(), idxs: [], ascending: true, maxSeq: -Infinity, summary };
      producers.set(pid, pr);
      producerList.push(pr);
    }
    last = pr;
    return pr;
  };
  const indexOf = (pr: Producer, seq: number, p: number): number => {
    let idx = pr.bySeq.get(seq);
    if (idx === undefined) {
      idx = count++;
      pr.bySeq.set(seq, idx);
      pr.idxs.push(idx);
      seqOf[idx] = seq;
      prodOf[idx] = pr.num;
      addressed[idx] = p;
      if (seq < pr.maxSeq) pr.ascending = false;
      else pr.maxSeq = seq;
    }
    return idx;
  };
  const unsentAttempted = new Tally();
  for (const ledger of history.producers) {
    for (const ev of ledger) {
      if (ev.e === 'attempt') {
        const pr = producerOf(ev.pid);
        const idx = indexOf(pr, ev.seq, ev.p);
        if (attempted[idx] === 0) {
          attempted[idx] = 1;
          pr.summary.attempted++;
          pr.summary.firstAttemptAt ??= ev.t;
          pr.summary.lastAttemptAt = ev.t;
        }
      } else if (ev.e === 'unsent') {
        const pr = producerOf(ev.pid);
        for (const seq of ev.seqs) {
          const idx = indexOf(pr, seq, ev.p);
          if (unsent[idx] === 0) {
            unsent[idx] = 1;
            pr.summary.unsent++;
          }
        }
      } else if (ev.e === 'backlog') {
        const pr = producerOf(ev.pid);
        if (ev.state === 'behind') pr.summary.behindSince ??= ev.t;
        pr.summary.maxQueued = Math.max(pr.summary.maxQueued, ev.queued);
      }
    }
  }

  // ---- producers, pass 2: acks, errors and retries ----------------------------------------
  const acked = new Uint8Array(count);
  const errored = new Uint8Array(count);
  const definite = new Uint8Array(count);
  const retried = new Uint8Array(count);
  const ackPartition = new Int32Array(count);
  const ackOffset = new Float64Array(count).fill(NaN); // NaN: no ack with an offset
  const ackTime = new Float64Array(count);
  const ackUnattempted = new Tally();
  const errorUnattempted = new Tally();
  const wrongPartition = new Tally();
  const retries: RetrySummary = { batches: 0, messages: 0, resends: 0, firstAt: null, lastAt: null, overtakenRetried: 0 };
  const lookup = (pid: string, seq: number): number | undefined => {
    const pr = last !== undefined && last.pid === pid ? last : producers.get(pid);
    if (pr !== undefined) last = pr;
    const idx = pr?.bySeq.get(seq);
    return idx !== undefined && attempted[idx] === 1 ? idx : undefined;
  };
  for (const ledger of history.producers) {
    for (const ev of ledger) {
      if (ev.e === 'ack') {
        const idx = lookup(ev.pid, ev.seq);
        if (idx === undefined) {
          ackUnattempted.add(messageId(ev.pid, ev.seq));
          continue;
        }
        acked[idx] = 1;
        ackTime[idx] = ev.t;
        ackPartition[idx] = ev.p;
        if (ev.o !== null) ackOffset[idx] = ev.o;
        if (ev.p !== addressed[idx]) wrongPartition.add(`${messageId(ev.pid, ev.seq)} addressed to p${addressed[idx]}, acked in p${ev.p}`);
      } else if (ev.e === 'error') {
        const idx = lookup(ev.pid, ev.seq);
        if (idx === undefined) {
          errorUnattempted.add(`${messageId(ev.pid, ev.seq)} (${ev.code})`);
          continue;
        }
        errored[idx] = 1;
        if (ev.definite) definite[idx] = 1;
      } else if (ev.e === 'retry') {
        // a batch sent three times writes retry events for attempts 2 and 3: one batch, two resends
        if (ev.n === 2) retries.batches++;
        retries.resends++;
        // ledgers are read one producer after another, so file order is not time order
        if (retries.firstAt === null || ev.t < retries.firstAt) retries.firstAt = ev.t;
        if (retries.lastAt === null || ev.t > retries.lastAt) retries.lastAt = ev.t;
        for (const seq of ev.seqs) {
          const idx = lookup(ev.pid, seq);
          if (idx !== undefined && retried[idx] === 0) {
            retried[idx] = 1;
            retries.messages++;
          }
        }
      }
    }
  }
  ackUnattempted.report(violations, IDENTITY.ackedWasAttempted, 'ack event(s) for ids no producer ledger attempted');
  errorUnattempted.report(violations, IDENTITY.erroredWasAttempted, 'error event(s) for ids no producer ledger attempted');
  const ackAndError = new Tally();
  for (let idx = 0; idx < count; idx++) {
    if (acked[idx] === 1 && errored[idx] === 1) ackAndError.add(messageId(producerList[prodOf[idx]!]!.pid, seqOf[idx]!));
    if (unsent[idx] === 1 && attempted[idx] === 1) unsentAttempted.add(messageId(producerList[prodOf[idx]!]!.pid, seqOf[idx]!));
  }
  ackAndError.report(violations, IDENTITY.ackOrError, 'message(s) both acked and failed: the client reported two outcomes for one send');
  unsentAttempted.report(violations, IDENTITY.unsentNotAttempted, 'message(s) recorded as unsent that were also handed to the client');

  // ---- id strings -> message index ---------------------------------------------------
  const resolve = idResolver(producers, producerList, seqOf);

  // ---- final read ------------------------------------------------------------------
  const records = history.finalRead.records;
  const tables = new Map<number, PartitionTable>();
  const listedTwice = new Tally();
  for (const pr of history.finalRead.partitions) {
    if (tables.has(pr.partition)) listedTwice.add(`p${pr.partition}`);
    else tables.set(pr.partition, { info: pr, at: new Int32Array(Math.max(0, pr.highWatermark - pr.logStartOffset)).fill(NO_RECORD), records: 0 });
  }
  listedTwice.report(violations, IDENTITY.partitionListedOnce, 'extra listing(s) of a partition in finalRead.partitions (the first is used)');

  // record indexes per partition, in log order (offset ascending; stable for equal offsets)
  const buckets = new Map<number, number[]>();
  for (let k = 0; k < records.length; k++) {
    const p = records[k]!.p;
    let b = buckets.get(p);
    if (b === undefined) buckets.set(p, (b = []));
    b.push(k);
  }
  const partitions = [...buckets.keys()].sort((a, b) => a - b);

  const n = new Int32Array(count);
  const stamp = new Int32Array(count); // first occurrence of an id within the current partition
  const reorderedFlag = new Uint8Array(count);
  const overtaken = new Uint8Array(count);
  const groups: number[][] = producerList.map(() => []); // per producer, first occurrences in log order
  const touched: number[] = [];
  let unexpected = 0;
  const unexpectedExamples: string[] = [];
  let reordered = 0;
  let reorderedPairs = 0;
  const notListed = new Tally();
  const outOfRange = new Tally();
  const sameOffset = new Tally();
  const unsentInLog = new Tally();

  for (let pi = 0; pi < partitions.length; pi++) {
    const partition = partitions[pi]!;
    const ks = buckets.get(partition)!;
    sortByOffset(ks, records);
    const stampNo = pi + 1;
    const table = tables.get(partition);
    for (const k of ks) {
      const r = records[k]!;
      const o = r.o;
      const idx = r.id === null ? undefined : resolve(r.id);
      if (table === undefined) notListed.add(`p${partition}@${o}`);
      else if (!(o >= table.info.logStartOffset && o < table.info.highWatermark)) {
        outOfRange.add(`p${partition}@${o} not in [${table.info.logStartOffset}, ${table.info.highWatermark})`);
      } else {
        const slot = o - table.info.logStartOffset;
        if (table.at[slot] !== NO_RECORD) sameOffset.add(`p${partition}@${o}`);
        else table.records++;
        table.at[slot] = idx ?? FOREIGN_RECORD;
      }
      if (idx === undefined) {
        unexpected++;
        if (unexpectedExamples.length < MAX_EXAMPLES) unexpectedExamples.push(`p${partition}@${o}`);
        continue;
      }
      n[idx]!++;
      if (attempted[idx] === 0) unsentInLog.add(`${r.id} at p${partition}@${o}`);
      if (addressed[idx] !== partition) wrongPartition.add(`${r.id} addressed to p${addressed[idx]}, found at p${partition}@${o}`);
      if (stamp[idx] !== stampNo) {
        stamp[idx] = stampNo;
        const g = groups[prodOf[idx]!]!;
        if (g.length === 0) touched.push(prodOf[idx]!);
        g.push(idx);
      }
    }
    for (const num of touched) {
      const g = groups[num]!;
      reordered += outOfOrder(g, seqOf, reorderedFlag);
      markOvertaken(g, seqOf, overtaken);
      reorderedPairs += inversions(g, seqOf);
      g.length = 0;
    }
    touched.length = 0;
  }
  notListed.report(violations, IDENTITY.recordPartitionListed, 'record(s) in partitions missing from finalRead.partitions');
  outOfRange.report(violations, IDENTITY.recordInRange, 'record(s) outside the offsets the final read reported');
  sameOffset.report(violations, IDENTITY.uniqueOffset, 'record(s) share a (partition, offset) with an earlier record');
  wrongPartition.report(violations, IDENTITY.addressedPartition, 'message(s) acked in or found in a partition other than the one they were addressed to');
  unsentInLog.report(violations, IDENTITY.unsentNotInLog, 'record(s) of messages the producer never handed to the client');
  if (history.finalRead.isolation === 'read_uncommitted') {
    // without transactions or compaction every offset in [log start, high watermark) holds a record
    const gaps = new Tally();
    for (const t of tables.values()) {
      if (t.records !== t.at.length) gaps.add(`p${t.info.partition}: ${t.records} of ${t.at.length} offsets in [${t.info.logStartOffset}, ${t.info.highWatermark})`);
    }
    gaps.report(violations, IDENTITY.readComplete, 'partition(s) with offsets the final read did not return');
  }

  // ---- consumers: processed events --------------------------------------------------
  const processedCount = new Int32Array(count);
  const processedUnknown = new Tally();
  const processedElsewhere: Array<{ idx: number; where: string }> = [];
  for (const ledger of history.consumers) {
    for (const ev of ledger) {
      if (ev.e !== 'processed' || ev.id === null) continue;
      const idx = resolve(ev.id);
      if (idx === undefined || attempted[idx] === 0) {
        processedUnknown.add(`${ev.id} (${ev.cid} p${ev.p}@${ev.o})`);
        continue;
      }
      processedCount[idx]!++;
      const table = tables.get(ev.p);
      if (table && ev.o >= table.info.logStartOffset && ev.o < table.info.highWatermark) {
        const holds = table.at[ev.o - table.info.logStartOffset]!;
        if (holds !== NO_RECORD && holds !== idx) processedElsewhere.push({ idx, where: `${ev.id} processed at p${ev.p}@${ev.o} (${ev.cid})` });
      }
    }
  }
  processedUnknown.report(violations, IDENTITY.processedIsKnown, 'processed event(s) for ids no producer handed to the client');
  // a truncated log may give the offset to another record, but then the processed message
  // is gone (lost after consume); a message still in the log was read where it is not
  const processedMismatch = new Tally();
  for (const { idx, where } of processedElsewhere) if (n[idx]! >= 1) processedMismatch.add(where);
  processedMismatch.report(violations, IDENTITY.processedOffsetHolds, 'processed record(s) whose offset holds another record while the message is elsewhere in the log');

  // ---- per-id outcomes, in a deterministic order (producer id, then seq) -------------
  const m: Metrics = { ...zeroMetrics({ consumers: hasConsumers, availability: history.workload !== undefined }), reordered, reorderedPairs, unexpected, logRecords: records.length };
  const ex: Record<ExampleMetricName, string[]> = Object.fromEntries(EXAMPLE_METRICS.map((name) => [name, []])) as unknown as Record<ExampleMetricName, string[]>;
  ex.unexpected = unexpectedExamples;
  const c = { notProcessed: 0, processedTwice: 0, endToEndLost: 0, lostAfterConsume: 0, processed: 0 };
  const ordered = [...producerList].sort((a, b) => (a.pid < b.pid ? -1 : a.pid > b.pid ? 1 : 0));
  for (const pr of ordered) {
    const idxs = pr.ascending ? pr.idxs : [...pr.idxs].sort((a, b) => seqOf[a]! - seqOf[b]!);
    for (const idx of idxs) {
      let id: string | undefined;
      const note = (name: ExampleMetricName): void => {
        const list = ex[name];
        if (list.length < MAX_EXAMPLES) list.push((id ??= messageId(pr.pid, seqOf[idx]!)));
      };
      const copies = n[idx]!;
      if (attempted[idx] === 0) {
        m.unsent++;
        note('unsent');
        continue;
      }
      const isAcked = acked[idx] === 1;
      const times = processedCount[idx]!;
      m.attempted++;
      if (isAcked) m.acked++;
      else if (definite[idx] === 1) m.failed++;
      else m.unknown++;
      if (copies >= 1) m.present++;
      if (retried[idx] === 1) {
        m.retried++;
        if (overtaken[idx] === 1) retries.overtakenRetried++;
      }
      if (isAcked && copies === 0) {
        const offset = ackOffset[idx]!;
        const table = tables.get(ackPartition[idx]!);
        if (table && !Number.isNaN(offset) && offset < table.info.logStartOffset) {
          m.belowLogStart++;
          note('belowLogStart');
        } else {
          m.lost++;
          note('lost');
          if (table && offset < table.info.highWatermark && ackedAtForeignOffset(idx, table.at[offset - table.info.logStartOffset]!)) {
            m.ackedAtForeignOffset++;
            note('ackedAtForeignOffset');
          }
        }
      }
      if (!isAcked && copies >= 1) {
        if (definite[idx] === 1) {
          m.failedButLanded++;
          note('failedButLanded');
        } else {
          m.landedUnacked++;
          note('landedUnacked');
        }
      }
      if (copies > 1) {
        m.logDuplicates += copies - 1;
        note('logDuplicates');
      }
      if (reorderedFlag[idx] === 1) note('reordered');
      if (!hasConsumers) continue;
      if (times >= 1) c.processed++;
      if (times >= 1 && copies === 0) {
        c.lostAfterConsume++;
        note('lostAfterConsume');
      }
      if (copies >= 1 && times === 0) {
        c.notProcessed++;
        note('notProcessed');
      }
      if (times > 1) {
        c.processedTwice += times - 1;
        note('processedTwice');
      }
      if (isAcked && times === 0) {
        c.endToEndLost++;
        note('endToEndLost');
      }
    }
  }
  if (hasConsumers) Object.assign(m, c);

  /**
   * A lost message M was acked at an offset that holds R, an earlier send of the same
   * producer that R did not get acked at after M: the broker did not append M there (it
   * answered a retry or a deduplicated batch with R's offset), so the client acknowledged
   * a write it never made. After a truncation the offset is reused by a later send, which
   * this does not count.
   */
  function ackedAtForeignOffset(mIdx: number, rIdx: number): boolean {
    if (rIdx < 0 || prodOf[rIdx] !== prodOf[mIdx] || seqOf[rIdx]! >= seqOf[mIdx]!) return false;
    const rAckedThereLater = acked[rIdx] === 1 && ackPartition[rIdx] === ackPartition[mIdx] && ackOffset[rIdx] === ackOffset[mIdx] && ackTime[rIdx]! > ackTime[mIdx]!;
    return !rAckedThereLater;
  }

  const examples: Reconciliation['examples'] = {};
  for (const name of EXAMPLE_METRICS) {
    const v = m[name];
    if (v !== null && v > 0 && ex[name].length > 0) examples[name] = ex[name];
  }
  const result: Reconciliation = { metrics: m, examples, violations, producers: producerList.map((p) => p.summary), retries };
  if (history.workload) {
    const w = history.workload;
    const a = availability({ producers: history.producers, workloadStart: w.start, workloadEnd: w.end, partitions: w.partitions, faults: w.faults });
    m.refused = a.refusedWrites;
    m.unavailableMs = a.unavailableTotalMs;
    result.availability = a;
  }
  return result;
}

/** Seqs written in canonical decimal form by `messageId` that `idResolver` parses directly. */
function isPlainSeq(seq: number): boolean {
  return Number.isSafeInteger(seq) && seq >= 0 && seq < 1e15;
}

/**
 * Maps an id string to its message index (undefined when no producer generated it).
 * An id `${pid}:${seq}` with a plain seq is parsed and looked up per producer, which
 * avoids building a million-entry string map; any other id (a seq that `messageId` does
 * not print as plain digits) goes through a small map of its string.
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

/** Sorts record indexes by offset, keeping input order for equal offsets; no-op when sorted. */
function sortByOffset(ks: number[], records: readonly LogRecord[]): void {
  for (let i = 1; i < ks.length; i++) {
    if (records[ks[i - 1]!]!.o > records[ks[i]!]!.o) {
      ks.sort((a, b) => records[a]!.o - records[b]!.o || a - b);
      return;
    }
  }
}

/** Whether the group's seqs ascend (the common case, checked before any real work). */
function inSendOrder(group: readonly number[], seqOf: Float64Array): boolean {
  for (let i = 1; i < group.length; i++) if (seqOf[group[i]!]! < seqOf[group[i - 1]!]!) return false;
  return true;
}

/**
 * The messages of `group` (message indexes in log order, distinct seqs) that are out of
 * send order: the group minus a longest subsequence in ascending seq order, found by
 * patience sorting in O(n log n). Flags each out-of-order message in `flag`.
 */
export function outOfOrder(group: readonly number[], seqOf: Float64Array, flag: Uint8Array): number {
  const len = group.length;
  if (inSendOrder(group, seqOf)) return 0;
  // tails[k]: position in group of the smallest tail of an ascending run of length k + 1
  const tails = new Int32Array(len);
  const prev = new Int32Array(len).fill(-1);
  let runs = 0;
  for (let i = 0; i < len; i++) {
    const s = seqOf[group[i]!]!;
    let lo = 0;
    let hi = runs;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (seqOf[group[tails[mid]!]!]! < s) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) prev[i] = tails[lo - 1]!;
    tails[lo] = i;
    if (lo === runs) runs++;
  }
  const inRun = new Uint8Array(len);
  for (let i = tails[runs - 1]!; i >= 0; i = prev[i]!) inRun[i] = 1;
  for (let i = 0; i < len; i++) if (inRun[i] === 0) flag[group[i]!] = 1;
  return len - runs;
}

/** Flags each message of `group` (log order) that comes after a later send of its producer: it was overtaken. */
function markOvertaken(group: readonly number[], seqOf: Float64Array, flag: Uint8Array): void {
  let max = -Infinity;
  for (const idx of group) {
    const s = seqOf[idx]!;
    if (s < max) flag[idx] = 1;
    else max = s;
  }
}

/** The number of pairs (i < j) in `group` with seq_i > seq_j, by merge sort in O(n log n). */
function inversions(group: readonly number[], seqOf: Float64Array): number {
  const len = group.length;
  if (inSendOrder(group, seqOf)) return 0;
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
