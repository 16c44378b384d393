// The order service's own test suite, run against a real 3-broker cluster through
// kafka-chaos: orders keep being placed while the leader of a partition is killed and a
// broker is cut off from the others, and afterwards every order the publisher was told
// was placed must be in the log exactly once and booked by the processor.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
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
    const publisher = new OrderPublisher(cluster.bootstrapServers);
    // whatever happens, neither client outlives the test (both calls are idempotent and bounded)
    onTestFinished(async () => {
      await Promise.all([processor.stop(), publisher.disconnect(10_000)]);
    });
    // each step is bounded and named: a step that hangs fails the test at once, says which
    // it was and where the orders stood, instead of running into the suite's timeout
    const steps = new Steps(() => {
      const c = ledger.counts;
      return `placed ${c.sent}, acknowledged ${c.acked}, failed ${c.failed}, booked ${processor.booked.size}`;
    });

    const place = async (i: number) => {
      const order: Order = { id: `order-${i}`, customer: `c${i % 7}`, amountCents: 100 + i };
      ledger.sent(order.id);
      await publisher.place(order).then(
        () => ledger.acked(order.id),
        () => ledger.failed(order.id),
      );
    };
    const placeRange = async (from: number, to: number) => {
      for (let i = from; i < to; i++) await place(i);
    };
    await steps.run('start the processor', 60_000, () => processor.start());
    await steps.run('connect the publisher', 60_000, () => publisher.connect());
    await steps.run('place the first third of the orders', 60_000, () => placeRange(0, ORDERS / 3));
    // the leader of partition 0 crashes while orders keep coming
    const kill = await steps.run('kill the leader of orders/0', 60_000, async () => cluster.kill(await cluster.leaderOf('orders', 0)));
    expect(kill.resolved).toMatch(/^broker [123]$/);
    await steps.run('place the second third with the leader down', 120_000, () => placeRange(ORDERS / 3, (2 * ORDERS) / 3));
    await steps.run(`restart ${kill.resolved}`, 120_000, () => kill.heal());
    // broker 3 is cut off from brokers 1 and 2 (the clients stay with the majority)
    const split = await steps.run('cut broker 3 off', 60_000, () => cluster.partition([[1, 2], [3]], { clients: 0 }));
    expect(split.details?.cut).toContain('b3-replication-from-1');
    await steps.run('place the last third with broker 3 cut off', 120_000, () => placeRange((2 * ORDERS) / 3, ORDERS));
    await steps.run('heal the partition', 60_000, () => split.heal());
    await steps.run('disconnect the publisher', 30_000, () => publisher.disconnect());

    // let the processor catch up with every order that landed, then compare with the log
    await steps.run('let the processor catch up', 120_000, async () => {
      const deadline = Date.now() + 90_000;
      while (processor.booked.size < ledger.counts.acked && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    });
    await steps.run('stop the processor', 30_000, () => processor.stop());
    const result = await steps.run('heal, read the log and reconcile', 240_000, () => cluster.reconcile('orders', ledger));

    expect(result.acked).toBeGreaterThan(ORDERS * 0.9);
    expect(result.lost).toEqual([]);
    expect(result.logDuplicates).toEqual([]);
    expect(result.unexpected).toEqual([]);
    expect(result.notProcessed, `orders not booked (steps: ${steps.timings()})`).toEqual([]);
    expect(result.processedUnknown).toEqual([]);
  });
});

/** Named, bounded steps of a test, with how long each took. */
class Steps {
  private readonly done: string[] = [];

  constructor(private readonly state: () => string) {}

  async run<T>(name: string, timeoutMs: number, work: () => Promise<T>): Promise<T> {
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`step "${name}" did not finish in ${timeoutMs / 1000} s (${this.state()}; steps before it: ${this.timings()})`)), timeoutMs);
    });
    try {
      return await Promise.race([work(), timeout]);
    } finally {
      clearTimeout(timer);
      this.done.push(`${name} ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  }

  timings(): string {
    return this.done.join(', ') || 'none';
  }
}

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
