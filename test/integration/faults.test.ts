// Fault catalogue entries against a real cluster, checked on the brokers' own files.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultWorld } from '../../harness/faults/fault.ts';
import { logEnd, readCheckpoint } from '../../harness/faults/power-loss-disk.ts';
import { powerOff } from '../../harness/faults/types/power-loss.ts';
import { faultType } from '../../harness/faults/catalogue.ts';
import { linkLayout } from '../../harness/cluster/links.ts';
import { ClusterAdmin } from '../../harness/cluster/admin.ts';
import { Kafka, logLevel } from 'kafkajs';
import { agentBench, type AgentBench } from '../support/agents.ts';
import { clusterPrerequisites } from '../support/prereq.ts';

const prereq = clusterPrerequisites();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!prereq.ok)('fault catalogue on a real cluster', () => {
  let bench: AgentBench;
  beforeAll(async () => {
    bench = await agentBench('it-faults');
  });
  afterAll(async () => {
    await bench?.[Symbol.asyncDispose]();
  });

  it('broker.power-loss truncates every partition log of the broker to the recovery point of its checkpoint file, and leaves the metadata log alone', async () => {
    const admin = bench.admin;
    // one topic fsyncs every write, one leaves flushing to the OS
    await admin.createTopic({ topic: 'flushed', partitions: 2, replicationFactor: 3, config: { 'min.insync.replicas': '2', 'flush.messages': '1' }, timeoutMs: 60_000 });
    await admin.createTopic({ topic: 'unflushed', partitions: 2, replicationFactor: 3, config: { 'min.insync.replicas': '2' }, timeoutMs: 60_000 });
    const pf = bench.producer('pf', 'flushed', { rate: 400, partitions: 2 });
    const pu = bench.producer('pu', 'unflushed', { rate: 400, partitions: 2 });
    await Promise.all([pf.start(), pu.start()]);
    await sleep(4000);
    await Promise.all([pf.stop(10_000), pu.stop(10_000)]);
    const target = 1;
    const dataDir = bench.cluster.dataDir!(target);
    const before = (dir: string) => logEnd(path.join(dataDir, dir));
    const ends = Object.fromEntries(['flushed-0', 'flushed-1', 'unflushed-0', 'unflushed-1'].map((d) => [d, before(d)]));
    const metadataBefore = logEnd(path.join(dataDir, '__cluster_metadata-0'));
    const world: FaultWorld = {
      cluster: bench.cluster,
      partitions: () => admin.partitions('flushed'),
      activeController: async () => 1,
      agent: () => undefined,
      elapsed: () => 0,
      log: () => undefined,
      signal: new AbortController().signal,
    };
    const parts = await powerOff([target], world);
    expect(bench.cluster.state(target)).toBe('stopped');
    const checkpoint = readCheckpoint(path.join(dataDir, 'recovery-point-offset-checkpoint'));
    for (const dir of ['flushed-0', 'flushed-1', 'unflushed-0', 'unflushed-1']) {
      const rp = checkpoint.get(dir) ?? 0;
      // exactly to the checkpointed recovery point: the log end on disk is the recovery point
      expect(logEnd(path.join(dataDir, dir)), dir).toBe(Math.min(rp, ends[dir]!));
      const report = parts.find((p) => p.partition === `broker ${target} ${dir}`)!;
      expect(report.logEndBefore, dir).toBe(ends[dir]);
      expect(report.logEndAfter, dir).toBe(logEnd(path.join(dataDir, dir)));
    }
    // every write of the flushed topic was fsynced before its ack: nothing of it was dropped
    expect(logEnd(path.join(dataDir, 'flushed-0'))).toBe(ends['flushed-0']);
    expect(ends['flushed-0']).toBeGreaterThan(200);
    // the unflushed topic was never fsynced (no segment rolled): all of it is gone
    expect(logEnd(path.join(dataDir, 'unflushed-0'))).toBe(0);
    expect(ends['unflushed-0']).toBeGreaterThan(200);
    // the KRaft metadata log is not truncated (it may only have grown while the broker was cut off)
    expect(metadataBefore).toBeGreaterThan(0);
    expect(logEnd(path.join(dataDir, '__cluster_metadata-0'))).toBeGreaterThanOrEqual(metadataBefore);
    // the broker comes back on its truncated log and rejoins
    await bench.cluster.start(target);
    const deadline = Date.now() + 90_000;
    for (;;) {
      const parts2 = await admin.partitions('unflushed').catch(() => []);
      if (parts2.length === 2 && parts2.every((p) => p.isr.length === 3)) break;
      if (Date.now() > deadline) throw new Error(`broker ${target} did not rejoin the ISR: ${JSON.stringify(parts2)}`);
      await sleep(500);
    }
  });

  it('network.partition cuts exactly the links across groups, both ways: a produce through a cut link fails, through an uncut one succeeds, and the ISR splits until the heal', async () => {
    const admin = bench.admin;
    const topic = await bench.topic('partitioned', 3);
    const world: FaultWorld = {
      cluster: bench.cluster,
      partitions: () => admin.partitions(topic),
      activeController: async () => 1,
      agent: () => undefined,
      elapsed: () => 0,
      log: () => undefined,
      signal: new AbortController().signal,
    };
    const partition = faultType('network.partition');
    // broker 1 alone; the clients stay with brokers 2 and 3
    const spec = { action: 'network.partition', at: 0, index: 0, atMs: 0, groups: [[1], [2, 3]], partition: 0, clients: 1 };
    const applied = await partition.apply(spec as Parameters<typeof partition.apply>[0], world);
    const expected = linkLayout([1, 2, 3])
      .filter((l) => (l.from === 'clients' ? l.to === 1 : (l.to === 1) !== (l.from === 1)))
      .map((l) => l.name)
      .sort();
    expect([...(applied.details!.cut as string[])].sort()).toEqual(expected);
    // Toxiproxy holds exactly that: the cut links disabled, every other link up
    const proxies = await bench.cluster.toxiproxy.proxies();
    const disabled = Object.entries(proxies).filter(([, p]) => !p.enabled).map(([n]) => n).sort();
    expect(disabled).toEqual(expected);
    expect(Object.keys(proxies).length).toBe(linkLayout([1, 2, 3]).length);
    // a client through the cut link to broker 1 cannot even get metadata; through broker 2 it writes
    const [b1, b2] = bench.cluster.bootstrapServers;
    const through = (broker: string) => new Kafka({ clientId: 'it-partition', brokers: [broker], logLevel: logLevel.NOTHING, connectionTimeout: 2000, requestTimeout: 5000, retry: { retries: 1 } });
    const cutAdmin = through(b1!).admin();
    await expect(cutAdmin.connect().then(() => cutAdmin.fetchTopicMetadata({ topics: [topic] }))).rejects.toThrow();
    await cutAdmin.disconnect().catch(() => undefined);
    // broker 1 loses its replicas' fetches and its controller: the ISR of every partition drops it
    // (watched, like everything while the partition lasts, only through the links that are up)
    const [, , b3] = bench.cluster.bootstrapServers;
    await using uncut = new ClusterAdmin([b2!, b3!]);
    const deadline = Date.now() + 60_000;
    let parts = await uncut.partitions(topic).catch(() => []);
    while (!(parts.length === 3 && parts.every((p) => !p.isr.includes(1) && p.leader !== 1))) {
      if (Date.now() > deadline) throw new Error(`broker 1 stayed in an ISR or led a partition: ${JSON.stringify(parts)}`);
      await sleep(500);
      parts = await uncut.partitions(topic).catch(() => []);
    }
    const producer = new Kafka({ clientId: 'it-partition', brokers: [b2!], logLevel: logLevel.NOTHING, connectionTimeout: 2000, requestTimeout: 10_000, retry: { retries: 8 } }).producer();
    await producer.connect();
    const acks = await producer.send({ topic, acks: -1, messages: [0, 1, 2].map((p) => ({ partition: p, value: `through an uncut link ${p}` })) });
    expect(acks).toHaveLength(3);
    await producer.disconnect();
    // the heal brings every link back and broker 1 into every ISR again
    await applied.undo();
    const proxiesAfter = await bench.cluster.toxiproxy.proxies();
    expect(Object.values(proxiesAfter).every((p) => p.enabled)).toBe(true);
    const healed = Date.now() + 90_000;
    while (!(await admin.partitions(topic)).every((p) => p.isr.length === 3)) {
      if (Date.now() > healed) throw new Error('broker 1 did not rejoin every ISR after the heal');
      await sleep(500);
    }
  });
  it('network.partition also cuts the KRaft quorum: the active controller cut off from the others is replaced by one of them', async () => {
    // the followers learn the leader's controller endpoint from the leader itself (KIP-853):
    // if that endpoint were not behind the proxies, their Raft link would survive the cut
    // and the lone leader would stay the active controller for good
    const lone = await bench.cluster.activeController!();
    const others = bench.cluster.brokerIds.filter((id) => id !== lone);
    const world: FaultWorld = {
      cluster: bench.cluster,
      partitions: async () => [],
      activeController: async () => lone,
      agent: () => undefined,
      elapsed: () => 0,
      log: () => undefined,
      signal: new AbortController().signal,
    };
    const partition = faultType('network.partition');
    const spec = { action: 'network.partition', at: 0, index: 0, atMs: 0, groups: [[lone], others], partition: 0, clients: 1 };
    const applied = await partition.apply(spec as Parameters<typeof partition.apply>[0], world);
    try {
      const deadline = Date.now() + 60_000;
      let active = lone;
      while (active === lone) {
        if (Date.now() > deadline) throw new Error(`broker ${lone}, cut off from ${others.join(' and ')}, was still the active controller after 60 s`);
        await sleep(1000);
        active = await bench.cluster.activeController!().catch(() => lone);
      }
      expect(others).toContain(active);
    } finally {
      await applied.undo();
    }
    await using admin = new ClusterAdmin(bench.cluster.bootstrapServers);
    const healthy = await admin.waitHealthy({ brokers: 3, topics: [], timeoutMs: 90_000 });
    expect(healthy.healthy, healthy.detail).toBe(true);
  });
});
