// The librdkafka client's agents (@confluentinc/kafka-javascript's native API) on one real
// cluster, driven directly: a healthy run reconciles with nothing lost and everything
// processed, and asynchronous commits with workers and a commit on revoke leave the
// group's offsets at the end of the log. Counts come from the ledgers, a final read and
// the reconciler, as in a run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLibrdkafka } from '../../harness/clients/librdkafka/driver.ts';
import type { CommittedEvent, ConsumerEvent, ProducerEvent } from '../../harness/ledger/events.ts';
import { readEnvironment } from '../../harness/util/env.ts';
import { agentBench, type AgentBench } from '../support/agents.ts';
import { expectWholeAssignment } from '../support/rebalance.ts';
import { clusterPrerequisites } from '../support/prereq.ts';

const prereq = clusterPrerequisites();
// the native module is an optional dependency built from source: CI builds it (.ci/run),
// a user's machine without it skips these tests with the reason
const native = await loadLibrdkafka().then(
  () => ({ ok: true, reason: '' }),
  (err: Error) => ({ ok: false, reason: err.message }),
);
if (!native.ok) {
  if (readEnvironment().ci) throw new Error(`${native.reason}; and CI=true: the librdkafka agent tests must run in CI, not skip`);
  process.stderr.write(`skipping the librdkafka agent integration tests: ${native.reason}\n`);
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `pred` holds for the agent's ledger. */
async function until(bench: AgentBench, agent: string, pred: (events: ConsumerEvent[]) => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = await bench.ledger<ConsumerEvent>(agent);
    if (pred(events)) return;
    if (Date.now() > deadline) throw new Error(`ledger of ${agent} never matched within ${timeoutMs / 1000}s (${events.length} events)`);
    await sleep(100);
  }
}

describe.skipIf(!prereq.ok || !native.ok)('librdkafka agents on a real cluster', () => {
  let bench: AgentBench;
  beforeAll(async () => {
    bench = await agentBench('it-librdkafka', 'librdkafka');
  });
  afterAll(async () => {
    await bench?.[Symbol.asyncDispose]();
  });

  it('acks=all, no faults: every attempt is acked with its offset, nothing is lost, everything is processed once', async () => {
    expect(bench.client.version).toMatch(/^librdkafka \d+\.\d+\.\d+\S* \(@confluentinc\/kafka-javascript \d+\.\d+\.\d+\S*\)$/);
    const topic = await bench.topic('rdk-healthy');
    const consumer = bench.consumer('rc0', topic, 'rdk-healthy', { settings: { strategy: 'process-then-commit' } });
    await consumer.start();
    const producer = bench.producer('rp0', topic, { rate: 500, props: { acks: -1 } });
    await producer.start();
    await sleep(6000);
    await producer.stop(10_000);
    await bench.drained(topic, [consumer]);
    await consumer.stop(10_000);
    expect(producer.deaths).toEqual([]);
    expect(consumer.deaths).toEqual([]);

    const pe = await bench.ledger<ProducerEvent>('rp0');
    const attempts = pe.filter((e) => e.e === 'attempt').length;
    expect(attempts).toBeGreaterThan(2000);
    expect(pe.filter((e) => e.e === 'ack').length).toBe(attempts);
    expect(pe.filter((e) => e.e === 'error')).toEqual([]);
    expect(pe.filter((e) => e.e === 'ack' && e.o === null)).toEqual([]);

    const rec = await bench.reconcile(topic, { producers: ['rp0'], consumers: ['rc0'] });
    expect(rec.violations).toEqual([]);
    expect(rec.metrics.attempted).toBe(attempts);
    expect(rec.metrics.acked).toBe(attempts);
    expect(rec.metrics.lost).toBe(0);
    expect(rec.metrics.unknown).toBe(0);
    expect(rec.metrics.logDuplicates).toBe(0);
    expect(rec.metrics.notProcessed).toBe(0);
    expect(rec.metrics.processedTwice).toBe(0);
    expect(rec.metrics.processed).toBe(attempts);
    // process-then-commit, sync: the group ends at the end of the log, each commit recorded
    const ends = await bench.admin.offsets(topic);
    const committed = await bench.admin.committed('rdk-healthy', topic);
    for (const p of ends) expect(committed.get(p.partition)).toBe(p.high);
    const ce = await bench.ledger<ConsumerEvent>('rc0');
    const commits = ce.filter((e): e is CommittedEvent => e.e === 'committed');
    for (const p of ends) expect(Math.max(...commits.filter((e) => e.p === p.partition).map((e) => e.o))).toBe(p.high);
  });

  it('commitAsync with workers (in order) and a commit on revoke: a second member joins, nothing is lost or left unprocessed', async () => {
    const topic = await bench.topic('rdk-commit-async', 6);
    const group = 'rdk-commit-async';
    const settings = { strategy: 'process-then-commit' as const, commit: 'async' as const, workers: 3, workerCommit: 'in-order' as const, commitOnRevoke: true };
    const c0 = bench.consumer('rw0', topic, group, { settings, processingTimeMs: 1 });
    await c0.start();
    const producer = bench.producer('rwp0', topic, { rate: 400, partitions: 6 });
    await producer.start();
    await sleep(3000);
    const c1 = bench.consumer('rw1', topic, group, { settings, processingTimeMs: 1 });
    await c1.start();
    // the group rebalances (rw0's rebalance callback commits what its workers finished
    // before it lets the partitions go) and the newcomer consumes from there
    await until(bench, 'rw1', (evs) => evs.some((e) => e.e === 'processed'), 90_000);
    await sleep(2000);
    const settled = Date.now();
    await producer.stop(10_000);
    await bench.drained(topic, [c0, c1]);
    // the last asynchronous commits land
    await sleep(1000);
    await Promise.all([c0.stop(10_000), c1.stop(10_000)]);
    for (const a of [producer, c0, c1]) expect(a.deaths).toEqual([]);

    const rec = await bench.reconcile(topic, { producers: ['rwp0'], consumers: ['rw0', 'rw1'] });
    expect(rec.violations).toEqual([]);
    expect(rec.metrics.lost).toBe(0);
    expect(rec.metrics.notProcessed).toBe(0);
    expect(rec.metrics.endToEndLost).toBe(0);
    const e0 = await bench.ledger<ConsumerEvent>('rw0');
    const e1 = await bench.ledger<ConsumerEvent>('rw1');
    expect(e0.some((e) => e.e === 'processed')).toBe(true);
    expect(e1.some((e) => e.e === 'processed')).toBe(true);
    // the rebalance is in the ledgers: rw0 gave partitions up, and the two held all six between them
    expect(e0.some((e) => e.e === 'rebalance' && e.kind !== 'assigned' && e.p.length > 0)).toBe(true);
    expectWholeAssignment([e0, e1], settled, 6);
    // committed events come from offset_commit_cb, only for commits that succeeded
    expect([...e0, ...e1].some((e) => e.e === 'committed')).toBe(true);
    // the last commits reached the end of the log, and the ledgers say so
    const ends = await bench.admin.offsets(topic);
    const committed = await bench.admin.committed(group, topic);
    const commits = [...e0, ...e1].filter((e): e is CommittedEvent => e.e === 'committed');
    for (const p of ends) {
      expect(committed.get(p.partition)).toBe(p.high);
      expect(Math.max(...commits.filter((e) => e.p === p.partition).map((e) => e.o))).toBe(p.high);
    }
  });
});
