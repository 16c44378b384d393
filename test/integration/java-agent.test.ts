// The java client's agents (kafka-clients in a JVM) on one real cluster, driven directly:
// a healthy run reconciles with nothing lost and everything processed, and the manual
// commit modes leave the group's offsets at the end of the log. Counts come from the
// ledgers, a final read and the reconciler, as in a run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommittedEvent, ConsumerEvent, ProducerEvent } from '../../harness/ledger/events.ts';
import { findJavac } from '../../harness/provision/java-agent.ts';
import { readEnvironment } from '../../harness/util/env.ts';
import { agentBench, type AgentBench } from '../support/agents.ts';
import { expectWholeAssignment } from '../support/rebalance.ts';
import { clusterPrerequisites } from '../support/prereq.ts';

const prereq = clusterPrerequisites();
const javac = await findJavac(readEnvironment().javaHome).catch(() => undefined);
const ci = process.env.CI === 'true';
if (!javac && !ci) process.stderr.write('skipping the java agent integration tests: no javac 17+ (install a JDK 17, e.g. openjdk-17-jdk-headless, or set JAVA_HOME)\n');
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

describe.skipIf(!prereq.ok || (!javac && !ci))('java agents on a real cluster', () => {
  let bench: AgentBench;
  beforeAll(async () => {
    bench = await agentBench('it-java', 'java');
  });
  afterAll(async () => {
    await bench?.[Symbol.asyncDispose]();
  });

  it('acks=all, no faults: every attempt is acked, nothing is lost, everything is processed once', async () => {
    expect(bench.client.version).toMatch(/^kafka-clients \d+\.\d+\.\d+ \(Java \d+\)$/);
    const topic = await bench.topic('java-healthy');
    const consumer = bench.consumer('jc0', topic, 'java-healthy', { settings: { strategy: 'process-then-commit' } });
    await consumer.start();
    const producer = bench.producer('jp0', topic, { rate: 500, props: { acks: -1 } });
    await producer.start();
    await sleep(6000);
    await producer.stop(10_000);
    await bench.drained(topic, [consumer]);
    await consumer.stop(10_000);
    expect(producer.deaths).toEqual([]);
    expect(consumer.deaths).toEqual([]);

    const pe = await bench.ledger<ProducerEvent>('jp0');
    const attempts = pe.filter((e) => e.e === 'attempt').length;
    expect(attempts).toBeGreaterThan(2000);
    expect(pe.filter((e) => e.e === 'ack').length).toBe(attempts);
    expect(pe.filter((e) => e.e === 'error')).toEqual([]);
    expect(pe.filter((e) => e.e === 'ack' && e.o === null)).toEqual([]);

    const rec = await bench.reconcile(topic, { producers: ['jp0'], consumers: ['jc0'] });
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
    const committed = await bench.admin.committed('java-healthy', topic);
    for (const p of ends) expect(committed.get(p.partition)).toBe(p.high);
    const ce = await bench.ledger<ConsumerEvent>('jc0');
    const commits = ce.filter((e): e is CommittedEvent => e.e === 'committed');
    for (const p of ends) expect(Math.max(...commits.filter((e) => e.p === p.partition).map((e) => e.o))).toBe(p.high);
  });

  // (async-retry, whose late retries move committed offsets backwards on purpose, is
  // covered by the c3 experiment in clients.test.ts)
  it('commits with workers (in order) and a commit on revoke: a second member joins, nothing is lost or left unprocessed', async () => {
    const topic = await bench.topic('java-commit-modes', 6);
    const group = 'java-commit-modes';
    const settings = { strategy: 'process-then-commit' as const, commit: 'sync' as const, workers: 3, workerCommit: 'in-order' as const, commitOnRevoke: true };
    const c0 = bench.consumer('jw0', topic, group, { settings, processingTimeMs: 1 });
    await c0.start();
    const producer = bench.producer('jwp0', topic, { rate: 400, partitions: 6 });
    await producer.start();
    await sleep(3000);
    const c1 = bench.consumer('jw1', topic, group, { settings, processingTimeMs: 1 });
    await c1.start();
    // the group rebalances (jw0's revoke callback commits what its workers finished) and
    // the newcomer consumes from there
    await until(bench, 'jw1', (evs) => evs.some((e) => e.e === 'processed'), 90_000);
    await sleep(2000);
    const settled = Date.now();
    await producer.stop(10_000);
    await bench.drained(topic, [c0, c1]);
    await sleep(500);
    await Promise.all([c0.stop(10_000), c1.stop(10_000)]);
    for (const a of [producer, c0, c1]) expect(a.deaths).toEqual([]);

    const rec = await bench.reconcile(topic, { producers: ['jwp0'], consumers: ['jw0', 'jw1'] });
    expect(rec.violations).toEqual([]);
    expect(rec.metrics.lost).toBe(0);
    expect(rec.metrics.notProcessed).toBe(0);
    expect(rec.metrics.endToEndLost).toBe(0);
    // both members processed some of it: the rebalance gave the newcomer partitions
    const e0 = await bench.ledger<ConsumerEvent>('jw0');
    const e1 = await bench.ledger<ConsumerEvent>('jw1');
    expect(e0.some((e) => e.e === 'processed')).toBe(true);
    expect(e1.some((e) => e.e === 'processed')).toBe(true);
    // the rebalance is in the ledgers: jw0 gave partitions up, and the two held all six between them
    expect(e0.some((e) => e.e === 'rebalance' && e.kind !== 'assigned' && e.p.length > 0)).toBe(true);
    expectWholeAssignment([e0, e1], settled, 6);
    expect([...e0, ...e1].some((e) => e.e === 'committed')).toBe(true);
    // the last commits reached the end of the log
    const ends = await bench.admin.offsets(topic);
    const committed = await bench.admin.committed(group, topic);
    for (const p of ends) expect(committed.get(p.partition)).toBe(p.high);
  });
});
