// Cluster queries the run needs, through the client-facing proxies: topic creation,
// live leader lookup, and the health wait after healing. Backend-independent.
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { HarnessError } from '../util/errors.ts';
import { sleep } from '../util/time.ts';

export interface PartitionState {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
}

export interface HealthReport {
  healthy: boolean;
  waitedMs: number;
  brokersRegistered: number;
  /** partitions of the test topic and of the offsets topic whose ISR is not full, or that have no leader */
  underReplicated: string[];
  detail: string;
}

/**
 * Waits until `count` brokers are registered in the cluster metadata. `fatal` is asked on
 * every round and ends the wait at once with its message (a broker process that died);
 * `describe` adds what the brokers last logged to a timeout.
 */
export async function waitForBrokers(opts: {
  bootstrap: readonly string[];
  count: number;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  fatal: () => string | undefined;
  describe: () => string;
}): Promise<void> {
  const kafka = new Kafka({ clientId: 'kafka-chaos-boot', brokers: [...opts.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const admin = kafka.admin();
  const deadline = Date.now() + opts.timeoutMs;
  let last = '';
  try {
    for (;;) {
      const dead = opts.fatal();
      if (dead) throw new HarnessError(dead);
      try {
        await admin.connect();
        const n = (await admin.describeCluster()).brokers.length;
        if (n === opts.count) return;
        last = `${n} of ${opts.count} brokers registered`;
      } catch (err) {
        last = (err as Error).message;
      }
      if (Date.now() > deadline) {
        throw new HarnessError(`the cluster did not register all ${opts.count} brokers within ${opts.timeoutMs / 1000}s (last: ${last})\n${opts.describe()}`);
      }
      // often: a cluster's start-up waits on this
      await sleep(200, opts.signal);
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export class ClusterAdmin implements AsyncDisposable {
  private readonly admin: Admin;
  private connected = false;

  constructor(bootstrap: readonly string[]) {
    const kafka = new Kafka({
      clientId: 'kafka-chaos-admin',
      brokers: [...bootstrap],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3000,
      requestTimeout: 10_000,
      retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 1000 },
    });
    this.admin = kafka.admin();
  }

  private async ready(): Promise<Admin> {
    if (!this.connected) {
      await this.admin.connect();
      this.connected = true;
    }
    return this.admin;
  }

  async createTopic(opts: { topic: string; partitions: number; replicationFactor: number; config: Record<string, string>; timeoutMs: number }): Promise<void> {
    const admin = await this.ready();
    const deadline = Date.now() + opts.timeoutMs;
    // a cluster that has just formed may not serve metadata for a new topic at once
    const retrying = async <T>(fn: () => Promise<T>): Promise<T> => {
      for (;;) {
        try {
          return await fn();
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await sleep(500);
        }
      }
    };
    const created = await retrying(() => this.createOnce(admin, opts));
    if (!created && !(await retrying(() => this.partitions(opts.topic))).length) throw new HarnessError(`topic ${opts.topic} could not be created`);
    // every replica in sync before the workload starts
    for (;;) {
      const parts = await this.partitions(opts.topic).catch(() => []);
      if (parts.length === opts.partitions && parts.every((p) => p.leader >= 0 && p.isr.length === p.replicas.length)) return;
      if (Date.now() > deadline) throw new HarnessError(`topic ${opts.topic} did not get a full ISR within ${opts.timeoutMs / 1000}s: ${JSON.stringify(parts)}`);
      await sleep(200);
    }
  }

  private async createOnce(admin: Admin, opts: { topic: string; partitions: number; replicationFactor: number; config: Record<string, string>; timeoutMs: number }): Promise<boolean> {
    return admin.createTopics({
      topics: [
        {
          topic: opts.topic,
          numPartitions: opts.partitions,
          replicationFactor: opts.replicationFactor,
          configEntries: Object.entries(opts.config).map(([name, value]) => ({ name, value })),
        },
      ],
      waitForLeaders: true,
      timeout: opts.timeoutMs,
    });
  }

  async partitions(topic: string): Promise<PartitionState[]> {
    const admin = await this.ready();
    const md = await admin.fetchTopicMetadata({ topics: [topic] });
    const t = md.topics.find((x) => x.name === topic);
    if (!t) throw new HarnessError(`topic ${topic} not found in metadata`);
    return t.partitions
      .map((p) => ({ partition: p.partitionId, leader: p.leader, replicas: [...p.replicas], isr: [...p.isr] }))
      .sort((a, b) => a.partition - b.partition);
  }

  /** Moves a partition to these replicas (the first becomes its preferred leader) and waits until the move is done (bounded). */
  async reassign(topic: string, partition: number, replicas: number[], timeoutMs = 60_000): Promise<void> {
    const admin = await this.ready();
    await admin.alterPartitionReassignments({ topics: [{ topic, partitionAssignment: [{ partition, replicas }] }] });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const moving = await admin.listPartitionReassignments({ topics: [{ topic, partitions: [partition] }] });
      if (moving.topics.every((t) => t.partitions.length === 0)) return;
      if (Date.now() > deadline) throw new HarnessError(`the reassignment of ${topic}-${partition} to [${replicas.join(', ')}] did not finish within ${timeoutMs / 1000}s`);
      await sleep(250);
    }
  }

  /** The live leader of a partition (-1 when it has none). */
  async leaderOf(topic: string, partition: number): Promise<number> {
    const p = (await this.partitions(topic)).find((x) => x.partition === partition);
    if (!p) throw new HarnessError(`topic ${topic} has no partition ${partition}`);
    return p.leader;
  }

  async brokerCount(): Promise<number> {
    const admin = await this.ready();
    return (await admin.describeCluster()).brokers.length;
  }

  async offsets(topic: string): Promise<Array<{ partition: number; low: number; high: number }>> {
    const admin = await this.ready();
    const o = await admin.fetchTopicOffsets(topic);
    return o.map((x) => ({ partition: x.partition, low: Number(x.low), high: Number(x.high) })).sort((a, b) => a.partition - b.partition);
  }

  /** The group's committed offset per partition (absent: nothing committed). */
  async committed(groupId: string, topic: string): Promise<Map<number, number>> {
    const admin = await this.ready();
    const res = await admin.fetchOffsets({ groupId, topics: [topic] });
    const out = new Map<number, number>();
    for (const t of res) for (const p of t.partitions) if (Number(p.offset) >= 0) out.set(p.partition, Number(p.offset));
    return out;
  }

  async deleteGroup(groupId: string): Promise<void> {
    const admin = await this.ready();
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }

  /**
   * Waits (bounded) until every broker is registered and every partition of the given
   * topics has a leader and a full ISR. Never throws for an unhealthy cluster: the
   * report says what was still wrong when the time ran out.
   */
  async waitHealthy(opts: { brokers: number; topics: string[]; timeoutMs: number; signal?: AbortSignal }): Promise<HealthReport> {
    const started = Date.now();
    let last: HealthReport = { healthy: false, waitedMs: 0, brokersRegistered: 0, underReplicated: [], detail: 'not checked' };
    for (;;) {
      try {
        const brokersRegistered = await this.brokerCount();
        const underReplicated: string[] = [];
        for (const topic of opts.topics) {
          for (const p of await this.partitions(topic)) {
            if (p.leader < 0 || p.isr.length < p.replicas.length) underReplicated.push(`${topic}-${p.partition} (leader ${p.leader}, isr [${p.isr.join(',')}] of [${p.replicas.join(',')}])`);
          }
        }
        const healthy = brokersRegistered === opts.brokers && underReplicated.length === 0;
        last = {
          healthy,
          waitedMs: Date.now() - started,
          brokersRegistered,
          underReplicated,
          detail: healthy ? 'all brokers registered, every ISR full' : `${brokersRegistered}/${opts.brokers} brokers registered; ${underReplicated.length} partitions not fully in sync`,
        };
        if (healthy) return last;
      } catch (err) {
        last = { ...last, waitedMs: Date.now() - started, detail: `metadata request failed: ${(err as Error).message}` };
      }
      if (Date.now() - started >= opts.timeoutMs || opts.signal?.aborted) return last;
      await sleep(500);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.connected) await this.admin.disconnect().catch(() => undefined);
    this.connected = false;
  }
}
