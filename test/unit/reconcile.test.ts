import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { messageId } from '../../harness/ledger/events.ts';
import type { ConsumerEvent, LogRecord, PartitionRead, ProducerEvent } from '../../harness/ledger/events.ts';
import { IDENTITY, MAX_EXAMPLES, accountingViolations, reconcile } from '../../harness/reconcile/reconcile.ts';
import type { History, MetricName, Metrics } from '../../harness/reconcile/types.ts';

// ---- helpers -----------------------------------------------------------------------

const ZERO: Metrics = {
  attempted: 0,
  acked: 0,
  failed: 0,
  unknown: 0,
  lost: 0,
  lostAfterConsume: 0,
  landedUnacked: 0,
  logDuplicates: 0,
  notProcessed: 0,
  processedTwice: 0,
  endToEndLost: 0,
  reordered: 0,
  unexpected: 0,
  present: 0,
  processed: 0,
  logRecords: 0,
};

/** All metrics zero except the ones given. */
function metrics(nonZero: Partial<Metrics>): Metrics {
  return { ...ZERO, ...nonZero };
}

const EXAMPLE_METRICS: MetricName[] = [
  'lost',
  'lostAfterConsume',
  'landedUnacked',
  'logDuplicates',
  'notProcessed',
  'processedTwice',
  'endToEndLost',
  'unexpected',
  'reordered',
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

  attempt(pid: string, seq: number, p = 0): this {
    this.producer(pid).push({ e: 'attempt', pid, seq, p, t: this.t++ });
    return this;
  }

  ack(pid: string, seq: number, p = 0, o: number | null = null): this {
    this.producer(pid).push({ e: 'ack', pid, seq, p, o, t: this.t++ });
    return this;
  }

  error(pid: string, seq: number, definite: boolean, p = 0): this {
    const code = definite ? 'NOT_ENOUGH_REPLICAS' : 'REQUEST_TIMED_OUT';
    this.producer(pid).push({ e: 'error', pid, seq, p, code, retriable: !definite, definite, t: this.t++ });
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
      finalRead: { isolation: 'read_uncommitted', partitions, records: this.records },
    };
  }
}

const id = messageId;

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
    const r = reconcile(h.build());
    expect(r.metrics).toEqual(metrics({ attempted: 30, acked: 30, present: 30, processed: 30, logRecords: 30 }));
    expect(r.violations).toEqual([]);
    expect(r.examples).toEqual({});
    expect(r.ackOffsetMismatches).toBe(0);
  });

  it('an empty history is all zeros', () => {
    const r = reconcile(new HistoryBuilder().build());
    expect(r).toEqual({ metrics: ZERO, examples: {}, violations: [], ackOffsetMismatches: 0 });
  });

  it('a seq attempted more than once is one id', () => {
    const h = new HistoryBuilder();
    h.attempt('p0', 0).attempt('p0', 0).error('p0', 0, false).attempt('p0', 0);
    const o = h.append(0, id('p0', 0));
    h.ack('p0', 0, 0, o).processed('c0', id('p0', 0), 0, o);
    const r = reconcile(h.build());
    expect(r.metrics).toEqual(metrics({ attempted: 1, acked: 1, present: 1, processed: 1, logRecords: 1 }));
    expect(r.violations).toEqual([]);
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
    expect(r.ackOffsetMismatches).toBe(0);
  });

  it('finds lost after consume (processed, then gone from the log)', () => {
    const h = new HistoryBuilder();
    // p0:0 acked, processed, truncated away
    h.attempt('p0', 0).ack('p0', 0, 0, null).processed('c0', id('p0', 0), 0, 0);
    // p0:1 never acked (producer died), processed, truncated away
    h.attempt('p0', 1).processed('c0', id('p0', 1), 0, 1);
    // p0:2 clean
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
    h.attempt('p0', 0).error('p0', 0, false);
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

  it('counts definite failures; an ack wins over any error', () => {
    const h = new HistoryBuilder();
    // p0:0 NOT_ENOUGH_REPLICAS, not in the log
    h.attempt('p0', 0).error('p0', 0, true);
    // p0:1 definite error, yet landed (landed unacked)
    h.attempt('p0', 1).error('p0', 1, true);
    h.append(0, id('p0', 1));
    // p0:2 indeterminate error, retried and acked
    h.attempt('p0', 2).error('p0', 2, false).attempt('p0', 2);
    const o2 = h.append(0, id('p0', 2));
    h.ack('p0', 2, 0, o2);
    // p0:3 a definite error after an ack: still acked
    h.attempt('p0', 3);
    const o3 = h.append(0, id('p0', 3));
    h.ack('p0', 3, 0, o3).error('p0', 3, true);
    for (const [seq, o] of [[1, 0], [2, o2], [3, o3]] as const) h.processed('c0', id('p0', seq), 0, o);
    const r = reconcile(h.build());
    expect(r.metrics).toEqual(
      metrics({ attempted: 4, acked: 2, failed: 2, landedUnacked: 1, present: 3, processed: 3, logRecords: 3 }),
    );
    expect(r.examples).toEqual({ landedUnacked: ['p0:1'] });
    expect(r.violations).toEqual([]);
  });

  it('counts log duplicates as extra copies, which are not reorders', () => {
    const h = new HistoryBuilder();
    for (let seq = 0; seq < 3; seq++) h.attempt('p0', seq);
    // log: p0:0 p0:1 p0:1 p0:2 p0:1 p0:2
    const offsets = [0, 1, 1, 2, 1, 2].map((seq) => h.append(0, id('p0', seq)));
    h.ack('p0', 0, 0, 0).ack('p0', 1, 0, 1).ack('p0', 2, 0, 3);
    for (let seq = 0; seq < 3; seq++) h.processed('c0', id('p0', seq), 0, offsets[seq]!);
    const r = reconcile(h.build());
    expect(r.metrics).toEqual(
      metrics({ attempted: 3, acked: 3, logDuplicates: 3, present: 3, processed: 3, logRecords: 6 }),
    );
    expect(r.examples).toEqual({ logDuplicates: ['p0:1', 'p0:2'] });
    expect(r.violations).toEqual([]);
    expect(r.ackOffsetMismatches).toBe(0);
  });

  it('counts redelivery (processed more than once)', () => {
    const h = new HistoryBuilder();
    for (let seq = 0; seq < 4; seq++) {
      const o = h.send('p0', seq);
      h.processed('c0', id('p0', seq), 0, o);
    }
    h.processed('c0', id('p0', 1)).processed('c1', id('p0', 1)).processed('c1', id('p0', 3));
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
  });

  it('counts reordering as inversions per (producer, partition)', () => {
    const h = new HistoryBuilder();
    for (let seq = 0; seq < 6; seq++) h.attempt('p0', seq, 0);
    for (let seq = 6; seq < 9; seq++) h.attempt('p0', seq, 1);
    for (let seq = 0; seq < 6; seq++) h.attempt('p1', seq, 0);
    // partition 0: p0 seqs in log order [0,1,4,5,2,3] (4 inversions), p1 in order, interleaved
    const p0order = [0, 1, 4, 5, 2, 3];
    for (let i = 0; i < 6; i++) {
      h.ack('p1', i, 0, h.append(0, id('p1', i)));
      h.ack('p0', p0order[i]!, 0, h.append(0, id('p0', p0order[i]!)));
    }
    // partition 1: p0 seqs [8,6,7] (2 inversions)
    for (const seq of [8, 6, 7]) h.ack('p0', seq, 1, h.append(1, id('p0', seq)));
    for (const [pid, n] of [['p0', 9], ['p1', 6]] as const) {
      for (let seq = 0; seq < n; seq++) h.processed('c0', id(pid, seq));
    }
    const history = h.build();
    const r = reconcile(history);
    expect(r.metrics).toEqual(
      metrics({ attempted: 15, acked: 15, reordered: 6, present: 15, processed: 15, logRecords: 15 }),
    );
    expect(r.examples).toEqual({ reordered: ['p0:2', 'p0:3', 'p0:6', 'p0:7'] });
    expect(r.violations).toEqual([]);
    expect(r.ackOffsetMismatches).toBe(0);

    // the order of the records array does not matter, only their offsets
    const shuffled: History = {
      ...history,
      finalRead: { ...history.finalRead, records: [...history.finalRead.records].reverse() },
    };
    expect(reconcile(shuffled)).toEqual(r);
  });

  it('counts a fully reversed send order as n(n-1)/2 inversions', () => {
    const h = new HistoryBuilder();
    for (let seq = 0; seq < 5; seq++) h.attempt('p0', seq);
    for (let seq = 4; seq >= 0; seq--) h.ack('p0', seq, 0, h.append(0, id('p0', seq)));
    const r = reconcile(h.build());
    expect(r.metrics).toEqual(
      metrics({ attempted: 5, acked: 5, reordered: 10, notProcessed: 5, endToEndLost: 5, present: 5, logRecords: 5 }),
    );
    expect(r.examples.reordered).toEqual(['p0:0', 'p0:1', 'p0:2', 'p0:3']);
  });

  it('uses only the first copy of an id for reordering', () => {
    const h = new HistoryBuilder();
    for (let seq = 0; seq < 4; seq++) h.attempt('p0', seq);
    // [0,1,2,1,3]: the second copy of 1 after 2 is a duplicate, not a reorder
    for (const seq of [0, 1, 2, 1, 3]) h.append(0, id('p0', seq));
    for (let seq = 0; seq < 4; seq++) h.ack('p0', seq).processed('c0', id('p0', seq));
    const r = reconcile(h.build());
    expect(r.metrics).toEqual(
      metrics({ attempted: 4, acked: 4, logDuplicates: 1, present: 4, processed: 4, logRecords: 5 }),
    );
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
    for (const [pid, seq] of known) h.attempt(pid, seq).ack(pid, seq).processed('c0', id(pid, seq));
    for (const [pid, seq] of known) h.append(0, id(pid, seq));
    for (const foreign of ['p0:010', 'p0:00', 'p0:1', 'p0:', 'nocolon', 'a:3', 'a:b:3:', 'p0:+10', 'p0:1e15']) h.append(1, foreign);
    const r = reconcile(h.build());
    expect(r.metrics).toEqual(
      metrics({ attempted: 6, acked: 6, unexpected: 9, present: 6, processed: 6, logRecords: 15 }),
    );
    expect(r.violations).toEqual([]);
  });

  it('counts ack offset mismatches once per id, by the last ack with an offset', () => {
    const h = new HistoryBuilder();
    for (let seq = 0; seq < 8; seq++) h.attempt('p0', seq);
    // partition 0 log: o0 p0:0, o1 p0:2, o2 p0:1, o3 p0:5, o4 p0:6, o5 p0:7
    for (const seq of [0, 2, 1, 5, 6, 7]) h.append(0, id('p0', seq));
    h.ack('p0', 0, 0, 0); // right
    h.ack('p0', 1, 0, 1).ack('p0', 1, 0, 1); // wrong: offset 1 holds p0:2 (counted once)
    h.ack('p0', 2, 0, null); // no offset
    h.ack('p0', 3, 0, 9); // wrong: nothing at offset 9 (and lost)
    h.ack('p0', 4, 0, null); // lost, no offset
    h.ack('p0', 5, 0, 2).ack('p0', 5, 0, 3); // the last offset is right
    h.ack('p0', 6, 0, 4).ack('p0', 6, 0, null); // the last non-null offset is right
    h.ack('p0', 7, 1, 5); // wrong partition: p1@5 does not exist
    for (const seq of [0, 1, 2, 5, 6, 7]) h.processed('c0', id('p0', seq));
    const r = reconcile(h.build());
    expect(r.ackOffsetMismatches).toBe(3);
    expect(r.metrics).toEqual(
      metrics({
        attempted: 8,
        acked: 8,
        lost: 2,
        endToEndLost: 2,
        reordered: 1,
        present: 6,
        processed: 6,
        logRecords: 6,
      }),
    );
    expect(r.examples).toEqual({ lost: ['p0:3', 'p0:4'], endToEndLost: ['p0:3', 'p0:4'], reordered: ['p0:1'] });
    expect(r.violations).toEqual([]);
  });

  it('keeps at most 20 examples, sorted by producer id then numeric seq', () => {
    const h = new HistoryBuilder();
    for (const pid of ['p1', 'p0']) {
      for (let seq = 29; seq >= 0; seq--) h.attempt(pid, seq).ack(pid, seq);
    }
    const r = reconcile(h.build());
    expect(r.metrics).toEqual(metrics({ attempted: 60, acked: 60, lost: 60, endToEndLost: 60 }));
    const expected = Array.from({ length: MAX_EXAMPLES }, (_, seq) => `p0:${seq}`);
    expect(r.examples).toEqual({ lost: expected, endToEndLost: expected });
  });
});

// ---- identity violations ---------------------------------------------------------------

describe('reconcile: identity violations', () => {
  it('an ack or an error for an id never attempted', () => {
    const h = new HistoryBuilder();
    h.send('p0', 0);
    h.ack('p9', 0, 0, 1);
    h.append(0, id('p9', 0)); // in the log, but unknown: unexpected
    h.error('p9', 1, true).error('p9', 1, false);
    const r = reconcile(h.build());
    expect(r.metrics).toEqual(
      metrics({ attempted: 1, acked: 1, unexpected: 1, notProcessed: 1, endToEndLost: 1, present: 1, logRecords: 2 }),
    );
    expect(r.violations.map((v) => v.identity)).toEqual([IDENTITY.ackedWasAttempted, IDENTITY.erroredWasAttempted]);
    expect(r.violations[0]!.detail).toMatch(/^1 ack event\(s\) for 1 id\(s\).*p9:0/);
    expect(r.violations[1]!.detail).toMatch(/^2 error event\(s\) for 1 id\(s\).*p9:1/);
  });

  it('a processed id that no producer knows', () => {
    const h = new HistoryBuilder();
    const o = h.send('p0', 0);
    h.processed('c0', id('p0', 0), 0, o);
    h.processed('c1', 'ghost:3', 0, 7).processed('c1', 'p0:1', 0, 8);
    const r = reconcile(h.build());
    expect(r.metrics).toEqual(metrics({ attempted: 1, acked: 1, present: 1, processed: 1, logRecords: 1 }));
    expect(r.violations).toHaveLength(1);
    expect(r.violations[0]!.identity).toBe(IDENTITY.processedIsKnown);
    expect(r.violations[0]!.detail).toContain('2 processed event(s) for 2 id(s)');
    expect(r.violations[0]!.detail).toContain('ghost:3');
  });

  it('records outside [logStartOffset, highWatermark)', () => {
    const h = new HistoryBuilder();
    for (let seq = 0; seq < 4; seq++) h.attempt('p0', seq);
    for (let seq = 0; seq < 4; seq++) h.recordAt(0, seq + 1, id('p0', seq)); // offsets 1..4
    h.partitions([{ partition: 0, logStartOffset: 2, highWatermark: 4, records: 4 }]);
    const r = reconcile(h.build());
    expect(r.metrics).toEqual(
      metrics({ attempted: 4, unknown: 4, landedUnacked: 4, notProcessed: 4, present: 4, logRecords: 4 }),
    );
    expect(r.violations).toHaveLength(1);
    expect(r.violations[0]!.identity).toBe(IDENTITY.recordInRange);
    expect(r.violations[0]!.detail).toBe(
      '2 record(s) outside the offsets the final read reported, e.g. p0@1 not in [2, 4), p0@4 not in [2, 4)',
    );
  });

  it('records in a partition the final read does not list', () => {
    const h = new HistoryBuilder();
    h.send('p0', 0, 0);
    h.send('p0', 1, 3);
    h.partitions([{ partition: 0, logStartOffset: 0, highWatermark: 1, records: 1 }]);
    const r = reconcile(h.build());
    expect(r.violations).toEqual([
      { identity: IDENTITY.recordPartitionListed, detail: '1 record(s) in partitions missing from finalRead.partitions, e.g. p3@0' },
    ]);
  });

  it('a partition listed twice', () => {
    const h = new HistoryBuilder();
    h.send('p0', 0, 0);
    const p0 = { partition: 0, logStartOffset: 0, highWatermark: 1, records: 1 };
    h.partitions([p0, p0]);
    const r = reconcile(h.build());
    expect(r.violations.map((v) => v.identity)).toEqual([IDENTITY.partitionListedOnce]);
  });

  it('two records at the same (partition, offset)', () => {
    const h = new HistoryBuilder();
    h.attempt('p0', 0).attempt('p0', 1).ack('p0', 0, 0, 0).ack('p0', 1, 0, 0);
    h.recordAt(0, 0, id('p0', 0)).recordAt(0, 0, id('p0', 1));
    h.processed('c0', id('p0', 0)).processed('c0', id('p0', 1));
    const r = reconcile(h.build());
    expect(r.metrics).toEqual(metrics({ attempted: 2, acked: 2, present: 2, processed: 2, logRecords: 2 }));
    expect(r.violations).toEqual([
      { identity: IDENTITY.uniqueOffset, detail: '1 record(s) share a (partition, offset) with an earlier record, e.g. p0@0' },
    ]);
  });

  it('the producer-side accounting identities over inconsistent metrics', () => {
    expect(accountingViolations(metrics({ attempted: 3, acked: 1, failed: 1, unknown: 1, lost: 1 }), 0)).toEqual([]);
    const v = accountingViolations(metrics({ attempted: 5, acked: 3, failed: 1, unknown: 0, lost: 1 }), 1);
    expect(v).toEqual([
      { identity: IDENTITY.attemptedPartition, detail: 'attempted 5 != acked 3 + failed 1 + unknown 0 (= 4)' },
      { identity: IDENTITY.ackedPresentOrLost, detail: 'acked 3 != acked and present 1 + lost 1 (= 2)' },
    ]);
  });
});

// ---- property: metrics equal the counts of a random truth --------------------------

type Outcome = 'acked' | 'ackedAfterError' | 'definite' | 'indefinite' | 'silent';

interface TruthMessage {
  producer: number;
  partition: number;
  attempts: number;
  outcome: Outcome;
  ackWithOffset: boolean;
  /** one log-order key per copy in the log */
  copies: number[];
  processed: number;
}

interface ForeignRecord {
  partition: number;
  key: number;
  knownLooking: boolean;
}

const truthArb = fc.record({
  messages: fc.array(
    fc.record({
      producer: fc.integer({ min: 0, max: 2 }),
      partition: fc.integer({ min: 0, max: 2 }),
      attempts: fc.integer({ min: 1, max: 2 }),
      outcome: fc.constantFrom<Outcome>('acked', 'ackedAfterError', 'definite', 'indefinite', 'silent'),
      ackWithOffset: fc.boolean(),
      copies: fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 3 }),
      processed: fc.integer({ min: 0, max: 3 }),
    }),
    { maxLength: 60 },
  ),
  foreign: fc.array(
    fc.record({ partition: fc.integer({ min: 0, max: 2 }), key: fc.integer({ min: 0, max: 1000 }), knownLooking: fc.boolean() }),
    { maxLength: 4 },
  ),
  logStart: fc.integer({ min: 0, max: 50 }),
  reverseRecords: fc.boolean(),
});

interface Built {
  history: History;
  expected: Metrics;
  ackOffsetMismatches: number;
}

function buildFromTruth(messages: TruthMessage[], foreign: ForeignRecord[], logStart: number, reverseRecords: boolean): Built {
  const nextSeq = [0, 0, 0];
  const ids = messages.map((m) => id(`p${m.producer}`, nextSeq[m.producer]!++));

  // the log: per partition, entries ordered by key (ties: creation order), offsets from logStart
  interface Entry { partition: number; key: number; id: string | null; msg: number }
  const entries: Entry[] = [];
  messages.forEach((m, i) => m.copies.forEach((key) => entries.push({ partition: m.partition, key, id: ids[i]!, msg: i })));
  foreign.forEach((f, j) => entries.push({ partition: f.partition, key: f.key, id: f.knownLooking ? `px:${j}` : null, msg: -1 }));
  const records: LogRecord[] = [];
  const firstOffset = new Map<number, number>();
  const partitions: PartitionRead[] = [];
  const logOrder = new Map<number, Entry[]>();
  for (let p = 0; p < 3; p++) {
    const inP = entries.filter((e) => e.partition === p).sort((a, b) => a.key - b.key);
    logOrder.set(p, inP);
    inP.forEach((e, k) => {
      const o = logStart + k;
      records.push(e.id === null ? { p, o, id: null, raw: 'foreign' } : { p, o, id: e.id });
      if (e.msg >= 0 && !firstOffset.has(e.msg)) firstOffset.set(e.msg, o);
    });
    partitions.push({ partition: p, logStartOffset: logStart, highWatermark: logStart + inP.length, records: inP.length });
  }
  if (reverseRecords) records.reverse();

  // ledgers: attempts in send order, outcomes afterwards
  const producers: ProducerEvent[][] = [[], [], []];
  const consumers: ConsumerEvent[][] = [[], []];
  let t = 0;
  let mismatches = 0;
  messages.forEach((m, i) => {
    const pid = `p${m.producer}`;
    const seq = Number(ids[i]!.split(':')[1]);
    for (let a = 0; a < m.attempts; a++) producers[m.producer]!.push({ e: 'attempt', pid, seq, p: m.partition, t: t++ });
  });
  messages.forEach((m, i) => {
    const pid = `p${m.producer}`;
    const seq = Number(ids[i]!.split(':')[1]);
    const ledger = producers[m.producer]!;
    const err = (definite: boolean): void => {
      ledger.push({ e: 'error', pid, seq, p: m.partition, code: 'X', retriable: !definite, definite, t: t++ });
    };
    if (m.outcome === 'ackedAfterError') err(false);
    if (m.outcome === 'definite') err(true);
    if (m.outcome === 'indefinite') err(false);
    if (m.outcome === 'acked' || m.outcome === 'ackedAfterError') {
      let o: number | null = null;
      if (m.ackWithOffset) {
        o = firstOffset.get(i) ?? 1_000_000 + i; // a lost message's offset is beyond the log
        if (!firstOffset.has(i)) mismatches++;
      }
      ledger.push({ e: 'ack', pid, seq, p: m.partition, o, t: t++ });
    }
    for (let k = 0; k < m.processed; k++) {
      consumers[k % 2]!.push({ e: 'processed', cid: `c${k % 2}`, id: ids[i]!, p: m.partition, o: 0, t: t++ });
    }
  });
  consumers[0]!.push({ e: 'processed', cid: 'c0', id: null, p: 0, o: 0, t: t++ });

  // expected counts, straight from the truth
  const e = { ...ZERO };
  messages.forEach((m) => {
    const isAcked = m.outcome === 'acked' || m.outcome === 'ackedAfterError';
    const n = m.copies.length;
    const p = m.processed;
    e.attempted++;
    if (isAcked) e.acked++;
    else if (m.outcome === 'definite') e.failed++;
    else e.unknown++;
    if (isAcked && n === 0) e.lost++;
    if (p >= 1 && n === 0) e.lostAfterConsume++;
    if (!isAcked && n >= 1) e.landedUnacked++;
    e.logDuplicates += Math.max(n - 1, 0);
    if (n >= 1 && p === 0) e.notProcessed++;
    e.processedTwice += Math.max(p - 1, 0);
    if (isAcked && p === 0) e.endToEndLost++;
    if (n >= 1) e.present++;
    if (p >= 1) e.processed++;
  });
  e.unexpected = foreign.length;
  e.logRecords = entries.length;
  // reordering, by brute force: pairs inverted among first copies per (producer, partition)
  for (const inP of logOrder.values()) {
    for (let prod = 0; prod < 3; prod++) {
      const seen = new Set<number>();
      const seqs: number[] = [];
      for (const en of inP) {
        if (en.msg < 0 || messages[en.msg]!.producer !== prod || seen.has(en.msg)) continue;
        seen.add(en.msg);
        seqs.push(Number(ids[en.msg]!.split(':')[1]));
      }
      for (let a = 0; a < seqs.length; a++) for (let b = a + 1; b < seqs.length; b++) if (seqs[a]! > seqs[b]!) e.reordered++;
    }
  }

  return {
    history: { runId: 'prop', producers, consumers, finalRead: { isolation: 'read_uncommitted', partitions, records } },
    expected: e,
    ackOffsetMismatches: mismatches,
  };
}

describe('reconcile: property', () => {
  it('metrics equal the counts of the truth the history was generated from', () => {
    fc.assert(
      fc.property(truthArb, ({ messages, foreign, logStart, reverseRecords }) => {
        const b = buildFromTruth(messages, foreign, logStart, reverseRecords);
        const r = reconcile(b.history);
        expect(r.metrics).toEqual(b.expected);
        expect(r.violations).toEqual([]);
        expect(r.ackOffsetMismatches).toBe(b.ackOffsetMismatches);
        const withExamples = EXAMPLE_METRICS.filter((name) => b.expected[name] > 0).sort();
        expect(Object.keys(r.examples).sort()).toEqual(withExamples);
        for (const list of Object.values(r.examples)) {
          expect(list.length).toBeGreaterThan(0);
          expect(list.length).toBeLessThanOrEqual(MAX_EXAMPLES);
        }
      }),
      { numRuns: 300 },
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
    //   100 swapped in the log with seq+8 (same producer and partition): one inversion
    // Every other message: acked, one copy, processed once.
    const perProducer = 50_000;
    const producers: ProducerEvent[][] = [];
    const consumer: ConsumerEvent[] = [];
    const entries: { p: number; key: number; id: string }[] = [];
    let t = 0;
    for (let prod = 0; prod < 4; prod++) {
      const pid = `p${prod}`;
      const ledger: ProducerEvent[] = [];
      producers.push(ledger);
      for (let seq = 0; seq < perProducer; seq++) {
        const p = seq % 8;
        const r = seq % 1000;
        ledger.push({ e: 'attempt', pid, seq, p, t: t++ });
        if (r === 13) continue;
        if (r === 21) {
          ledger.push({ e: 'error', pid, seq, p, code: 'NOT_ENOUGH_REPLICAS', retriable: true, definite: true, t: t++ });
          continue;
        }
        ledger.push({ e: 'ack', pid, seq, p, o: null, t: t++ });
      }
      for (let seq = 0; seq < perProducer; seq++) {
        const p = seq % 8;
        const r = seq % 1000;
        const mid = id(pid, seq);
        if (r === 7 || r === 21) continue;
        // log order within a partition: by seq, producers interleaved; a duplicate right
        // after its first copy; seq % 1000 === 100 right after seq + 8
        const key = r === 100 ? (seq + 8) * 10 + prod + 5 : seq * 10 + prod;
        entries.push({ p, key, id: mid });
        if (r === 33) entries.push({ p, key: key + 4, id: mid });
        if (r !== 55) consumer.push({ e: 'processed', cid: 'c0', id: mid, p, o: 0, t: t++ });
        if (r === 41) consumer.push({ e: 'processed', cid: 'c1', id: mid, p, o: 0, t: t++ });
      }
    }
    entries.sort((a, b) => a.p - b.p || a.key - b.key);
    const records: LogRecord[] = [];
    const next = new Array<number>(8).fill(0);
    for (const en of entries) records.push({ p: en.p, o: next[en.p]!++, id: en.id });
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
      lost: k,
      lostAfterConsume: 0,
      landedUnacked: k,
      logDuplicates: k,
      notProcessed: k,
      processedTwice: k,
      endToEndLost: 2 * k,
      reordered: k,
      unexpected: 0,
      present: 200_000 - 2 * k,
      processed: 200_000 - 3 * k,
      logRecords: 200_000 - 2 * k + k,
    });
    expect(r.violations).toEqual([]);
    expect(r.ackOffsetMismatches).toBe(0);
    // the ids that come after a larger seq: p0:100, p0:1100, ... (the first 20, by producer then seq)
    expect(r.examples.reordered).toEqual(Array.from({ length: MAX_EXAMPLES }, (_, i) => `p0:${i * 1000 + 100}`));
  });
});
