// Consumer agent: a child process in a consumer group. It records what it receives,
// what its application "processed" (after the simulated work), and what it committed,
// in the order the chosen strategy does them.
import { Kafka, logLevel } from 'kafkajs';
import type { MessageId } from '../ledger/events.ts';
import { messageIdParser } from '../ledger/message-id.ts';
import { LedgerWriter } from '../ledger/writer.ts';
import { sleep } from '../util/time.ts';
import type { ConsumerAgentConfig } from '../clients/protocol.ts';
import { classifyError } from '../clients/kafkajs.ts';
import { retryStartup, send } from './io.ts';
import { recordRebalances } from './rebalances.ts';

export { messageIdParser, parseMessageId } from '../ledger/message-id.ts';

export async function runConsumer(cfg: ConsumerAgentConfig, ledger: LedgerWriter, onStop: (fn: (graceMs: number) => Promise<void>) => void): Promise<void> {
  const c = cfg.consumer;
  const idOf = messageIdParser(cfg.runId);
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
    maxWaitTimeInMs: c.fetchMaxWaitMs,
    allowAutoTopicCreation: false,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  let received = 0;
  let processed = 0;
  let commits = 0;
  let busy = false;
  const maxProcessed: Record<number, number> = {};
  const id = cfg.agentId;

  // Auto-commit as the Java client does it: kafkajs would commit after every batch, so
  // the driver keeps the consumed position itself and commits it at the first poll (here:
  // the next fetched batch) after auto.commit.interval.ms, before the group rebalances
  // (the Java client commits in its rebalance path, before it rejoins), and on a graceful
  // close.
  const position = new Map<number, number>();
  const failed = (partitions: number[], err: unknown) => ledger.append({ e: 'commit-failed', agent: id, p: partitions, code: classifyError(err, 0).code, t: Date.now() });
  let lastAutoCommit = Date.now();
  const commitPosition = async (why: string) => {
    lastAutoCommit = Date.now();
    const entries = [...position.entries()];
    if (entries.length === 0) return;
    try {
      await consumer.commitOffsets(entries.map(([partition, next]) => ({ topic: cfg.topic, partition, offset: String(next) })));
      const t = Date.now();
      ledger.appendAll(entries.map(([partition, next]) => ({ e: 'committed' as const, cid: id, p: partition, o: next, t })));
      commits += entries.length;
    } catch (err) {
      failed(entries.map(([partition]) => partition), err);
      process.stderr.write(`[${id}] auto-commit (${why}) failed: ${(err as Error).message}\n`);
    }
  };
  const autoCommit = c.strategy === 'auto-commit';
  // a rebalance noticed between batches: commit the position before the group moves on
  let rebalanceCommit: Promise<void> | undefined;
  recordRebalances(consumer, ledger, id, cfg.topic);
  consumer.on(consumer.events.REBALANCING, () => {
    if (autoCommit) rebalanceCommit = commitPosition('rebalance');
  });
  consumer.on(consumer.events.GROUP_JOIN, () => {
    // partitions may have moved: only positions read from now on are ours to commit
    position.clear();
  });

  // once closing, kafkajs silently skips commits: none may be recorded as made
  let closing = false;
  const commit = async (partition: number, next: number) => {
    if (closing) return;
    try {
      await consumer.commitOffsets([{ topic: cfg.topic, partition, offset: String(next) }]);
      if (closing) return;
      ledger.append({ e: 'committed', cid: id, p: partition, o: next, t: Date.now() });
      commits++;
    } catch (err) {
      // a failed commit is what the application would see: the record stays uncommitted
      failed([partition], err);
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

  await retryStartup('consumer connect', () => consumer.connect());
  await retryStartup('consumer subscribe', () => consumer.subscribe({ topic: cfg.topic, fromBeginning: c.fromBeginning }));
  // kafkajs restarts the consumer after retriable errors; after any other it stops for
  // good, and the agent must not pretend to be consuming
  consumer.on(consumer.events.CRASH, (event) => {
    if (event.payload.restart) return;
    process.stderr.write(`consumer crashed and will not restart: ${event.payload.error.message}\n`);
    send({ type: 'fatal', message: `consumer crashed: ${event.payload.error.message}` });
    setTimeout(() => process.exit(1), 100);
  });
  // up and connected; joining the group may wait for a dead member's session to expire
  send({ type: 'ready' });
  const statsTimer = setInterval(() => send({ type: 'stats', role: 'consumer', received, processed, commits, maxProcessed, busy }), 250);
  // Records arrive a fetched batch at a time (like the records of one poll() in the Java
  // client). commit-then-process commits the whole batch as soon as it arrives;
  // process-then-commit commits after processing it; auto-commit leaves commits to the
  // client's timer.
  // once asked to stop, no new batch is taken; the batch in hand is finished first
  let stopping = false;
  let batchDone: (() => void) | undefined;
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 1,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      const partition = batch.partition;
      if (batch.messages.length === 0 || stopping) return;
      busy = true;
      try {
        if (rebalanceCommit) await rebalanceCommit;
        if (autoCommit && Date.now() - lastAutoCommit >= c.autoCommitIntervalMs) await commitPosition('interval');
        const t = Date.now();
        const items = batch.messages.map((m) => ({ offset: Number(m.offset), mid: idOf(m.value) }));
        ledger.appendAll(items.map((m) => ({ e: 'received' as const, cid: id, id: m.mid, p: partition, o: m.offset, t })));
        received += items.length;
        position.set(partition, items[items.length - 1]!.offset + 1);
        if (c.strategy === 'commit-then-process') await commit(partition, items[items.length - 1]!.offset + 1);
        let done = -1;
        // like a Java poll loop, the records in hand are processed even if the group
        // starts rebalancing or the agent is asked to stop meanwhile; the rebalance is
        // taken up after the batch
        let rebalance: unknown;
        for (const m of items) {
          await process1(partition, m.offset, m.mid);
          resolveOffset(String(m.offset));
          done = m.offset;
          if (rebalance === undefined) {
            try {
              await heartbeat();
            } catch (err) {
              rebalance = err;
            }
          }
        }
        if (c.strategy === 'process-then-commit' && done >= 0) await commit(partition, done + 1);
        // the rebalance path: auto-commit commits what was consumed before the group moves on
        if (rebalance !== undefined && autoCommit) await commitPosition('rebalance');
        if (rebalance !== undefined) throw rebalance;
      } finally {
        busy = false;
        batchDone?.();
      }
    },
  });
  await new Promise<void>((resolve) => {
    onStop(async (graceMs) => {
      stopping = true;
      // a graceful stop never cuts a batch short: its records are processed (and, by
      // process-then-commit, committed) before the consumer leaves
      if (busy) {
        await Promise.race([new Promise<void>((r) => (batchDone = r)), sleep(graceMs)]);
      }
      resolve();
    });
  });
  clearInterval(statsTimer);
  send({ type: 'stats', role: 'consumer', received, processed, commits, maxProcessed, busy });
  // a graceful close: auto-commit commits its position, the group rebalances at once
  if (autoCommit) await commitPosition('close');
  closing = true;
  // bounded: kafkajs can hang in disconnect after a broker came back (its fetchers rebalance in a loop)
  await Promise.race([consumer.disconnect().catch(() => undefined), sleep(10_000)]);
}
