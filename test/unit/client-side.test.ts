// The client-side checks beside the main checker: commits that moved backwards, and the
// transaction checks of consume-transform-produce runs; plus the settings every client
// driver reads and the kafkajs driver's refusals.
import { describe, expect, it } from 'vitest';
import { kafkajsDriver } from '../../harness/clients/kafkajs.ts';
import { resolveConsumer, resolveProducer, DriverRefusal } from '../../harness/clients/settings.ts';
import { transformedValue } from '../../harness/agents/transformer.ts';
import type { CommittedEvent, LogRecord } from '../../harness/ledger/events.ts';
import { backwardCommits } from '../../harness/reconcile/commits.ts';
import { checkTransactions } from '../../harness/reconcile/transactions.ts';

const commit = (cid: string, p: number, o: number, t: number, s?: number): CommittedEvent => (s === undefined ? { e: 'committed', cid, p, o, t } : { e: 'committed', cid, p, o, t, s });

describe('backwardCommits', () => {
  it('one consumer: a success below its own earlier success on the partition', () => {
    const b = backwardCommits([commit('c0', 0, 10, 1), commit('c0', 0, 20, 2), commit('c0', 0, 15, 3), commit('c0', 1, 5, 4), commit('c0', 0, 25, 5)]);
    expect(b).toEqual([{ partition: 0, from: 20, to: 15, consumer: 'c0', t: 3 }]);
  });

  it('across consumers only when the later commit was sent after the earlier one succeeded', () => {
    // c1 sent its 15 at 4, after c0's 20 succeeded at 2: certainly later, backwards
    expect(backwardCommits([commit('c0', 0, 20, 2), commit('c1', 0, 15, 5, 4)])).toEqual([{ partition: 0, from: 20, to: 15, consumer: 'c1', t: 5 }]);
    // c1 sent its 15 at 1, while c0's 20 was in flight: the broker may have applied either first
    expect(backwardCommits([commit('c0', 0, 20, 2), commit('c1', 0, 15, 5, 1)])).toEqual([]);
    // no send time: never compared with another consumer
    expect(backwardCommits([commit('c0', 0, 20, 2), commit('c1', 0, 15, 5)])).toEqual([]);
  });

  it('a move is counted once: the next owner committing its way back up is not counted again', () => {
    const b = backwardCommits([commit('c0', 0, 500, 1), commit('c0', 0, 400, 2), commit('c1', 0, 410, 4, 3), commit('c1', 0, 490, 6, 5), commit('c1', 0, 520, 8, 7), commit('c0', 0, 450, 10)]);
    expect(b).toEqual([
      { partition: 0, from: 500, to: 400, consumer: 'c0', t: 2 },
      // c0's own 450 after its 400: not below anything c0 committed since the move; c1's 520 was not proven before it (no s)
    ]);
    // a second, separate move is counted again
    expect(backwardCommits([commit('c0', 0, 500, 1), commit('c0', 0, 400, 2), commit('c0', 0, 600, 3), commit('c0', 0, 550, 4)])).toHaveLength(2);
  });

  it('orders by the time the commits succeeded, not by ledger', () => {
    expect(backwardCommits([commit('c0', 0, 20, 5), commit('c0', 0, 30, 1)])).toHaveLength(1);
    expect(backwardCommits([commit('c0', 0, 20, 1), commit('c0', 0, 20, 2)])).toHaveLength(0);
  });
});

describe('checkTransactions', () => {
  const rec = (p: number, o: number, id: string | null, k?: string): LogRecord => (k === undefined ? { p, o, id } : { p, o, id, k });
  const input = [rec(0, 0, 'p0:0'), rec(0, 1, 'p0:1'), rec(0, 2, 'p0:2'), rec(0, 3, 'p0:3')];
  const consumed = (id: string, o: number) => ({ e: 'consumed', xid: 't0', id, p: 0, o, t: 1 });

  it('exactly once: every consumed input once in the committed output, no aborted record', () => {
    const out = checkTransactions({
      events: [consumed('p0:0', 0), consumed('p0:1', 1), { e: 'txn', xid: 't0', txn: 0, state: 'commit', offsets: { 0: 2 }, t: 2 }],
      input: input.slice(0, 2),
      committed: [rec(0, 0, 'p0:0', 't0:0'), rec(0, 1, 'p0:1', 't0:0')],
      uncommitted: [rec(0, 0, 'p0:0', 't0:0'), rec(0, 1, 'p0:1', 't0:0')],
      groupOffsets: new Map([[0, 2]]),
    });
    expect(out).toMatchObject({ outputDuplicates: 0, outputMissing: 0, abortedRead: 0, offsetsPastUnprocessed: 0, committedTxns: 1, abortedTxns: 0, uncommittedOnly: 0 });
  });

  it('finds duplicates, missing output, aborted reads and offsets committed past unprocessed input', () => {
    const out = checkTransactions({
      events: [
        consumed('p0:0', 0),
        consumed('p0:1', 1),
        consumed('p0:2', 2),
        { e: 'txn', xid: 't0', txn: 0, state: 'abort', offsets: {}, t: 2 },
        { e: 'txn', xid: 't0', txn: 1, state: 'commit', offsets: { 0: 4 }, t: 3 },
      ],
      input,
      // p0:0 twice; p0:1 from aborted transaction 0 (visible: an aborted read); p0:2 and p0:3 missing
      committed: [rec(0, 0, 'p0:0', 't0:1'), rec(0, 1, 'p0:0', 't0:1'), rec(0, 2, 'p0:1', 't0:0')],
      uncommitted: [rec(0, 0, 'p0:0', 't0:1'), rec(0, 1, 'p0:0', 't0:1'), rec(0, 2, 'p0:1', 't0:0'), rec(0, 4, 'p0:2', 't0:0')],
      groupOffsets: new Map([[0, 4]]),
    });
    expect(out.outputDuplicates).toBe(1);
    expect(out.abortedRead).toBe(1);
    expect(out.outputMissing).toBe(1); // p0:2 was consumed; p0:3 never was
    expect(out.offsetsPastUnprocessed).toBe(2); // p0:2 and p0:3 lie below the committed 4
    expect(out.uncommittedOnly).toBe(1);
    expect(out.examples.outputMissing).toEqual(['p0:2 (input p0:2)']);
  });
});

describe('checkTransactions with a producer duplicate in the input', () => {
  const rec = (p: number, o: number, id: string, k?: string): LogRecord => (k === undefined ? { p, o, id } : { p, o, id, k });
  it('an id the input holds twice owes two output records: not a duplicate, and one of them missing is missing', () => {
    const events = [
      { e: 'consumed', xid: 't0', id: 'p0:0', p: 0, o: 0, t: 1 },
      { e: 'consumed', xid: 't0', id: 'p0:0', p: 0, o: 1, t: 1 },
    ];
    const input = [rec(0, 0, 'p0:0'), rec(0, 1, 'p0:0')];
    const both = checkTransactions({ events, input, committed: [rec(0, 0, 'p0:0', 't0:0'), rec(0, 1, 'p0:0', 't0:0')], uncommitted: [], groupOffsets: new Map([[0, 2]]) });
    expect([both.outputDuplicates, both.outputMissing, both.offsetsPastUnprocessed]).toEqual([0, 0, 0]);
    const one = checkTransactions({ events, input, committed: [rec(0, 0, 'p0:0', 't0:0')], uncommitted: [], groupOffsets: new Map([[0, 2]]) });
    expect([one.outputDuplicates, one.outputMissing, one.offsetsPastUnprocessed]).toEqual([0, 1, 1]);
    const three = checkTransactions({ events, input, committed: [rec(0, 0, 'p0:0'), rec(0, 1, 'p0:0'), rec(0, 2, 'p0:0')], uncommitted: [], groupOffsets: new Map([[0, 2]]) });
    expect(three.outputDuplicates).toBe(1);
  });
});

describe('client settings', () => {
  it('modes default to an asynchronous checked send, commitSync and one worker', () => {
    expect(resolveProducer({}).mode).toBe('async');
    const c = resolveConsumer({ strategy: 'process-then-commit' });
    expect([c.commit, c.commitOnRevoke, c.workers, c.workerCommit, c.maxPollRecords]).toEqual(['sync', false, 1, 'in-order', null]);
  });

  it('refuses what Kafka or the modes themselves refuse, naming the key', () => {
    const refusal = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e instanceof DriverRefusal ? e.key : 'other';
      }
      return 'none';
    };
    expect(refusal(() => resolveProducer({ 'transactional.id': 'x', 'enable.idempotence': false }))).toBe('transactional.id');
    expect(refusal(() => resolveConsumer({ strategy: 'auto-commit', commit: 'async' }))).toBe('commit');
    expect(refusal(() => resolveConsumer({ strategy: 'process-then-commit', workerCommit: 'ahead' }))).toBe('workerCommit');
    expect(resolveProducer({ 'transactional.id': 'x' }).idempotent).toBe(true);
  });

  it('kafkajs refuses asynchronous commits, commits on revoke, workers and max.poll.records, with the reason', () => {
    const base = { producer: resolveProducer({}), roles: ['producer', 'consumer'] as const };
    const keys = (c: Parameters<typeof resolveConsumer>[0]) => kafkajsDriver.refusals({ ...base, consumer: resolveConsumer(c) }).map((r) => r.key);
    expect(keys({ strategy: 'process-then-commit' })).toEqual([]);
    expect(keys({ strategy: 'process-then-commit', commit: 'async-retry' })).toEqual(['consumer.commit']);
    expect(keys({ strategy: 'process-then-commit', commitOnRevoke: true })).toEqual(['consumer.commitOnRevoke']);
    expect(keys({ strategy: 'process-then-commit', workers: 4 })).toEqual(['consumer.workers']);
    expect(keys({ strategy: 'process-then-commit', 'max.poll.records': 10 })).toEqual(['consumer.max.poll.records']);
    // without consumers, consumer settings are not its business
    expect(kafkajsDriver.refusals({ producer: resolveProducer({}), consumer: resolveConsumer({ strategy: 'process-then-commit', commit: 'async' }), roles: ['producer'] })).toEqual([]);
  });

  it('the transformer adds who wrote the output record and in which transaction', () => {
    expect(transformedValue('{"runId":"r","producerId":"p0","seq":1,"sentAt":5}', 't0', 3)).toBe('{"runId":"r","producerId":"p0","seq":1,"sentAt":5,"by":"t0","txn":3}');
  });
});

describe('the agent protocol', () => {
  it('a stdout line is a message only when it is a JSON object with a string type; anything else is a log line', async () => {
    const { parseAgentLine } = await import('../../harness/clients/protocol.ts');
    expect(parseAgentLine('{"type":"ready"}')).toEqual({ type: 'ready' });
    expect(parseAgentLine('  {"type":"stats","role":"producer","attempted":1,"acked":1,"errors":0,"inFlight":0,"queued":0}  ')).toMatchObject({ type: 'stats', role: 'producer' });
    expect(parseAgentLine('{"level":"WARN","message":"x"}')).toBeNull();
    expect(parseAgentLine('{"type":')).toBeNull();
    expect(parseAgentLine('[main] INFO something')).toBeNull();
    expect(parseAgentLine('')).toBeNull();
  });
});
