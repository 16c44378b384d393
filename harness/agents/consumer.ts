// Consumer agent: a child process in a consumer group. It records what it receives,
// what its application "processed" (after the simulated work), and what it committed,
// in the order the chosen strategy does them.
import { Kafka, logLevel } from 'kafkajs';
import type { MessageId, MessagePayload } from '../ledger/events.ts';
import { LedgerWriter } from '../ledger/writer.ts';
import { sleep } from '../util/time.ts';
import type { ConsumerAgentConfig } from './protocol.ts';
import { send } from './protocol.ts';

/** Parses a message value of this run into its id; null for anything else. */
export function parseMessageId(value: Buffer | null, runId: string): MessageId | null {
  if (!value) return null;
  try {
    const m = JSON.parse(value.toString('utf8')) as Partial<MessagePayload>;
    if (m.runId !== runId || typeof m.producerId !== 'string' || typeof m.seq !== 'number') return null;
    return `${m.producerId}:${m.seq}`;
  } catch {
    return null;
  }
}

export async function runConsumer(cfg: ConsumerAgentConfig, ledger: LedgerWriter, onStop: (fn: (graceMs: number) => Promise<void>) => void): Promise<void> {
  const c = cfg.consumer;
  const kafka = new Kafka({
    clientId: `kafka-chaos-${cfg.agentId}`,
    brokers: cfg.bootstrap,
    logLevel: logLevel.WARN,
    connectionTimeout: 3000,
    // bounded, so that a commit to a coordinator that moved fails (and is logged) instead
    // of blocking the consumer; the group then rejoins and finds the new coordinator
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  const consumer = kafka.consumer({
    groupId: cfg.groupId,
    sessionTimeout: c.sessionTimeoutMs,
    heartbeatInterval: c.heartbeatIntervalMs,
    readUncommitted: c.readUncommitted,
    allowAutoTopicCreation: false,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  let received = 0;
  let processed = 0;
  let commits = 0;
  let busy = false;
  const maxProcessed: Record<number, number> = {};
  const id = cfg.agentId;

  consumer.on(consumer.events.COMMIT_OFFSETS, (event) => {
    if (c.strategy !== 'auto-commit') return;
    const t = Date.now();
    for (const topic of event.payload.topics) {
      for (const part of topic.partitions) {
        ledger.append({ e: 'committed', cid: id, p: Number(part.partition), o: Number(part.offset), t });
        commits++;
      }
    }
  });

  const commit = async (partition: number, next: number) => {
    try {
      await consumer.commitOffsets([{ topic: cfg.topic, partition, offset: String(next) }]);
      ledger.append({ e: 'committed', cid: id, p: partition, o: next, t: Date.now() });
      commits++;
    } catch (err) {
      // a failed commit is what the application would see: the record stays uncommitted
      process.stderr.write(`[${id}] commit of partition ${partition} offset ${next} failed: ${(err as Error).message}\n`);
    }
  };

  const process1 = async (partition: number, offset: number, mid: MessageId | null) => {
    if (cfg.processingTimeMs > 0) await sleep(cfg.processingTimeMs);
    ledger.append({ e: 'processed', cid: id, id: mid, p: partition, o: offset, t: Date.now() });
    processed++;
    const prev = maxProcessed[partition];
    if (prev === undefined || offset > prev) maxProcessed[partition] = offset;
  };

  await consumer.connect();
  await consumer.subscribe({ topic: cfg.topic, fromBeginning: c.fromBeginning });
  // up and connected; joining the group may wait for a dead member's session to expire
  send({ type: 'ready' });
  const statsTimer = setInterval(() => send({ type: 'stats', role: 'consumer', received, processed, commits, maxProcessed, busy }), 250);
  await consumer.run({
    autoCommit: c.strategy === 'auto-commit',
    autoCommitInterval: c.strategy === 'auto-commit' ? c.autoCommitIntervalMs : null,
    partitionsConsumedConcurrently: 1,
    eachMessage: async ({ partition, message }) => {
      busy = true;
      try {
        const offset = Number(message.offset);
        const mid = parseMessageId(message.value, cfg.runId);
        ledger.append({ e: 'received', cid: id, id: mid, p: partition, o: offset, t: Date.now() });
        received++;
        if (c.strategy === 'commit-then-process') {
          await commit(partition, offset + 1);
          await process1(partition, offset, mid);
        } else if (c.strategy === 'process-then-commit') {
          await process1(partition, offset, mid);
          await commit(partition, offset + 1);
        } else {
          await process1(partition, offset, mid);
        }
      } finally {
        busy = false;
      }
    },
  });
  await new Promise<void>((resolve) => {
    onStop(async () => {
      resolve();
    });
  });
  clearInterval(statsTimer);
  send({ type: 'stats', role: 'consumer', received, processed, commits, maxProcessed, busy });
  // a graceful leave: auto-commit commits what was processed, the group rebalances at once
  await consumer.disconnect().catch(() => undefined);
}
