// Agent-level tests: real producer and consumer agents against one real local cluster,
// driven directly (no experiment file), then a real final read and the reconciler.
import fs from 'node:fs';
import path from 'node:path';
import { AgentHandle } from '../../harness/agents/handle.ts';
import { clientDriver } from '../../harness/clients/catalogue.ts';
import { withClientProperties, type PreparedClient } from '../../harness/clients/driver.ts';
import type { ClientName } from '../../harness/clients/protocol.ts';
import { resolveConsumer, resolveProducer, type ConsumerSettingsInput, type ProducerPropsInput } from '../../harness/clients/settings.ts';
import type { ConsumerStats } from '../../harness/clients/protocol.ts';
import { ClusterAdmin } from '../../harness/cluster/admin.ts';
import type { Cluster } from '../../harness/cluster/backend.ts';
import { LocalBackend } from '../../harness/cluster/local.ts';
import type { ConsumerEvent, LedgerEvent, ProducerEvent } from '../../harness/ledger/events.ts';
import { readLedger } from '../../harness/ledger/reader.ts';
import { DEFAULT_KAFKA_VERSION } from '../../harness/provision/versions.ts';
import { reconcile } from '../../harness/reconcile/reconcile.ts';
import type { Reconciliation } from '../../harness/reconcile/types.ts';
import { finalRead } from '../../harness/run/final-read.ts';
import { readEnvironment } from '../../harness/util/env.ts';
import { tempDir } from './cli.ts';

export interface AgentBench extends AsyncDisposable {
  /** the client every agent of this bench runs */
  client: PreparedClient;
  cluster: Cluster;
  admin: ClusterAdmin;
  dir: string;
  runId: string;
  /** creates a topic with every replica in sync */
  topic(name: string, partitions?: number): Promise<string>;
  producer(name: string, topic: string, opts: { rate: number; partitions?: number; props?: ProducerPropsInput }): AgentHandle;
  consumer(name: string, topic: string, group: string, opts: { settings: ConsumerSettingsInput; processingTimeMs?: number }): AgentHandle;
  /** the events of one agent's ledger (every incarnation) */
  ledger<T extends LedgerEvent>(agent: string): Promise<T[]>;
  /** waits until the consumers have processed every record of the topic (bounded) */
  drained(topic: string, consumers: AgentHandle[], timeoutMs?: number): Promise<void>;
  /** final read of the topic and reconciliation of every ledger written for it */
  reconcile(topic: string, agents: { producers: string[]; consumers: string[] }): Promise<Reconciliation>;
}

/** Starts a fresh 3-broker local cluster for agent-level tests; the agents run `client` (default kafkajs). */
export async function agentBench(prefix: string, clientName: ClientName = 'kafkajs'): Promise<AgentBench> {
  const driver = clientDriver(clientName);
  const client = await driver.prepare({ kafkaVersion: DEFAULT_KAFKA_VERSION, javaHome: process.env.JAVA_HOME });
  const dir = tempDir(prefix);
  const runId = `${prefix}-${path.basename(dir)}`;
  const backend = new LocalBackend(readEnvironment());
  const cluster = await backend.start({ runId, brokers: 3, kafkaVersion: DEFAULT_KAFKA_VERSION, brokerProperties: {}, dir: path.join(dir, 'cluster'), log: () => undefined });
  const admin = new ClusterAdmin(cluster.bootstrapServers);
  const agents: AgentHandle[] = [];
  const agentDir = path.join(dir, 'agents');
  const ledgerDir = path.join(dir, 'ledgers');
  fs.mkdirSync(agentDir, { recursive: true });
  fs.mkdirSync(ledgerDir, { recursive: true });
  const ledgerFiles = (agent: string) =>
    fs
      .readdirSync(ledgerDir)
      .filter((f) => f === `${agent}.jsonl` || (f.startsWith(`${agent}.r`) && f.endsWith('.jsonl')))
      .sort()
      .map((f) => path.join(ledgerDir, f));
  const ledger = async <T extends LedgerEvent>(agent: string): Promise<T[]> => {
    const out: T[] = [];
    for (const f of ledgerFiles(agent)) out.push(...(await readLedger<T>(f)).events);
    return out;
  };
  return {
    client,
    cluster,
    admin,
    dir,
    runId,
    async topic(name, partitions = 3) {
      await admin.createTopic({ topic: name, partitions, replicationFactor: 3, config: { 'min.insync.replicas': '2' }, timeoutMs: 60_000 });
      return name;
    },
    producer(name, topic, opts) {
      const h = new AgentHandle(
        name,
        withClientProperties(driver, {
          role: 'producer',
          agentId: name,
          runId,
          bootstrap: [...cluster.bootstrapServers],
          topic,
          partitions: opts.partitions ?? 3,
          rate: opts.rate,
          messageSize: 200,
          ledgerFile: path.join(ledgerDir, `${name}.jsonl`),
          client: clientName,
          producer: resolveProducer(opts.props ?? {}),
        }),
        agentDir,
        runId,
        client,
      );
      agents.push(h);
      return h;
    },
    consumer(name, topic, group, opts) {
      const h = new AgentHandle(
        name,
        withClientProperties(driver, {
          role: 'consumer',
          agentId: name,
          runId,
          bootstrap: [...cluster.bootstrapServers],
          topic,
          groupId: group,
          processingTimeMs: opts.processingTimeMs ?? 0,
          ledgerFile: path.join(ledgerDir, `${name}.jsonl`),
          client: clientName,
          consumer: resolveConsumer(opts.settings),
        }),
        agentDir,
        runId,
        client,
      );
      agents.push(h);
      return h;
    },
    ledger,
    async drained(topic, consumers, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const offsets = await admin.offsets(topic);
        const max = new Map<number, number>();
        let busy = false;
        for (const c of consumers) {
          if ((c.stats as ConsumerStats | undefined)?.busy) busy = true;
          for (const [p, o] of c.maxProcessed) max.set(p, Math.max(max.get(p) ?? -1, o));
        }
        if (!busy && offsets.every((p) => p.high === p.low || (max.get(p.partition) ?? -1) >= p.high - 1)) return;
        if (Date.now() > deadline) throw new Error(`consumers did not drain ${topic} within ${timeoutMs / 1000}s: ${JSON.stringify(offsets)} processed to ${JSON.stringify([...max])}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    async reconcile(topic, names) {
      const read = await finalRead({ bootstrap: cluster.bootstrapServers, topic, runId, isolation: 'read_uncommitted', timeoutMs: 60_000 });
      const producers: ProducerEvent[][] = [];
      const consumers: ConsumerEvent[][] = [];
      for (const n of names.producers) producers.push(await ledger<ProducerEvent>(n));
      for (const n of names.consumers) consumers.push(await ledger<ConsumerEvent>(n));
      return reconcile({ runId, producers, consumers, finalRead: read });
    },
    async [Symbol.asyncDispose]() {
      await Promise.allSettled(agents.map((a) => a.kill()));
      await admin[Symbol.asyncDispose]();
      await cluster[Symbol.asyncDispose]();
    },
  };
}
