// The order service's own test suite, run against a real 3-broker cluster through
// kafka-chaos: orders keep being placed while the leader of a partition is killed and a
// broker is cut off from the others, and afterwards every order the publisher was told
// was placed must be in the log exactly once and booked by the processor.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterPrerequisites, Ledger, runExperiment, startCluster, type ChaosCluster } from 'kafka-chaos';
import { OrderProcessor, OrderPublisher, type Order } from './orders.ts';

// where a cluster cannot start (no Java, say) the suite skips and says why; in CI it must run
const prereq = clusterPrerequisites();
if (!prereq.ok) {
  if (process.env.CI === 'true') throw new Error(`the example suite needs ${prereq.missing.join(', ')}`);
  console.warn(`skipping the example suite: it needs ${prereq.missing.join(', ')}`);
}

const ORDERS = 600;

describe.skipIf(!prereq.ok)('order processing under broker faults', () => {
  let cluster: ChaosCluster;

  beforeAll(async () => {
    cluster = await startCluster({ brokers: 3, backend: 'local' });
    await cluster.createTopic('orders', { partitions: 3, replicationFactor: 3, config: { 'min.insync.replicas': 2 } });
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('places and books every order despite a leader kill and a network partition', async () => {
    const ledger = new Ledger();
    const processor = new OrderProcessor(cluster.bootstrapServers, async (order) => {
      ledger.processed(order.id);
    });
    await processor.start();
    const publisher = new OrderPublisher(cluster.bootstrapServers);
    await publisher.connect();

    const place = async (i: number) => {
      const order: Order = { id: `order-${i}`, customer: `c${i % 7}`, amountCents: 100 + i };
      ledger.sent(order.id);
      await publisher.place(order).then(
        () => ledger.acked(order.id),
        () => ledger.failed(order.id),
      );
    };
    for (let i = 0; i < ORDERS / 3; i++) await place(i);
    // the leader of partition 0 crashes while orders keep coming
    const kill = await cluster.kill(await cluster.leaderOf('orders', 0));
    expect(kill.resolved).toMatch(/^broker [123]$/);
    for (let i = ORDERS / 3; i < (2 * ORDERS) / 3; i++) await place(i);
    await kill.heal();
    // broker 3 is cut off from brokers 1 and 2 (the clients stay with the majority)
    const split = await cluster.partition([[1, 2], [3]], { clients: 0 });
    expect(split.details?.cut).toContain('b3-replication-from-1');
    for (let i = (2 * ORDERS) / 3; i < ORDERS; i++) await place(i);
    await split.heal();
    await publisher.disconnect();

    // let the processor catch up with every order that landed, then compare with the log
    const deadline = Date.now() + 90_000;
    while (processor.booked.size < ledger.counts.acked && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    await processor.stop();
    const result = await cluster.reconcile('orders', ledger);

    expect(result.acked).toBeGreaterThan(ORDERS * 0.9);
    expect(result.lost).toEqual([]);
    expect(result.logDuplicates).toEqual([]);
    expect(result.unexpected).toEqual([]);
    expect(result.notProcessed).toEqual([]);
    expect(result.processedUnknown).toEqual([]);
  });
});

describe.skipIf(!prereq.ok)('an experiment from a test', () => {
  it('runExperiment runs a YAML-shaped object and returns its result', async () => {
    const result = await runExperiment(
      {
        name: 'example-fault-free',
        cluster: { brokers: 3 },
        topic: { partitions: 3, replicationFactor: 3 },
        workload: { duration: '5s', rate: 200, consumers: 1 },
        profiles: [{ name: 'safe', producer: { acks: 'all', 'enable.idempotence': true }, expect: { lost: 0, notProcessed: 0 } }],
      },
      { backend: 'local', reports: 'reports/examples' },
    );
    const p = result.profiles[0]!;
    expect(p.status).toBe('ok');
    expect(p.metrics!.attempted).toBeGreaterThan(500);
    expect(p.metrics!.lost).toBe(0);
    expect(p.passed).toBe(true);
    expect(result.exitCode).toBe(0);
  });
});
