import { describe, expect, it } from 'vitest';
import { Ledger } from '../../harness/lib/ledger.ts';

describe('the library ledger', () => {
  it('reconciles what the application recorded with the ids in the log', () => {
    const l = new Ledger();
    for (const id of ['o-1', 'o-2', 'o-3', 'o-4', 'o-10']) l.acked(id);
    l.failed('o-5'); // failed, and in the log anyway
    l.failed('o-6'); // failed, not in the log: fine
    l.sent('o-7'); // outcome unknown, landed
    l.sent('o-8'); // outcome unknown, did not land: fine
    for (const id of ['o-1', 'o-2', 'o-3', 'o-10', 'o-5', 'o-7']) l.processed(id);
    l.processed('o-2');
    l.processed('ghost');
    const r = l.reconcile(['o-1', 'o-2', 'o-2', 'o-3', 'o-5', 'o-7', 'o-10', 'stranger', 'o-9']);
    expect(r).toEqual({
      sent: 9,
      acked: 5,
      failed: 2,
      inLog: 8,
      logRecords: 9,
      lost: ['o-4'],
      logDuplicates: ['o-2'],
      unexpected: ['o-9', 'stranger'],
      failedButLanded: ['o-5'],
      landedUnacked: ['o-7'],
      notProcessed: [],
      processedTwice: ['o-2'],
      processedUnknown: ['ghost'],
    });
  });

  it('an ack after a failure wins, a failure after an ack does not; ids sort naturally', () => {
    const l = new Ledger();
    l.failed('a');
    l.acked('a');
    l.acked('b');
    l.failed('b');
    expect(l.counts).toEqual({ sent: 2, acked: 2, failed: 0, processed: 0 });
    const many = new Ledger();
    for (const i of [10, 9, 100, 1]) many.acked(`order-${i}`);
    expect(many.reconcile([]).lost).toEqual(['order-1', 'order-9', 'order-10', 'order-100']);
    expect(many.reconcile(['order-1']).notProcessed).toEqual(['order-1']);
  });
});
