// Real agents on one real cluster, driven directly: what a graceful stop and a
// rebalance do to the consumer's ledger. Every count comes from a final read and the
// reconciler, as in a run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsumerEvent } from '../../harness/ledger/events.ts';
import { agentBench, type AgentBench } from '../support/agents.ts';
import { clusterPrerequisites } from '../support/prereq.ts';
import { expectWholeAssignment } from '../support/rebalance.ts';

const prereq = clusterPrerequisites();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `pred` holds for the agent's ledger. */
async function until(bench: AgentBench, agent: string, pred: (events: ConsumerEvent[]) => boolean, timeoutMs = 60_000): Promise<ConsumerEvent[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = await bench.ledger<ConsumerEvent>(agent);
    if (pred(events)) return events;
    if (Date.now() > deadline) throw new Error(`ledger of ${agent} never matched within ${timeoutMs / 1000}s (${events.length} events)`);
    await sleep(20);
  }
}

describe.skipIf(!prereq.ok)('agents on a real cluster', () => {
  let bench: AgentBench;
  beforeAll(async () => {
    bench = await agentBench('it-agents');
  });
  afterAll(async () => {
    await bench?.[Symbol.asyncDispose]();
  });

  it('a graceful stop right after a commit processes every record it received (commit-then-process)', async () => {
    const topic = await bench.topic('stop-after-commit');
    // a log to read in large batches: ~1500 records, then the consumer starts
    const producer = bench.producer('sp0', topic, { rate: 500 });
    await producer.start();
    await sleep(3000);
    await producer.stop(10_000);
    // 3 ms of work per record: a fetched batch of hundreds of records takes about a second
    const consumer = bench.consumer('sc0', topic, 'stop-after-commit', { settings: { strategy: 'commit-then-process' }, processingTimeMs: 3 });
    await consumer.start();
    // the first commit comes as soon as the first batch arrives, before it is processed
    await until(bench, 'sc0', (evs) => evs.some((e) => e.e === 'committed'));
    await consumer.stop(20_000);
    const events = await bench.ledger<ConsumerEvent>('sc0');
    const received = events.filter((e) => e.e === 'received');
    const processed = new Set(events.filter((e) => e.e === 'processed').map((e) => `${e.p}@${e.o}`));
    // the stop came while a committed batch was in hand
    expect(received.length).toBeGreaterThan(100);
    const unprocessed = received.filter((e) => !processed.has(`${e.p}@${e.o}`));
    expect(unprocessed.map((e) => `${e.p}@${e.o}`)).toEqual([]);
    // and the reconciler, over the whole log, agrees: nothing the consumer took in was dropped
    const rec = await bench.reconcile(topic, { producers: ['sp0'], consumers: ['sc0'] });
    expect(rec.violations).toEqual([]);
    expect(rec.metrics.lost).toBe(0);
    expect(rec.metrics.processed).toBe(received.length);
  });

  it('auto-commit commits the consumed position before a rebalance: two consumers, a third joins, nothing is processed twice', async () => {
    const topic = await bench.topic('auto-commit-rebalance', 6);
    const group = 'auto-commit-rebalance';
    const settings = { strategy: 'auto-commit' as const, 'auto.commit.interval.ms': 5000 };
    const c0 = bench.consumer('ac0', topic, group, { settings });
    const c1 = bench.consumer('ac1', topic, group, { settings });
    await Promise.all([c0.start(), c1.start()]);
    const producer = bench.producer('ap0', topic, { rate: 300, partitions: 6 });
    await producer.start();
    // both members consume for a while, well inside one auto-commit interval after the last commit
    await until(bench, 'ac0', (evs) => evs.some((e) => e.e === 'processed'));
    await until(bench, 'ac1', (evs) => evs.some((e) => e.e === 'processed'));
    await sleep(3500);
    const c2 = bench.consumer('ac2', topic, group, { settings });
    await c2.start();
    // the newcomer gets partitions and consumes from where the group committed
    await until(bench, 'ac2', (evs) => evs.some((e) => e.e === 'processed'), 90_000);
    await sleep(3000);
    const settled = Date.now();
    await producer.stop(10_000);
    await bench.drained(topic, [c0, c1, c2]);
    await Promise.all([c0.stop(10_000), c1.stop(10_000), c2.stop(10_000)]);
    for (const c of [c0, c1, c2]) expect(c.deaths).toEqual([]);
    const rec = await bench.reconcile(topic, { producers: ['ap0'], consumers: ['ac0', 'ac1', 'ac2'] });
    expect(rec.violations).toEqual([]);
    expect(rec.metrics.attempted).toBeGreaterThan(1500);
    expect(rec.metrics.lost).toBe(0);
    expect(rec.metrics.notProcessed).toBe(0);
    expect(rec.examples.processedTwice ?? []).toEqual([]);
    expect(rec.metrics.processedTwice).toBe(0);
    // the rebalances are in the ledgers: the first two gave partitions up when the third
    // joined, and the three held all six between them
    const ledgers = await Promise.all(['ac0', 'ac1', 'ac2'].map((a) => bench.ledger<ConsumerEvent>(a)));
    for (const l of ledgers.slice(0, 2)) expect(l.some((e) => e.e === 'rebalance' && e.kind === 'revoked')).toBe(true);
    expectWholeAssignment(ledgers, settled, 6);
  });
});
