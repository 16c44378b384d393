// The Watch series from synthetic ledgers and cluster samples: per-second counts and ack
// latency from the ledgers, the cluster sample nearest each second.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSeries, seriesGroupSummary } from '../../harness/watch/series.ts';
import { tempDir } from '../support/cli.ts';

describe('buildSeries', () => {
  it('counts each second from the ledgers and takes the nearest cluster sample', async () => {
    const dir = tempDir('series');
    const start = 1_000_000;
    const lines = (evs: object[]) => evs.map((e) => JSON.stringify(e)).join('\n') + '\n';
    fs.writeFileSync(
      path.join(dir, 'producer-p0.jsonl'),
      lines([
        { e: 'start', agent: 'p0', os: 1, t: start - 10 },
        { e: 'attempt', pid: 'p0', seq: 0, p: 0, t: start + 100 },
        { e: 'attempt', pid: 'p0', seq: 1, p: 1, t: start + 200 },
        { e: 'ack', pid: 'p0', seq: 0, p: 0, o: 0, t: start + 110 },
        // acked in the second second, 1000 ms after it was sent
        { e: 'ack', pid: 'p0', seq: 1, p: 1, o: 0, t: start + 1200 },
        { e: 'attempt', pid: 'p0', seq: 2, p: 2, t: start + 1300 },
        { e: 'retry', pid: 'p0', p: 2, seqs: [2], n: 2, t: start + 1400 },
        { e: 'error', pid: 'p0', seq: 2, p: 2, code: 'X', retriable: true, definite: false, attempts: 2, t: start + 2500 },
      ]) + '{"e":"ack","pid":"p0","se',
    );
    fs.writeFileSync(
      path.join(dir, 'consumer-c0.jsonl'),
      lines([
        { e: 'processed', cid: 'c0', id: 'p0:0', p: 0, o: 0, t: start + 500 },
        { e: 'committed', cid: 'c0', p: 0, o: 1, t: start + 600 },
        { e: 'processed', cid: 'c0', id: 'p0:1', p: 1, o: 0, t: start + 1500 },
        { e: 'commit-failed', agent: 'c0', p: [1], code: 'REQUEST_TIMED_OUT', t: start + 1600 },
        { e: 'rebalance', agent: 'c0', kind: 'revoked', p: [0, 1], t: start + 2100 },
        { e: 'rebalance', agent: 'c0', kind: 'assigned', p: [0], t: start + 2200 },
      ]),
    );
    // a transformer: its committed transactions are commits, its aborted ones failed commits
    fs.writeFileSync(
      path.join(dir, 'transformer-t0.jsonl'),
      lines([
        { e: 'rebalance', agent: 't0', kind: 'assigned', p: [1], t: start + 2300 },
        { e: 'txn', xid: 't0', txn: 0, state: 'abort', offsets: {}, t: start + 1700 },
        { e: 'txn', xid: 't0', txn: 1, state: 'commit', offsets: { 1: 1 }, t: start + 2400 },
        { e: 'rebalance', agent: 't0', kind: 'lost', p: [1], t: start + 2450 },
      ]),
    );
    const samples = [
      { at: start + 450, partitions: { 0: { leader: 1, isr: 3, replicas: 3, urp: false } }, lag: 5 },
      { at: start + 1520, partitions: null, lag: null },
      { at: start + 2480, partitions: { 0: { leader: 2, isr: 2, replicas: 3, urp: true } }, lag: 0 },
    ];
    const points = await buildSeries({ ledgerDir: dir, samples, start, end: start + 2900, consumers: true });
    expect(points).toEqual([
      { t: 0, partitions: samples[0]!.partitions, lag: 5, sent: 2, acked: 1, errors: 0, retries: 0, ackP50: 10, ackP99: 10, processed: 1, commits: 1, commitFailures: 0, rebalances: 0, revocations: 0 },
      { t: 1000, partitions: null, lag: null, sent: 1, acked: 1, errors: 0, retries: 1, ackP50: 1000, ackP99: 1000, processed: 1, commits: 0, commitFailures: 2, rebalances: 0, revocations: 0 },
      { t: 2000, partitions: samples[2]!.partitions, lag: 0, sent: 0, acked: 0, errors: 1, retries: 0, ackP50: null, ackP99: null, processed: 0, commits: 1, commitFailures: 0, rebalances: 2, revocations: 2 },
    ]);
    expect(seriesGroupSummary(points)).toEqual({ commitFailures: { count: 2, firstS: 1, lastS: 1 }, rebalances: 2 });
    // without consumers or transformers, the group's series are n/a
    const noConsumers = await buildSeries({ ledgerDir: dir, samples: [], start, end: start + 1000, consumers: false });
    expect(noConsumers).toEqual([
      { t: 0, partitions: null, lag: null, sent: 2, acked: 1, errors: 0, retries: 0, ackP50: 10, ackP99: 10, processed: null, commits: null, commitFailures: null, rebalances: null, revocations: null },
    ]);
    expect(seriesGroupSummary(noConsumers)).toEqual({});
    // transformers alone: the group's series are counted, processed is n/a
    const transformersOnly = await buildSeries({ ledgerDir: dir, samples: [], start, end: start + 3000, consumers: false, transformers: true });
    expect(transformersOnly.map((x) => [x.processed, x.commits, x.commitFailures, x.rebalances])).toEqual([
      [null, 1, 0, 0],
      [null, 0, 2, 0],
      [null, 1, 0, 2],
    ]);
  });
});
