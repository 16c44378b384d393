import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { messageId } from '../../harness/ledger/events.ts';
import type { ConsumerEvent, LogRecord, PartitionRead, ProducerEvent } from '../../harness/ledger/events.ts';
import { METRICS } from '../../harness/reconcile/metrics.ts';
import { IDENTITY, MAX_EXAMPLES, reconcile } from '../../harness/reconcile/reconcile.ts';
import type { History, MetricName, Metrics, ProducerSummary, RetrySummary } from '../../harness/reconcile/types.ts';

// ---- helpers -----------------------------------------------------------------------

const ZERO: Metrics = {
  attempted: 0,
  acked: 0,
  failed: 0,
  unknown: 0,
  unsent: 0,
  lost: 0,
  belowLogStart: 0,
  ackedAtForeignOffset: 0,
  lostAfterConsume: 0,
  landedUnacked: 0,
  failedButLanded: 0,
  logDuplicates: 0,
  notProcessed: 0,
  processedTwice: 0,
  endToEndLost: 0,
  reordered: 0,
  unexpected: 0,
  present: 0,
  processed: 0,
  logRecords: 0,
  reorderedPairs: 0,
  retried: 0,
  commitsBackwards: 0,
  // filled after this checker, from the mode and the transformers: n/a here
  unnoticedFailures: null,
  outputDuplicates: null,
  outputMissing: null,
  abortedRead: null,
  offsetsPastUnprocessed: null,
  // availability needs the workload's timing, which these synthetic histories do not have
  refused: null,
  unavailableMs: null,
};

/** The consumer metrics of a profile without consumers: n/a. */
const NA = { lostAfterConsume: null, notProcessed: null, processedTwice: null, endToEndLost: null, processed: null, commitsBackwards: null } as const;

/** All metrics zero except the ones given (a history with consumer ledgers). */
function metrics(nonZero: Partial<Metrics>): Metrics {
  return { ...ZERO, ...nonZero };
}

/** All metrics zero except the ones given, consumer metrics n/a (a history without consumer ledgers). */
function metricsNoConsumers(nonZero: Partial<Metrics>): Metrics {
  return { ...ZERO, ...NA, ...nonZero };
}

const NO_RETRIES: RetrySummary = { batches: 0, messages: 0, resends: 0, firstAt: null, lastAt: null, overtakenRetried: 0 };

/** The metrics that get example ids. */
const EXAMPLE_METRICS: MetricName[] = [
  'unsent',
  'lost',
  'belowLogStart',
  'ackedAtForeignOffset',
  'lostAfterConsume',
  'landedUnacked',
  'failedButLanded',
  'logDuplicates',
  'notProcessed',
  'processedTwice',
  'endToEndLost',
  'reordered',
  'unexpected',
  // filled by the transaction checker (transactions.ts), empty lists here
  'outputDuplicates',
  'outputMissing',
  'abortedRead',
  'offsetsPastUnprocessed',
];

/** Builds a synthetic history: producer/consumer ledgers and a final read. */
class HistoryBuilder {
  private readonly producerLedgers = new Map<string, ProducerEvent[]>();
  private readonly consumerLedgers = new Map<string, ConsumerEvent[]>();
  private readonly records: LogRecord[] = [];
  /** next offset per partition */
  private readonly next = new Map<number, number>();
  private readonly logStart = new Map<number, number>();
  private partitionsOverride: PartitionRead[] | undefined;
  private isolationLevel: 'read_uncommitted' | 'read_committed' = 'read_uncommitted';
  private t = 1_700_000_000_000;

  private producer(pid: string): ProducerEvent[] {
    let l = this.producerLedgers.get(pid);
    if (l === undefined) this.producerLedgers.set(pid, (l = [{ e: 'start', agent: pid, os: 1, t: this.t++ }]));
    return l;
  }

  private consumer(cid: string): ConsumerEvent[] {
    let l = this.consumerLedgers.get(cid);
    if (l === undefined) this.consumerLedgers.set(cid, (l = [{ e: 'start', agent: cid, os: 1, t: this.t++ }]));
    return l;
  }

  /** The wall clock the next event gets (every event advances it by 1 ms). */
  now(): number {
    return this.t;
  }

  /** Sets the wall clock for the next event. */
  clock(t: number): this {
    this.t = t;
    return this;
  }

  attempt(pid: string, seq: number, p = 0): this {
    this.producer(pid).push({ e: 'attempt', pid, seq, p, t: this.t++ });
    return this;
  }

  ack(pid: string, seq: number, p = 0, o: number | null = null): this {
    this.producer(pid).push({ e: 'ack', pid, seq, p, o, t: this.t++ });
    return this;
  }

  error(pid: string, seq: number, definite: boolean, p = 0, attempts = 1): this {
    const code = definite ? 'NOT_ENOUGH_REPLICAS' : 'REQUEST_TIMED_OUT';
    this.producer(pid).push({ e: 'error', pid, seq, p, code, retriable: !definite, definite, attempts, t: this.t++ });
    return this;
  }

  /** The client sent the batch holding `seqs` again: attempt `n` (from 2). */
  retry(pid: string, p: number, seqs: number[], n: number): this {
    this.producer(pid).push({ e: 'retry', pid, p, seqs, n, t: this.t++ });
    return this;
  }

  /** These messages were still waiting in the agent when the producer stopped. */
  unsent(pid: string, p: number, seqs: number[]): this {
    this.producer(pid).push({ e: 'unsent', pid, p, seqs, t: this.t++ });
    return this;
  }

  backlog(pid: string, state: 'behind' | 'caught-up', queued: number): this {
    this.producer(pid).push({ e: 'backlog', pid, state, queued, t: this.t++ });
    return this;
  }

  /** Sets where partition `p` starts (before anything is appended to it). */
  startAt(p: number, logStartOffset: number): this {
    this.logStart.set(p, logStartOffset);
    this.next.set(p, logStartOffset);
    return this;
  }

  /** Appends a record to the log; returns its offset. */
  append(p: number, id: string | null, raw?: string): number {
    const o = this.next.get(p) ?? this.logStart.get(p) ?? 0;
    this.recordAt(p, o, id, raw);
    return o;
  }

  /** Puts a record at an explicit offset. */
  recordAt(p: number, o: number, id: string | null, raw?: string): this {
    this.records.push(raw === undefined ? { p, o, id } : { p, o, id, raw });
    this.next.set(p, Math.max(this.next.get(p) ?? 0, o + 1));
    return this;
  }

  /** A consumer ledger with only its start event (a consumer that got nothing). */
  consumerStarted(cid: string): this {
    this.consumer(cid);
    return this;
  }

  processed(cid: string, id: string | null, p = 0, o = 0): this {
    const l = this.consumer(cid);
    l.push({ e: 'received', cid, id, p, o, t: this.t++ });
    l.push({ e: 'processed', cid, id, p, o, t: this.t++ });
    return this;
  }

  /** Attempt, land once in the log, ack with the offset. Returns the offset. */
  send(pid: string, seq: number, p = 0): number {
    this.attempt(pid, seq, p);
    const o = this.append(p, messageId(pid, seq));
    this.ack(pid, seq, p, o);
    return o;
  }

  /** Replaces the partitions the final read reports (default: derived from the records). */
  partitions(parts: PartitionRead[]): this {
    this.partitionsOverride = parts;
    return this;
  }

  isolation(level: 'read_uncommitted' | 'read_committed'): this {
    this.isolationLevel = level;
    return this;
  }

  build(): History {
    const partitions =
      this.partitionsOverride ??
      [...this.next.keys()]
        .sort((a, b) => a - b)
        .map((partition) => ({
          partition,
          logStartOffset: this.logStart.get(partition) ?? 0,
          highWatermark: this.next.get(partition)!,
          records: this.records.filter((r) => r.p === partition).length,
        }));
    return {
      runId: 'run-1',
      producers: [...this.producerLedgers.values()],
      consumers: [...this.consumerLedgers.values()],
      finalRead: { isolation: this.isolationLevel, partitions, records: this.records },
    };
  }
}

const id = messageId;

/** The wall clock of the first event of `kind` for `pid` in a built history (for summaries). */
function timesOf(history: History, pid: string, kind: 'attempt' | 'backlog'): number[] {
  return history.producers.flat().flatMap((ev) => (ev.e === kind && 'pid' in ev && ev.pid === pid ? [ev.t] : []));
}

describe('reconcile: the test keeps its own list of example metrics', () => {
  it('matches the catalogue', () => {
    expect([...EXAMPLE_METRICS].sort()).toEqual(METRICS.filter((m) => m.examples).map((m) => m.name).sort());
    expect(Object.keys(ZERO).sort()).toEqual(METRICS.map((m) => m.name).sort());
  });
});

// ---- planted effects ----------------------------------------------------------------

describe('reconcile: planted effects', () => {
  it('a clean run has only attempted/acked/present/processed/logRecords', () => {
    const h = new HistoryBuilder();
    for (const pid of ['p0', 'p1', 'p2']) {
      for (let seq = 0; seq < 10; seq++) {
        const p = seq % 2;
        const o = h.send(pid, seq, p);
        h.processed(seq % 3 === 0 ? 'c1' : 'c0', id(pid, seq), p, o);
      }
    }
    const history = h.build();
    const r = reconcile(history);
    expect(r.metrics).toEqual(metrics({ attempted: 30, acked: 30, present: 30, processed: 30, logRecords: 30 }));
    expect(r.violations).toEqual([]);
    expect(r.examples).toEqual({});
    expect(r.retries).toEqual(NO_RETRIES);
    expect(r.producers).toEqual(
      ['p0', 'p1', 'p2'].map((pid): ProducerSummary => {
        const ts = timesOf(history, pid, 'attempt');
        return { pid, attempted: 10, unsent: 0, firstAttemptAt: ts[0]!, lastAttemptAt: ts[9]!, behindSince: null, maxQueued: 0 };
      }),
    );
  });

  it('an empty history is all zeros, consumer metrics n/a', () => {
    const r = reconcile(new HistoryBuilder().build());
    expect(r).toEqual({ metrics: metricsNoConsumers({}), examples: {}, violations: [], producers: [], retries: NO_RETRIES, acksWithoutOffset: { acked: 0, lost: 0 } });
  });

  it('a seq attempted more than once is one id', () => {
    const h = new HistoryBuilder();
    h.attempt('p0', 0).attempt('p0', 0).attempt('p0', 0);
    const o = h.append(0, id('p0', 0));
    h.ack('p0', 0, 0, o).processed('c0', id('p0', 0), 0, o);
    const r = reconcile(h.build());
    expect(r.metrics).toEqual(metrics({ attempted: 1, acked: 1, present: 1, processed: 1, logRecords: 1 }));
    expect(r.violations).toEqual([]);
    expect(r.producers.map((p) => [p.pid, p.attempted])).toEqual([['p0', 1]]);
  });

  it('finds a planted loss (acked, absent from the log)', () => {
    const h = new HistoryBuilder();
    for (let seq = 0; seq < 5; seq++) {
      h.attempt('p0', seq);
      if (seq === 2) {
        h.ack('p0', seq, 0, null); // acks=0: no offset
        continue;
      }
      const o = h.append(0, id('p0', seq));
      h.ack('p0', seq, 0, o).processed('c0', id('p0', seq), 0, o);
    }
    const r = reconcile(h.build());
    expect(r.metrics).toEqual(
      metrics({ attempted: 5, acked: 5, lost: 1, endToEndLost: 1, present: 4, processed: 4, logRecords: 4 }),
    );
    expect(r.examples).toEqual({ lost: ['p0:2'], endToEndLost: ['p0:2'] });
    expect(r.violations).toEqual([]);
    expect(r.acksWithoutOffset).toEqual({ acked: 1, lost: 1 });
  });

  it('counts acknowledgements without an offset, and how many of those messages are not in the log', () => {
    const h = new HistoryBuilder();
    // p0:0 acked without an offset and in the log; p0:1 acked without an offset and absent; p0:2 acked with its offset
    const o0 = h.append(0, id('p0', 0));
    h.attempt('p0', 0).ack('p0', 0, 0, null).processed('c0', id('p0', 0), 0, o0);
    h.attempt('p0', 1).ack('p0', 1, 0, null);
    const o2 = h.append(0, id('p0', 2));
    h.attempt('p0', 2).ack('p0', 2, 0, o2).processed('c0', id('p0', 2), 0, o2);
    const r = reconcile(h.build());
    expect(r.acksWithoutOffset).toEqual({ acked: 2, lost: 1 });
    expect(r.metrics.lost).toBe(1);
    expect(r.examples.lost).toEqual(['p0:1']);
  });

  it('finds lost after consume (processed, then gone from the log)', () => {
    const h = new HistoryBuilder();
    // p0:0 acked, processed, truncated away
    h.attempt('p0', 0).ack('p0', 0, 0, null).processed('c0', id('p0', 0), 0, 0);
    // p0:1 never acked (producer died), processed, truncated away
    h.attempt('p0', 1).processed('c0', id('p0', 1), 0, 1);
    // p0:2 clean (it now holds offset 0, where p0:0 was processed: not a violation, p0:0 is gone)
    const o = h.send('p0', 2);
    h.processed('c0', id('p0', 2), 0, o);
    const r = reconcile(h.build());
    expect(r.metrics).toEqual(
      metrics({
        attempted: 3,
        acked: 2,
        unknown: 1,
        lost: 1,
        lostAfterConsume: 2,
        present: 1,
        processed: 3,
        logRecords: 1,
      }),
    );
    expect(r.examples).toEqual({ lost: ['p0:0'], lostAfterConsume: ['p0:0', 'p0:1'] });
    expect(r.violations).toEqual([]);
  });

  it('counts unknown sends, whether they landed or not', () => {
    const h = new HistoryBuilder();
    // p0:0 timed out but landed, and was processed
    h.attempt('p0', 0).error('p0', 0, false, 0, 3);
    let o = h.append(0, id('p0', 0));
    h.processed('c0', id('p0', 0), 0, o);
    // p0:1 no outcome at all (producer killed), did not land
    h.attempt('p0', 1);
    // p0:2 NOT_LEADER_OR_FOLLOWER (indeterminate), did not land
    h.attempt('p0', 2);
    h.error('p0', 2, false);
    // p0:3 clean
    o = h.send('p0', 3);
    h.processed('c0', id('p0', 3), 0, o);
    const r = reconcile(h.build());
    expect(r.metrics).toEqual(
      metrics({ attempted: 4, acked: 1, unknown: 3, landedUnacked: 1, present: 2, processed: 2, logRecords: 2 }),
    );
    expect(r.examples).toEqual({ landedUnacked: ['p0:0'] });
    expect(r.violations).toEqual([]);
  });

  it('a definite failure in the log is failedButLanded, an unknown one landedUnacked', () => {
    const h = new HistoryBuilder();
    // p0:0 NOT_ENOUGH_REPLICAS, not in the log: failed
    h.attempt('p0', 0).error('p0', 0, true);
    // p0:1 definite failure, yet in the log: failed and failedButLanded (not landedUnacked)
    h.attempt('p0', 1).error('p0', 1, true);
    const o1 = h.append(0, id('p0', 1));
    // p0:2 indeterminate failure, in the log: unknown and landedUnacked
    h.attempt('p0', 2).error('p0', 2, false, 0, 4);
    const o2 = h.append(0, id('p0', 2));
    // p0:3 indeterminate failure, not in the log: unknown
    h.attempt('p0', 3).error('p0', 3, false);
    // p0:4 clean
    const o4 = h.send('p0', 4);
    for (const [seq, o] of [[1, o1], [2, o2], [4, o4]] as const) h.processed('c0', id('p0', seq), 0, o);
    const r = reconcile(h.build());
    expect(r.metrics).toEqual(
      metrics({ attempted: 5, acked: 1, failed: 2, unknown: 2, failedButLanded: 1, landedUnacked: 1, present: 3, processed: 3, logRecords: 3 }),
    );
    expect(r.examples).toEqual({ failedButLanded: ['p0:1'], landedUnacked: ['p0:2'] });
    expect(r.violations).toEqual([]);
  });

  it('counts log duplicates as extra copies, which are not reorders', () => {
    const h = new HistoryBuilder();
    for (let seq = 0; seq < 3; seq++) h.attempt('p0', seq);
    // log: p0:0 p0:1 p0:1 p0:2 p0:1 p0:2
    for (const seq of [0, 1, 1, 2, 1, 2]) h.append(0, id('p0', seq));
    h.ack('p0', 0, 0, 0).ack('p0', 1, 0, 1).ack('p0', 2, 0, 3);
    for (const [seq, o] of [[0, 0], [1, 1], [2, 3]] as const) h.processed('c0', id('p0', seq), 0, o);
    const r = reconcile(h.build());
    expect(r.metrics).toEqual(
      metrics({ attempted: 3, acked: 3, logDuplicates: 3, present: 3, processed: 3, logRecords: 6 }),
    );
    expect(r.examples).toEqual({ logDuplicates: ['p0:1', 'p0:2'] });
    expect(r.violations).toEqual([]);
  });

  it('counts redelivery (processed more than once)', () => {
    const h = new HistoryBuilder();
    const offsets: number[] = [];
    for (let seq = 0; seq < 4; seq++) {
      const o = h.send('p0', seq);
      offsets.push(o);
      h.processed('c0', id('p0', seq), 0, o);
    }
    h.processed('c0', id('p0', 1), 0, offsets[1]).processed('c1', id('p0', 1), 0, offsets[1]).processed('c1', id('p0', 3), 0, offsets[3]);
    const r = reconcile(h.build());
    expect(r.metrics).toEqual(
      metrics({ attempted: 4, acked: 4, processedTwice: 3, present: 4, processed: 4, logRecords: 4 }),
    );
    expect(r.examples).toEqual({ processedTwice: ['p0:1', 'p0:3'] });
    expect(r.violations).toEqual([]);
  });

  it('counts records present but never processed', () => {
    const h = new HistoryBuilder();
    const o = h.send('p0', 0);
    h.processed('c0', id('p0', 0), 0, o);
    h.send('p0', 1);
    h.send('p0', 2);
    h.attempt('p0', 3).ack('p0', 3); // lost, never processed
    const r = reconcile(h.build());
    expect(r.metrics).toEqual(
      metrics({
        attempted: 4,
        acked: 4,
        lost: 1,
        notProcessed: 2,
        endToEndLost: 3,
        present: 3,
        processed: 1,
        logRecords: 3,
      }),
    );
    expect(r.examples).toEqual({
      lost: ['p0:3'],
      notProcessed: ['p0:1', 'p0:2'],
      endToEndLost: ['p0:1', 'p0:2', 'p0:3'],
    });
    expect(r.violations).toEqual([]);
  });

  it('counts unexpected records: foreign values and unknown ids', () => {
    const h = new HistoryBuilder();
    h.send('p0', 0, 0);
    h.append(0, null, 'hello from another app');
    h.append(1, 'px:7'); // parses as ours, but no ledger attempted it
    h.processed('c0', id('p0', 0), 0, 0).processed('c0', null, 0, 1); // null ids are ignored
    const r = reconcile(h.build());
    expect(r.metrics).toEqual(
      metrics({ attempted: 1, acked: 1, unexpected: 2, present: 1, processed: 1, logRecords: 3 }),
    );
    expect(r.examples).toEqual({ unexpected: ['p0@1', 'p1@0'] });
    expect(r.violations).toEqual([]);
  });

  it('matches ids exactly as messageId prints them', () => {
    const h = new HistoryBuilder();
    const known: [string, number][] = [['a:b', 3], ['p0', -1], ['p0', 0], ['p0', 1.5], ['p0', 10], ['p0', 1e15]];
    for (const [pid, seq] of known) h.attempt(pid, seq).ack(pid, seq);
    known.forEach(([pid, seq]) => {
      const o = h.append(0, id(pid, seq));
      h.processed('c0', id(pid, seq), 0, o);
    });
    for (const foreign of ['p0:010', 'p0:00', 'p0:1', 'p0:', 'nocolon', 'a:3', 'a:b:3:', 'p0:+10', 'p0:1e15']) h.append(1, foreign);
    const r = reconcile(h.build());
    expect(r.metrics).toEqual(
      metrics({ attempted: 6, acked: 6, unexpected: 9, present: 6, processed: 6, logRecords: 15 }),
    );
    expect(r.violations).toEqual([]);
  });

  it('keeps at most 20 examples, sorted by producer id then numeric seq', () => {
    const h = new HistoryBuilder();
    for (const pid of ['p1', 'p0']) {
      for (let seq = 29; seq >= 0; seq--) h.attempt(pid, seq).ack(pid, seq);
    }
    const r = reconcile(h.build());
    expect(r.metrics).toEqual(metricsNoConsumers({ attempted: 60, acked: 60, lost: 60 }));
    const expected = Array.from({ length: MAX_EXAMPLES }, (_, seq) => `p0:${seq}`);
    expect(r.examples).toEqual({ lost: expected });
    // producers in the order the ledgers first show them
    expect(r.producers.map((p) => [p.pid, p.attempted])).toEqual([['p1', 30], ['p0', 30]]);
  });
});

// ---- lost, below the log start, acked at a foreign offset ------------------------------

describe('reconcile: where a missing acked message was acked', () => {
  it('an acked offset below the final log start is belowLogStart, not lost', () => {
    const h = new HistoryBuilder().startAt(0, 10);
    h.attempt('p0', 0).ack('p0', 0, 0, 3); // below 10: removed by retention
    h.attempt('p0', 1).ack('p0', 1, 0, null); // no offset: cannot tell, lost
    h.send('p0', 2); // offset 10
    h.send('p0', 3); // offset 11
    h.attempt('p0', 4).ack('p0', 4, 0, 12); // at the high watermark: lost
    h.attempt('p0', 5).ack('p0', 5, 0, 9); // just below the log start
    const history = h.build();
    expect(history.finalRead.partitions).toEqual([{ partition: 0, logStartOffset: 10, highWatermark: 12, records: 2 }]);
    const r = reconcile(history);
    expect(r.metrics).toEqual(metricsNoConsumers({ attempted: 6, acked: 6, lost: 2, belowLogStart: 2, present: 2, logRecords: 2 }));
    expect(r.examples).toEqual({ belowLogStart: ['p0:0', 'p0:5'], lost: ['p0:1', 'p0:4'] });
    expect(r.violations).toEqual([]);
  });

  it('the log start of the partition the ack names is what counts', () => {
    const h = new HistoryBuilder().startAt(0, 0).startAt(1, 50);
    h.send('p0', 0, 0);
    h.send('p0', 1, 1); // p1@50
    h.attempt('p0', 2, 0).ack('p0', 2, 0, 20); // p0 starts at 0: lost
    h.attempt('p0', 3, 1).ack('p0', 3, 1, 20); // p1 starts at 50: below
    const r = reconcile(h.build());
    expect(r.metrics).toEqual(metricsNoConsumers({ attempted: 4, acked: 4, lost: 1, belowLogStart: 1, present: 2, logRecords: 2 }));
    expect(r.examples).toEqual({ lost: ['p0:2'], belowLogStart: ['p0:3'] });
  });

  it('ackedAtForeignOffset: a lost message acked at an offset that holds an earlier send of its producer', () => {
    const h = new HistoryBuilder();
    // the kafkajs case: R = p0:0 landed at offset 0 but its send timed out (unacked); the
    // client then acked M = p0:1 with offset 0, and M is nowhere in the log
    h.attempt('p0', 0).attempt('p0', 1);
    h.append(0, id('p0', 0));
    h.error('p0', 0, false, 0, 3);
    h.ack('p0', 1, 0, 0);
    // R = p0:2 acked at offset 1; afterwards M = p0:3 is acked at offset 1 too, and absent
    h.attempt('p0', 2).attempt('p0', 3);
    h.append(0, id('p0', 2));
    h.ack('p0', 2, 0, 1);
    h.ack('p0', 3, 0, 1);
    const r = reconcile(h.build());
    expect(r.metrics).toEqual(
      metricsNoConsumers({ attempted: 4, acked: 3, unknown: 1, lost: 2, ackedAtForeignOffset: 2, landedUnacked: 1, present: 2, logRecords: 2 }),
    );
    expect(r.examples).toEqual({ lost: ['p0:1', 'p0:3'], ackedAtForeignOffset: ['p0:1', 'p0:3'], landedUnacked: ['p0:0'] });
    expect(r.violations).toEqual([]);
  });

  it('ackedAtForeignOffset does not count a truncation, another producer, a foreign record or no record', () => {
    const h = new HistoryBuilder();
    // truncation: M = p0:0 acked at 0 first; after a leader change the LATER send p0:1 took offset 0
    h.attempt('p0', 0).ack('p0', 0, 0, 0);
    h.attempt('p0', 1);
    h.append(0, id('p0', 1));
    h.ack('p0', 1, 0, 0);
    // M = p0:3 acked at 1 first; the EARLIER send p0:2 was acked at offset 1 after it (a retry after truncation)
    h.attempt('p0', 2).attempt('p0', 3);
    h.ack('p0', 3, 0, 1);
    h.append(0, id('p0', 2));
    h.ack('p0', 2, 0, 1);
    // offset 2 holds an earlier seq of ANOTHER producer
    h.send('p1', 0);
    h.attempt('p0', 4).ack('p0', 4, 0, 2);
    // offset 3 holds a record that is not a message of this run
    h.append(0, null, 'foreign');
    h.attempt('p0', 5).ack('p0', 5, 0, 3);
    // offset 10 is beyond the high watermark; p0:7 has no offset at all
    h.attempt('p0', 6).ack('p0', 6, 0, 10);
    h.attempt('p0', 7).ack('p0', 7, 0, null);
    // truncation again: M = p0:8 acked at 4; the LATER send p0:9 took offset 4 and was never acked
    h.attempt('p0', 8).ack('p0', 8, 0, 4);
    h.attempt('p0', 9).append(0, id('p0', 9));
    const r = reconcile(h.build());
    expect(r.metrics).toEqual(
      metricsNoConsumers({ attempted: 11, acked: 10, unknown: 1, lost: 7, landedUnacked: 1, unexpected: 1, present: 4, logRecords: 5 }),
    );
    expect(r.examples).toEqual({
      lost: ['p0:0', 'p0:3', 'p0:4', 'p0:5', 'p0:6', 'p0:7', 'p0:8'],
      landedUnacked: ['p0:9'],
      unexpected: ['p0@3'],
    });
    expect(r.violations).toEqual([]);
  });

  it('ackedAtForeignOffset: an earlier send acked at that offset in another partition does not excuse it', () => {
    const h = new HistoryBuilder();
    // p0:0 is at p0@0; p0:1 is acked at p0@0 and absent. p0:0's own ack comes later with offset 0,
    // but of partition 1 (an addressedPartition violation): only an ack at the same partition
    // and offset means the offset was reused after p0:1's ack
    h.attempt('p0', 0, 0).attempt('p0', 1, 0).attempt('p0', 2, 1);
    h.append(0, id('p0', 0));
    h.append(1, id('p0', 2));
    h.ack('p0', 1, 0, 0);
    h.ack('p0', 0, 1, 0); // wrong partition for p0:0: a violation, but not "acked at p0@0 later"
    h.ack('p0', 2, 1, 0);
    const r = reconcile(h.build());
    expect(r.metrics.ackedAtForeignOffset).toBe(1);
    expect(r.examples.ackedAtForeignOffset).toEqual(['p0:1']);
    expect(r.violations.map((v) => v.identity)).toEqual([IDENTITY.addressedPartition]);
  });
});

// ---- reordering ------------------------------------------------------------------------

describe('reconcile: reordering', () => {
  it('counts messages out of send order per (producer, partition): messages minus the longest in-order run', () => {
    const h = new HistoryBuilder();
    for (let seq = 0; seq < 6; seq++) h.attempt('p0', seq, 0);
    for (let seq = 6; seq < 9; seq++) h.attempt('p0', seq, 1);
    for (let seq = 0; seq < 6; seq++) h.attempt('p1', seq, 0);
    // partition 0: p0 seqs in log order [0,1,4,2,3,5] (4 out of order, 2 pairs), p1 in order, interleaved
    const p0order = [0, 1, 4, 2, 3, 5];
    const at = new Map<string, [number, number]>();
    for (let i = 0; i < 6; i++) {
      for (const [pid, seq] of [['p1', i], ['p0', p0order[i]!]] as const) {
        const o = h.append(0, id(pid, seq));
        h.ack(pid, seq, 0, o);
        at.set(id(pid, seq), [0, o]);
      }
    }
    // partition 1: p0 seqs [8,6,7] (8 out of order, 2 pairs)
    for (const seq of [8, 6, 7]) {
      const o = h.append(1, id('p0', seq));
      h.ack('p0', seq, 1, o);
      at.set(id('p0', seq), [1, o]);
    }
    for (const [mid, [p, o]] of at) h.processed('c0', mid, p, o);
    const history = h.build();
    const r = reconcile(history);
    expect(r.metrics).toEqual(
      metrics({ attempted: 15, acked: 15, reordered: 2, reorderedPairs: 4, present: 15, processed: 15, logRecords: 15 }),
    );
    expect(r.examples).toEqual({ reordered: ['p0:4', 'p0:8'] });
    expect(r.violations).toEqual([]);

    // the order of the records array does not matter, only their offsets
    const shuffled: History = {
      ...history,
      finalRead: { ...history.finalRead, records: [...history.finalRead.records].reverse() },
    };
    expect(reconcile(shuffled)).toEqual(r);
  });

  it('one message moved to the end is one reordered message and two inverted pairs', () => {
    const h = new HistoryBuilder();
    for (let seq = 0; seq < 5; seq++) h.attempt('p0', seq);
    for (const seq of [0, 1, 3, 4, 2]) h.ack('p0', seq, 0, h.append(0, id('p0', seq)));
    const r = reconcile(h.build());
    expect(r.metrics).toEqual(metricsNoConsumers({ attempted: 5, acked: 5, reordered: 1, reorderedPairs: 2, present: 5, logRecords: 5 }));
    expect(r.examples).toEqual({ reordered: ['p0:2'] });
  });

  it('a fully reversed send order is n - 1 reordered messages and n(n-1)/2 pairs', () => {
    const n = 6;
    const h = new HistoryBuilder();
    for (let seq = 0; seq < n; seq++) h.attempt('p0', seq);
    for (let seq = n - 1; seq >= 0; seq--) h.ack('p0', seq, 0, h.append(0, id('p0', seq)));
    const r = reconcile(h.build());
    expect(r.metrics).toEqual(
      metricsNoConsumers({ attempted: n, acked: n, reordered: n - 1, reorderedPairs: (n * (n - 1)) / 2, present: n, logRecords: n }),
    );
    // any one message is a longest in-order run: the other n - 1 are listed, each once
    const listed = r.examples.reordered!;
    expect(listed).toHaveLength(n - 1);
    const all = Array.from({ length: n }, (_, seq) => id('p0', seq));
    expect(new Set(listed).size).toBe(n - 1);
    for (const x of listed) expect(all).toContain(x);
  });

  it('uses only the first copy of an id for reordering', () => {
    const h = new HistoryBuilder();
    for (let seq = 0; seq < 4; seq++) h.attempt('p0', seq);
    // [0,1,2,1,3]: the second copy of 1 after 2 is a duplicate, not a reorder
    const offsets = [0, 1, 2, 1, 3].map((seq) => h.append(0, id('p0', seq)));
    for (let seq = 0; seq < 4; seq++) h.ack('p0', seq).processed('c0', id('p0', seq), 0, offsets[seq === 3 ? 4 : seq]);
    const r = reconcile(h.build());
    expect(r.metrics).toEqual(
      metrics({ attempted: 4, acked: 4, logDuplicates: 1, present: 4, processed: 4, logRecords: 5 }),
    );
    expect(r.violations).toEqual([]);
  });
});

// ---- unsent, consumers n/a, producers, retries ----------------------------------------------

describe('reconcile: unsent messages', () => {
  it('counts unsent messages apart from attempted ones, and sums up each producer', () => {
    const h = new HistoryBuilder();
    for (let seq = 0; seq < 3; seq++) {
      const o = h.send('p0', seq, seq % 2);
      h.processed('c0', id('p0', seq), seq % 2, o);
    }
    h.backlog('p0', 'behind', 50).backlog('p0', 'caught-up', 2).backlog('p0', 'behind', 80).backlog('p0', 'behind', 30);
    h.unsent('p0', 0, [4, 6]).unsent('p0', 1, [3, 5, 7]);
    h.send('p1', 0);
    const history = h.build();
    const r = reconcile(history);
    // unsent messages are neither attempted, unknown, not processed nor end-to-end lost
    expect(r.metrics).toEqual(
      metrics({ attempted: 4, acked: 4, unsent: 5, present: 4, processed: 3, notProcessed: 1, endToEndLost: 1, logRecords: 4 }),
    );
    expect(r.examples).toEqual({ unsent: ['p0:3', 'p0:4', 'p0:5', 'p0:6', 'p0:7'], notProcessed: ['p1:0'], endToEndLost: ['p1:0'] });
    expect(r.violations).toEqual([]);
    const p0attempts = timesOf(history, 'p0', 'attempt');
    const p0backlog = timesOf(history, 'p0', 'backlog');
    const p1attempts = timesOf(history, 'p1', 'attempt');
    expect(r.producers).toEqual([
      { pid: 'p0', attempted: 3, unsent: 5, firstAttemptAt: p0attempts[0]!, lastAttemptAt: p0attempts[2]!, behindSince: p0backlog[0]!, maxQueued: 80 },
      { pid: 'p1', attempted: 1, unsent: 0, firstAttemptAt: p1attempts[0]!, lastAttemptAt: p1attempts[0]!, behindSince: null, maxQueued: 0 },
    ]);
  });

  it('a producer that only fell behind and never handed anything to the client', () => {
    const h = new HistoryBuilder();
    h.backlog('p0', 'caught-up', 0);
    const behindAt = h.now();
    h.backlog('p0', 'behind', 12).unsent('p0', 0, [0, 1]);
    const r = reconcile(h.build());
    expect(r.metrics).toEqual(metricsNoConsumers({ unsent: 2 }));
    expect(r.examples).toEqual({ unsent: ['p0:0', 'p0:1'] });
    expect(r.producers).toEqual([{ pid: 'p0', attempted: 0, unsent: 2, firstAttemptAt: null, lastAttemptAt: null, behindSince: behindAt, maxQueued: 12 }]);
  });
});

describe('reconcile: consumer metrics without consumers', () => {
  const producerSide = (h: HistoryBuilder): HistoryBuilder => {
    h.send('p0', 0);
    h.send('p0', 1);
    h.attempt('p0', 2).ack('p0', 2, 0, null); // lost
    return h;
  };

  it('are n/a (null) when the history has no consumer ledgers', () => {
    const r = reconcile(producerSide(new HistoryBuilder()).build());
    expect(r.metrics).toEqual(metricsNoConsumers({ attempted: 3, acked: 3, lost: 1, present: 2, logRecords: 2 }));
    for (const name of ['lostAfterConsume', 'notProcessed', 'processedTwice', 'endToEndLost', 'processed'] as const) {
      expect(r.metrics[name]).toBeNull();
    }
    expect(r.examples).toEqual({ lost: ['p0:2'] });
  });

  it('are counts when a consumer ledger exists, even one with only its start event', () => {
    const r = reconcile(producerSide(new HistoryBuilder()).consumerStarted('c0').build());
    expect(r.metrics).toEqual(metrics({ attempted: 3, acked: 3, lost: 1, present: 2, logRecords: 2, notProcessed: 2, endToEndLost: 3 }));
    expect(r.metrics.processed).toBe(0);
    expect(r.metrics.lostAfterConsume).toBe(0);
    expect(r.examples).toEqual({ lost: ['p0:2'], notProcessed: ['p0:0', 'p0:1'], endToEndLost: ['p0:0', 'p0:1', 'p0:2'] });
  });
});

describe('reconcile: retries', () => {
  it('sums up the retry events: batches, resends, messages and the out-of-order ones among them', () => {
    const h = new HistoryBuilder();
    for (let seq = 0; seq < 6; seq++) h.attempt('p0', seq);
    // batch [0, 1] sent three times (retry events for attempts 2 and 3), batch [4, 5] twice
    const firstAt = h.now();
    h.retry('p0', 0, [0, 1], 2).retry('p0', 0, [0, 1], 3).retry('p0', 0, [4, 5], 2);
    const lastAt = h.now();
    h.retry('p0', 0, [99], 2); // a seq never attempted: a batch and a resend, but no message
    // log order 0,2,3,4,1,5: 1 is the one out of order, and it was in a retried batch
    for (const seq of [0, 2, 3, 4, 1, 5]) h.ack('p0', seq, 0, h.append(0, id('p0', seq)));
    const r = reconcile(h.build());
    expect(r.metrics).toEqual(
      metricsNoConsumers({ attempted: 6, acked: 6, reordered: 1, reorderedPairs: 3, retried: 4, present: 6, logRecords: 6 }),
    );
    expect(r.examples).toEqual({ reordered: ['p0:1'] });
    expect(r.retries).toEqual({ batches: 3, resends: 4, messages: 4, firstAt, lastAt, overtakenRetried: 1 });
    expect(r.violations).toEqual([]);
  });

  it('an overtaken message that was never retried is not overtakenRetried', () => {
    const h = new HistoryBuilder();
    for (let seq = 0; seq < 4; seq++) h.attempt('p0', seq);
    h.retry('p0', 0, [2, 3], 2);
    for (const seq of [0, 2, 3, 1]) h.ack('p0', seq, 0, h.append(0, id('p0', seq)));
    const r = reconcile(h.build());
    expect(r.metrics.reordered).toBe(1);
    expect(r.examples.reordered).toEqual(['p0:1']);
    expect(r.retries).toMatchObject({ batches: 1, resends: 1, messages: 2, overtakenRetried: 0 });
    expect(r.metrics.retried).toBe(2);
  });

  it('firstAt and lastAt are the earliest and latest retry over all producers, whatever the ledger order', () => {
    const h = new HistoryBuilder();
    h.send('p0', 0);
    h.send('p1', 0);
    // p0's ledger comes first, but its retries are later than p1's
    h.clock(1_700_000_050_000).retry('p0', 0, [0], 2).retry('p0', 0, [0], 3);
    h.clock(1_700_000_020_000).retry('p1', 0, [0], 2);
    h.clock(1_700_000_030_000).retry('p1', 0, [0], 3);
    const r = reconcile(h.build());
    expect(r.retries).toEqual({ batches: 2, resends: 4, messages: 2, firstAt: 1_700_000_020_000, lastAt: 1_700_000_050_001, overtakenRetried: 0 });
  });
});

// ---- checks: every one of them fires ---------------------------------------------------------

interface ViolationCase {
  build: () => History;
  count: number;
  detail: string;
  metrics: Metrics;
}

const VIOLATION_CASES: Record<keyof typeof IDENTITY, ViolationCase> = {
  ackedWasAttempted: {
    build: () => {
      const h = new HistoryBuilder();
      h.send('p0', 0);
      h.unsent('p0', 0, [2]);
      h.ack('p9', 0, 0, null).ack('p0', 1, 0, null).ack('p0', 2, 0, null); // unknown producer, unknown seq, unsent (p9's ledger comes after p0's)
      return h.build();
    },
    count: 3,
    detail: '3 ack event(s) for ids no producer ledger attempted, e.g. p0:1, p0:2, p9:0',
    metrics: metricsNoConsumers({ attempted: 1, acked: 1, unsent: 1, present: 1, logRecords: 1 }),
  },
  erroredWasAttempted: {
    build: () => {
      const h = new HistoryBuilder();
      h.send('p0', 0);
      h.error('p9', 1, true).error('p9', 1, false);
      return h.build();
    },
    count: 2,
    detail: '2 error event(s) for ids no producer ledger attempted, e.g. p9:1 (NOT_ENOUGH_REPLICAS), p9:1 (REQUEST_TIMED_OUT)',
    metrics: metricsNoConsumers({ attempted: 1, acked: 1, present: 1, logRecords: 1 }),
  },
  processedIsKnown: {
    build: () => {
      const h = new HistoryBuilder();
      const o = h.send('p0', 0);
      h.processed('c0', id('p0', 0), 0, o);
      h.processed('c1', 'ghost:3', 0, 7).processed('c1', 'p0:1', 0, 8);
      // generated but never handed to the client: no consumer can have processed it
      h.unsent('p0', 0, [2]).processed('c1', 'p0:2', 0, 9);
      return h.build();
    },
    count: 3,
    detail: '3 processed event(s) for ids no producer handed to the client, e.g. ghost:3 (c1 p0@7), p0:1 (c1 p0@8), p0:2 (c1 p0@9)',
    metrics: metrics({ attempted: 1, acked: 1, unsent: 1, present: 1, processed: 1, logRecords: 1 }),
  },
  ackOrError: {
    build: () => {
      const h = new HistoryBuilder();
      h.attempt('p0', 0).error('p0', 0, false);
      h.ack('p0', 0, 0, h.append(0, id('p0', 0)));
      h.attempt('p0', 1);
      h.ack('p0', 1, 0, h.append(0, id('p0', 1)));
      h.error('p0', 1, true);
      h.send('p0', 2);
      return h.build();
    },
    count: 2,
    detail: '2 message(s) both acked and failed: the client reported two outcomes for one send, e.g. p0:0, p0:1',
    metrics: metricsNoConsumers({ attempted: 3, acked: 3, present: 3, logRecords: 3 }),
  },
  addressedPartition: {
    build: () => {
      const h = new HistoryBuilder();
      h.attempt('p0', 0, 0).attempt('p0', 1, 0);
      h.ack('p0', 0, 1, h.append(0, id('p0', 0))); // acked in partition 1
      h.append(1, id('p0', 1)); // found in partition 1
      h.ack('p0', 1, 0, null);
      return h.build();
    },
    count: 2,
    detail:
      '2 message(s) acked in or found in a partition other than the one they were addressed to, e.g. p0:0 addressed to p0, acked in p1, p0:1 addressed to p0, found at p1@0',
    metrics: metricsNoConsumers({ attempted: 2, acked: 2, present: 2, logRecords: 2 }),
  },
  unsentNotAttempted: {
    build: () => {
      const h = new HistoryBuilder();
      h.send('p0', 0);
      h.unsent('p0', 0, [0, 1]);
      return h.build();
    },
    count: 1,
    detail: '1 message(s) recorded as unsent that were also handed to the client, e.g. p0:0',
    metrics: metricsNoConsumers({ attempted: 1, acked: 1, unsent: 1, present: 1, logRecords: 1 }),
  },
  unsentNotInLog: {
    build: () => {
      const h = new HistoryBuilder();
      h.send('p0', 0);
      h.unsent('p0', 0, [1, 2]);
      h.append(0, id('p0', 1));
      return h.build();
    },
    count: 1,
    detail: '1 record(s) of messages the producer never handed to the client, e.g. p0:1 at p0@1',
    metrics: metricsNoConsumers({ attempted: 1, acked: 1, unsent: 2, present: 1, logRecords: 2 }),
  },
  processedOffsetHolds: {
    build: () => {
      const h = new HistoryBuilder();
      const o0 = h.send('p0', 0);
      h.send('p0', 1);
      h.processed('c0', id('p0', 0), 0, o0);
      h.processed('c0', id('p0', 1), 0, o0); // offset 0 holds p0:0, and p0:1 is at offset 1
      h.attempt('p0', 2).processed('c1', id('p0', 2), 0, 1); // p0:2 is gone: lost after consume, not a violation
      h.processed('c1', id('p0', 0), 0, 9); // beyond the high watermark: nothing to compare
      return h.build();
    },
    count: 1,
    detail: '1 processed record(s) whose offset holds another record while the message is elsewhere in the log, e.g. p0:1 processed at p0@0 (c0)',
    metrics: metrics({ attempted: 3, acked: 2, unknown: 1, lostAfterConsume: 1, processedTwice: 1, present: 2, processed: 3, logRecords: 2 }),
  },
  partitionListedOnce: {
    build: () => {
      const h = new HistoryBuilder();
      h.send('p0', 0, 0);
      const p0 = { partition: 0, logStartOffset: 0, highWatermark: 1, records: 1 };
      return h.partitions([p0, p0]).build();
    },
    count: 1,
    detail: '1 extra listing(s) of a partition in finalRead.partitions (the first is used), e.g. p0',
    metrics: metricsNoConsumers({ attempted: 1, acked: 1, present: 1, logRecords: 1 }),
  },
  recordPartitionListed: {
    build: () => {
      const h = new HistoryBuilder();
      h.send('p0', 0, 0);
      h.send('p0', 1, 3);
      return h.partitions([{ partition: 0, logStartOffset: 0, highWatermark: 1, records: 1 }]).build();
    },
    count: 1,
    detail: '1 record(s) in partitions missing from finalRead.partitions, e.g. p3@0',
    metrics: metricsNoConsumers({ attempted: 2, acked: 2, present: 2, logRecords: 2 }),
  },
  recordInRange: {
    build: () => {
      const h = new HistoryBuilder();
      for (let seq = 0; seq < 4; seq++) h.attempt('p0', seq);
      for (let seq = 0; seq < 4; seq++) h.recordAt(0, seq + 1, id('p0', seq)); // offsets 1..4
      return h.partitions([{ partition: 0, logStartOffset: 2, highWatermark: 4, records: 4 }]).build();
    },
    count: 2,
    detail: '2 record(s) outside the offsets the final read reported, e.g. p0@1 not in [2, 4), p0@4 not in [2, 4)',
    metrics: metricsNoConsumers({ attempted: 4, unknown: 4, landedUnacked: 4, present: 4, logRecords: 4 }),
  },
  uniqueOffset: {
    build: () => {
      const h = new HistoryBuilder();
      h.attempt('p0', 0).attempt('p0', 1).ack('p0', 0, 0, 0).ack('p0', 1, 0, 0);
      h.recordAt(0, 0, id('p0', 0)).recordAt(0, 0, id('p0', 1));
      return h.build();
    },
    count: 1,
    detail: '1 record(s) share a (partition, offset) with an earlier record, e.g. p0@0',
    metrics: metricsNoConsumers({ attempted: 2, acked: 2, present: 2, logRecords: 2 }),
  },
  readComplete: {
    build: () => {
      const h = new HistoryBuilder();
      h.send('p0', 0); // offset 0
      h.attempt('p0', 1).recordAt(0, 2, id('p0', 1)).ack('p0', 1, 0, 2); // offset 2: nothing at 1
      h.send('p0', 2, 1); // partition 1 is complete
      return h.build();
    },
    count: 1,
    detail: '1 partition(s) with offsets the final read did not return, e.g. p0: 2 of 3 offsets in [0, 3)',
    metrics: metricsNoConsumers({ attempted: 3, acked: 3, present: 3, logRecords: 3 }),
  },
};

describe('reconcile: every check fires', () => {
  it('has a case for every check', () => {
    expect(Object.keys(VIOLATION_CASES).sort()).toEqual(Object.keys(IDENTITY).sort());
  });

  it.each(Object.entries(VIOLATION_CASES) as Array<[keyof typeof IDENTITY, ViolationCase]>)('%s', (name, c) => {
    const r = reconcile(c.build());
    expect(r.violations).toEqual([{ identity: IDENTITY[name], detail: c.detail }]);
    expect(r.violations[0]!.detail.startsWith(`${c.count} `)).toBe(true);
    expect(r.metrics).toEqual(c.metrics);
  });

  it('keeps at most five examples in the detail of a violation', () => {
    const h = new HistoryBuilder();
    h.send('p0', 0);
    for (let seq = 1; seq <= 7; seq++) h.ack('p9', seq, 0, null);
    const r = reconcile(h.build());
    expect(r.violations).toEqual([
      { identity: IDENTITY.ackedWasAttempted, detail: '7 ack event(s) for ids no producer ledger attempted, e.g. p9:1, p9:2, p9:3, p9:4, p9:5' },
    ]);
  });

  it('readComplete holds under read_committed, where transaction markers leave gaps', () => {
    const history = VIOLATION_CASES.readComplete.build();
    const r = reconcile({ ...history, finalRead: { ...history.finalRead, isolation: 'read_committed' } });
    expect(r.violations).toEqual([]);
    expect(r.metrics).toEqual(VIOLATION_CASES.readComplete.metrics);
  });

  it('processedOffsetHolds counts a processed offset that now holds a foreign record while the message is elsewhere', () => {
    const h = new HistoryBuilder();
    h.append(0, null, 'not ours'); // offset 0
    const o = h.send('p0', 0); // offset 1
    h.processed('c0', id('p0', 0), 0, 0).processed('c0', id('p0', 0), 0, o);
    const r = reconcile(h.build());
    expect(r.violations).toEqual([
      {
        identity: IDENTITY.processedOffsetHolds,
        detail: '1 processed record(s) whose offset holds another record while the message is elsewhere in the log, e.g. p0:0 processed at p0@0 (c0)',
      },
    ]);
  });
});

// ---- property: metrics equal the counts of a random truth --------------------------

type Outcome = 'acked' | 'definite' | 'indefinite' | 'silent' | 'unsent';

interface TruthMessage {
  producer: number;
  partition: number;
  attempts: number;
  outcome: Outcome;
  ackWithOffset: boolean;
  /** where an acked message that is not in the log was acked: this far from its partition's log start (at least offset 0) */
  lostOffset: number;
  /** acks are written in ascending ackKey order (ties: message order) */
  ackKey: number;
  /** one log-order key per copy in the log */
  copies: number[];
  processed: number;
  /** where a message that is not in the log was processed */
  processedAt: number;
}

interface ForeignRecord {
  partition: number;
  key: number;
  knownLooking: boolean;
}

interface TruthRetry {
  /** message numbers (mod the number of messages); the batch is the first one's producer and partition */
  msgs: number[];
  /** resends: retry events for attempts 2 .. extra + 1 */
  extra: number;
}

interface TruthBacklog {
  producer: number;
  behind: boolean;
  queued: number;
}

const truthArb = fc.record({
  messages: fc.array(
    fc.record({
      producer: fc.integer({ min: 0, max: 2 }),
      partition: fc.integer({ min: 0, max: 2 }),
      attempts: fc.integer({ min: 1, max: 2 }),
      outcome: fc.constantFrom<Outcome>('acked', 'acked', 'definite', 'indefinite', 'silent', 'unsent'),
      ackWithOffset: fc.boolean(),
      lostOffset: fc.integer({ min: -4, max: 24 }),
      ackKey: fc.integer({ min: 0, max: 20 }),
      copies: fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 3 }),
      processed: fc.integer({ min: 0, max: 3 }),
      processedAt: fc.integer({ min: 0, max: 80 }),
    }),
    { maxLength: 60, size: 'max' },
  ),
  foreign: fc.array(
    fc.record({ partition: fc.integer({ min: 0, max: 2 }), key: fc.integer({ min: 0, max: 1000 }), knownLooking: fc.boolean() }),
    { maxLength: 4 },
  ),
  retries: fc.array(
    fc.record({ msgs: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), extra: fc.integer({ min: 1, max: 3 }) }),
    { maxLength: 5 },
  ),
  backlog: fc.array(fc.record({ producer: fc.integer({ min: 0, max: 2 }), behind: fc.boolean(), queued: fc.nat(100) }), { maxLength: 4 }),
  logStart: fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 3, maxLength: 3 }),
  consumers: fc.boolean(),
  reverseRecords: fc.boolean(),
});

interface Truth {
  messages: TruthMessage[];
  foreign: ForeignRecord[];
  retries: TruthRetry[];
  backlog: TruthBacklog[];
  logStart: number[];
  consumers: boolean;
  reverseRecords: boolean;
}

/** A group of first occurrences, one producer in one partition, in log order. */
interface Group {
  seqs: number[];
  ids: string[];
  retried: boolean[];
}

interface Built {
  history: History;
  expected: Metrics;
  producers: ProducerSummary[];
  retries: RetrySummary;
  groups: Group[];
}

/** Longest strictly increasing subsequence of `seqs`, by brute-force dynamic programming; with the fewest and most `marked` elements among the longest. */
function longestRun(seqs: number[], marked: boolean[]): { length: number; minMarked: number; maxMarked: number } {
  const len: number[] = [];
  const lo: number[] = [];
  const hi: number[] = [];
  for (let i = 0; i < seqs.length; i++) {
    const own = marked[i] ? 1 : 0;
    len[i] = 1;
    lo[i] = own;
    hi[i] = own;
    for (let j = 0; j < i; j++) {
      if (seqs[j]! >= seqs[i]!) continue;
      if (len[j]! + 1 > len[i]!) {
        len[i] = len[j]! + 1;
        lo[i] = lo[j]! + own;
        hi[i] = hi[j]! + own;
      } else if (len[j]! + 1 === len[i]!) {
        lo[i] = Math.min(lo[i]!, lo[j]! + own);
        hi[i] = Math.max(hi[i]!, hi[j]! + own);
      }
    }
  }
  const length = Math.max(0, ...len);
  let minMarked = Infinity;
  let maxMarked = -Infinity;
  for (let i = 0; i < seqs.length; i++) {
    if (len[i] !== length) continue;
    minMarked = Math.min(minMarked, lo[i]!);
    maxMarked = Math.max(maxMarked, hi[i]!);
  }
  return seqs.length === 0 ? { length: 0, minMarked: 0, maxMarked: 0 } : { length, minMarked, maxMarked };
}

function buildFromTruth(truth: Truth): Built {
  const { messages, foreign, logStart, consumers: hasConsumers, reverseRecords } = truth;
  const nextSeq = [0, 0, 0];
  const seqs = messages.map((m) => nextSeq[m.producer]!++);
  const ids = messages.map((m, i) => id(`p${m.producer}`, seqs[i]!));
  const isUnsent = (i: number) => messages[i]!.outcome === 'unsent';
  const isAcked = (i: number) => messages[i]!.outcome === 'acked';
  const copiesOf = (i: number) => (isUnsent(i) ? [] : messages[i]!.copies);

  // the log: per partition, entries ordered by key (ties: creation order), offsets from its log start
  interface Entry { partition: number; key: number; id: string | null; msg: number }
  const entries: Entry[] = [];
  messages.forEach((m, i) => copiesOf(i).forEach((key) => entries.push({ partition: m.partition, key, id: ids[i]!, msg: i })));
  foreign.forEach((f, j) => entries.push({ partition: f.partition, key: f.key, id: f.knownLooking ? `px:${j}` : null, msg: -1 }));
  const records: LogRecord[] = [];
  const firstOffset = new Map<number, number>();
  const partitions: PartitionRead[] = [];
  const logOrder = new Map<number, Entry[]>();
  for (let p = 0; p < 3; p++) {
    const inP = entries.filter((e) => e.partition === p).sort((a, b) => a.key - b.key);
    logOrder.set(p, inP);
    inP.forEach((e, k) => {
      const o = logStart[p]! + k;
      records.push(e.id === null ? { p, o, id: null, raw: 'foreign' } : { p, o, id: e.id });
      if (e.msg >= 0 && !firstOffset.has(e.msg)) firstOffset.set(e.msg, o);
    });
    partitions.push({ partition: p, logStartOffset: logStart[p]!, highWatermark: logStart[p]! + inP.length, records: inP.length });
  }
  if (reverseRecords) records.reverse();

  // where and when each acked message was acked
  const ackOffset = (i: number): number | null => {
    const m = messages[i]!;
    return m.ackWithOffset ? (firstOffset.get(i) ?? Math.max(0, logStart[m.partition]! + m.lostOffset)) : null;
  };
  const ackOrder = messages.map((_, i) => i).filter(isAcked).sort((a, b) => messages[a]!.ackKey - messages[b]!.ackKey || a - b);
  const ackRank = new Map(ackOrder.map((i, rank) => [i, rank]));

  // ledgers: attempts in send order, then errors, acks, retries, backlog, unsent
  const producers: ProducerEvent[][] = [[], [], []];
  const consumers: ConsumerEvent[][] = hasConsumers ? [[{ e: 'start', agent: 'c0', os: 1, t: 0 }], [{ e: 'start', agent: 'c1', os: 1, t: 0 }]] : [];
  let t = 1;
  const firstAttemptAt = new Map<number, number>();
  messages.forEach((m, i) => {
    if (isUnsent(i)) return;
    for (let a = 0; a < m.attempts; a++) {
      if (a === 0) firstAttemptAt.set(i, t);
      producers[m.producer]!.push({ e: 'attempt', pid: `p${m.producer}`, seq: seqs[i]!, p: m.partition, t: t++ });
    }
  });
  messages.forEach((m, i) => {
    if (m.outcome !== 'definite' && m.outcome !== 'indefinite') return;
    const definite = m.outcome === 'definite';
    producers[m.producer]!.push({ e: 'error', pid: `p${m.producer}`, seq: seqs[i]!, p: m.partition, code: 'X', retriable: !definite, definite, attempts: m.attempts, t: t++ });
  });
  for (const i of ackOrder) {
    const m = messages[i]!;
    producers[m.producer]!.push({ e: 'ack', pid: `p${m.producer}`, seq: seqs[i]!, p: m.partition, o: ackOffset(i), t: t++ });
  }
  const retried = new Set<number>();
  const retryTimes: number[] = [];
  let batches = 0;
  let resends = 0;
  if (messages.length > 0) {
    for (const rt of truth.retries) {
      const members = rt.msgs.map((k) => k % messages.length);
      const first = messages[members[0]!]!;
      const inBatch = members.filter((i) => messages[i]!.producer === first.producer);
      batches++;
      for (let n = 2; n <= rt.extra + 1; n++) {
        resends++;
        retryTimes.push(t);
        producers[first.producer]!.push({ e: 'retry', pid: `p${first.producer}`, p: first.partition, seqs: inBatch.map((i) => seqs[i]!), n, t: t++ });
      }
      for (const i of inBatch) if (!isUnsent(i)) retried.add(i);
    }
  }
  const backlogTimes: number[] = [];
  for (const b of truth.backlog) {
    backlogTimes.push(t);
    producers[b.producer]!.push({ e: 'backlog', pid: `p${b.producer}`, state: b.behind ? 'behind' : 'caught-up', queued: b.queued, t: t++ });
  }
  for (let prod = 0; prod < 3; prod++) {
    for (let p = 0; p < 3; p++) {
      const unsentSeqs = messages.flatMap((m, i) => (isUnsent(i) && m.producer === prod && m.partition === p ? [seqs[i]!] : []));
      if (unsentSeqs.length > 0) producers[prod]!.push({ e: 'unsent', pid: `p${prod}`, p, seqs: unsentSeqs, t: t++ });
    }
  }
  if (hasConsumers) {
    messages.forEach((m, i) => {
      if (isUnsent(i)) return;
      const o = firstOffset.get(i) ?? m.processedAt;
      for (let k = 0; k < m.processed; k++) consumers[k % 2]!.push({ e: 'processed', cid: `c${k % 2}`, id: ids[i]!, p: m.partition, o, t: t++ });
    });
    consumers[0]!.push({ e: 'processed', cid: 'c0', id: null, p: 0, o: 0, t: t++ });
  }

  // ---- expected counts, straight from the truth ----
  /** a lost message i acked at offset `o` of its partition that holds an earlier send of its producer, not acked there after i */
  const foreignAt = (i: number, o: number): boolean => {
    const m = messages[i]!;
    const holder = logOrder.get(m.partition)![o - logStart[m.partition]!];
    if (holder === undefined || holder.msg < 0) return false;
    const r = holder.msg;
    if (messages[r]!.producer !== m.producer || seqs[r]! >= seqs[i]!) return false;
    const rAckedThereLater = isAcked(r) && ackOffset(r) === o && ackRank.get(r)! > ackRank.get(i)!;
    return !rAckedThereLater;
  };
  const e: Metrics = hasConsumers ? { ...ZERO } : { ...ZERO, ...NA };
  const c = { lostAfterConsume: 0, notProcessed: 0, processedTwice: 0, endToEndLost: 0, processed: 0 };
  messages.forEach((m, i) => {
    if (isUnsent(i)) {
      e.unsent++;
      return;
    }
    const acked = isAcked(i);
    const n = m.copies.length;
    const p = m.processed;
    e.attempted++;
    if (acked) e.acked++;
    else if (m.outcome === 'definite') e.failed++;
    else e.unknown++;
    if (acked && n === 0) {
      const o = ackOffset(i);
      if (o !== null && o < logStart[m.partition]!) e.belowLogStart++;
      else {
        e.lost++;
        if (o !== null && foreignAt(i, o)) e.ackedAtForeignOffset++;
      }
    }
    if (!acked && n >= 1) {
      if (m.outcome === 'definite') e.failedButLanded++;
      else e.landedUnacked++;
    }
    e.logDuplicates += Math.max(n - 1, 0);
    if (n >= 1) e.present++;
    if (retried.has(i)) e.retried++;
    if (p >= 1 && n === 0) c.lostAfterConsume++;
    if (n >= 1 && p === 0) c.notProcessed++;
    c.processedTwice += Math.max(p - 1, 0);
    if (acked && p === 0) c.endToEndLost++;
    if (p >= 1) c.processed++;
  });
  if (hasConsumers) Object.assign(e, c);
  e.unexpected = foreign.length;
  e.logRecords = entries.length;
  // reordering, by brute force over the first copies per (producer, partition)
  const groups: Group[] = [];
  let overtakenRetried = 0;
  for (const inP of logOrder.values()) {
    for (let prod = 0; prod < 3; prod++) {
      const seen = new Set<number>();
      const g: Group = { seqs: [], ids: [], retried: [] };
      for (const en of inP) {
        if (en.msg < 0 || messages[en.msg]!.producer !== prod || seen.has(en.msg)) continue;
        seen.add(en.msg);
        g.seqs.push(seqs[en.msg]!);
        g.ids.push(ids[en.msg]!);
        g.retried.push(retried.has(en.msg));
      }
      for (let a = 0; a < g.seqs.length; a++) for (let b = a + 1; b < g.seqs.length; b++) if (g.seqs[a]! > g.seqs[b]!) e.reorderedPairs++;
      const run = longestRun(g.seqs, g.retried);
      e.reordered += g.seqs.length - run.length;
      // overtaken: a higher seq of the same producer came first
      for (let k = 0; k < g.seqs.length; k++) if (g.retried[k] && g.seqs.slice(0, k).some((x) => x > g.seqs[k]!)) overtakenRetried++;
      groups.push(g);
    }
  }

  // producer summaries, in ledger order
  const summaries: ProducerSummary[] = [];
  for (let prod = 0; prod < 3; prod++) {
    const mine = messages.map((_, i) => i).filter((i) => messages[i]!.producer === prod);
    const sent = mine.filter((i) => !isUnsent(i));
    const backlog = truth.backlog.map((b, k) => ({ ...b, t: backlogTimes[k]! })).filter((b) => b.producer === prod);
    if (mine.length === 0 && backlog.length === 0) continue;
    summaries.push({
      pid: `p${prod}`,
      attempted: sent.length,
      unsent: mine.length - sent.length,
      firstAttemptAt: sent.length === 0 ? null : firstAttemptAt.get(sent[0]!)!,
      lastAttemptAt: sent.length === 0 ? null : firstAttemptAt.get(sent[sent.length - 1]!)!,
      behindSince: backlog.find((b) => b.behind)?.t ?? null,
      maxQueued: Math.max(0, ...backlog.map((b) => b.queued)),
    });
  }

  return {
    history: { runId: 'prop', producers, consumers, finalRead: { isolation: 'read_uncommitted', partitions, records } },
    expected: e,
    producers: summaries,
    retries: {
      batches,
      messages: retried.size,
      resends,
      firstAt: retryTimes.length === 0 ? null : Math.min(...retryTimes),
      lastAt: retryTimes.length === 0 ? null : Math.max(...retryTimes),
      overtakenRetried,
    },
    groups,
  };
}

describe('reconcile: property', () => {
  it('metrics equal the counts of the truth the history was generated from', () => {
    fc.assert(
      fc.property(truthArb, (truth) => {
        const b = buildFromTruth(truth);
        const r = reconcile(b.history);
        expect(r.metrics).toEqual(b.expected);
        expect(r.violations).toEqual([]);
        expect(r.producers).toEqual(b.producers);
        expect(r.retries).toEqual(b.retries);
        const withExamples = EXAMPLE_METRICS.filter((name) => (b.expected[name] ?? 0) > 0).sort();
        expect(Object.keys(r.examples).sort()).toEqual(withExamples);
        for (const list of Object.values(r.examples)) {
          expect(list.length).toBeGreaterThan(0);
          expect(list.length).toBeLessThanOrEqual(MAX_EXAMPLES);
        }
        // the listed out-of-order ids (all of them, when they fit) leave a longest in-order run in every group
        const reordered = b.expected.reordered;
        expect(r.examples.reordered ?? []).toHaveLength(Math.min(reordered, MAX_EXAMPLES));
        if (reordered <= MAX_EXAMPLES) {
          const listed = new Set(r.examples.reordered ?? []);
          for (const g of b.groups) {
            const kept = g.seqs.filter((_, k) => !listed.has(g.ids[k]!));
            for (let k = 1; k < kept.length; k++) expect(kept[k]!).toBeGreaterThan(kept[k - 1]!);
            expect(kept.length).toBe(longestRun(g.seqs, g.retried).length);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});

// ---- scale ---------------------------------------------------------------------------

describe('reconcile: scale', () => {
  it('reconciles 200,000 messages with planted effects', () => {
    // 4 producers x 50,000 seqs, 8 partitions (partition = seq % 8). By seq % 1000:
    //   7 acked, lost, never processed     13 unknown, landed, processed once
    //   21 definite error, not landed      33 two copies in the log, processed once
    //   41 processed twice                 55 present, never processed
    //   100 in the log after seq+8 and seq+16 (same producer and partition): one message
    //       out of order, two inverted pairs; its batch was retried
    //   300 its batch was retried (sent three times), in order
    // Every other message: acked, one copy, processed once at its offset. Each producer
    // had 10 more messages still unsent when it stopped.
    const perProducer = 50_000;
    const producers: ProducerEvent[][] = [];
    const entries: { p: number; key: number; id: string }[] = [];
    const processedTimes = new Map<string, number>();
    const retryTimes: number[] = [];
    let t = 0;
    for (let prod = 0; prod < 4; prod++) {
      const pid = `p${prod}`;
      const ledger: ProducerEvent[] = [];
      producers.push(ledger);
      for (let seq = 0; seq < perProducer; seq++) {
        const p = seq % 8;
        const r = seq % 1000;
        ledger.push({ e: 'attempt', pid, seq, p, t: t++ });
        if (r === 100 || r === 300) {
          for (let n = 2; n <= (r === 300 ? 3 : 2); n++) {
            retryTimes.push(t);
            ledger.push({ e: 'retry', pid, p, seqs: [seq], n, t: t++ });
          }
        }
        if (r === 13) continue;
        if (r === 21) {
          ledger.push({ e: 'error', pid, seq, p, code: 'NOT_ENOUGH_REPLICAS', retriable: true, definite: true, attempts: 1, t: t++ });
          continue;
        }
        ledger.push({ e: 'ack', pid, seq, p, o: null, t: t++ });
      }
      ledger.push({ e: 'unsent', pid, p: 0, seqs: Array.from({ length: 10 }, (_, k) => perProducer + k), t: t++ });
      for (let seq = 0; seq < perProducer; seq++) {
        const p = seq % 8;
        const r = seq % 1000;
        const mid = id(pid, seq);
        if (r === 7 || r === 21) continue;
        // log order within a partition: by seq, producers interleaved; a duplicate right
        // after its first copy; seq % 1000 === 100 right after seq + 16
        const key = r === 100 ? (seq + 16) * 10 + prod + 5 : seq * 10 + prod;
        entries.push({ p, key, id: mid });
        if (r === 33) entries.push({ p, key: key + 4, id: mid });
        if (r !== 55) processedTimes.set(mid, r === 41 ? 2 : 1);
      }
    }
    entries.sort((a, b) => a.p - b.p || a.key - b.key);
    const records: LogRecord[] = [];
    const next = new Array<number>(8).fill(0);
    const consumer: ConsumerEvent[] = [];
    for (const en of entries) {
      const o = next[en.p]!++;
      records.push({ p: en.p, o, id: en.id });
      const times = processedTimes.get(en.id);
      if (times === undefined) continue;
      processedTimes.delete(en.id); // the first copy
      for (let k = 0; k < times; k++) consumer.push({ e: 'processed', cid: 'c0', id: en.id, p: en.p, o, t: t++ });
    }
    const partitions = next.map((hw, partition) => ({ partition, logStartOffset: 0, highWatermark: hw, records: hw }));

    const r = reconcile({
      runId: 'scale',
      producers,
      consumers: [consumer],
      finalRead: { isolation: 'read_uncommitted', partitions, records },
    });
    const k = 4 * (perProducer / 1000); // messages per planted residue
    expect(r.metrics).toEqual({
      attempted: 200_000,
      acked: 200_000 - 2 * k,
      failed: k,
      unknown: k,
      unsent: 40,
      lost: k,
      belowLogStart: 0,
      ackedAtForeignOffset: 0,
      lostAfterConsume: 0,
      landedUnacked: k,
      failedButLanded: 0,
      logDuplicates: k,
      notProcessed: k,
      processedTwice: k,
      endToEndLost: 2 * k,
      reordered: k,
      unexpected: 0,
      present: 200_000 - 2 * k,
      processed: 200_000 - 3 * k,
      logRecords: 200_000 - 2 * k + k,
      reorderedPairs: 2 * k,
      retried: 2 * k,
      commitsBackwards: 0,
      unnoticedFailures: null,
      outputDuplicates: null,
      outputMissing: null,
      abortedRead: null,
      offsetsPastUnprocessed: null,
      refused: null,
      unavailableMs: null,
    });
    expect(r.violations).toEqual([]);
    expect(retryTimes).toHaveLength(3 * k);
    expect(r.retries).toEqual({ batches: 2 * k, resends: 3 * k, messages: 2 * k, firstAt: retryTimes[0]!, lastAt: retryTimes.at(-1)!, overtakenRetried: k });
    // the out-of-order ids: p0:100, p0:1100, ... (the first 20, by producer then seq)
    expect(r.examples.reordered).toEqual(Array.from({ length: MAX_EXAMPLES }, (_, i) => `p0:${i * 1000 + 100}`));
    expect(r.examples.unsent).toEqual([...Array.from({ length: 10 }, (_, i) => `p0:${perProducer + i}`), ...Array.from({ length: 10 }, (_, i) => `p1:${perProducer + i}`)]);
    expect(r.producers.map((p) => [p.pid, p.attempted, p.unsent])).toEqual([0, 1, 2, 3].map((prod) => [`p${prod}`, perProducer, 10]));
  });
});
