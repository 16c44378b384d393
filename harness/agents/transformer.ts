// Transformer agent (kafkajs): consume-transform-produce in transactions. Each fetched
// batch of one input partition is one transaction: the output records (one per input
// record, same partition number), then the consumer position sent with the transaction,
// then the commit. A failure aborts the transaction and the batch is read again.
import { Kafka, logLevel } from 'kafkajs';
import type { TransformerAgentConfig } from '../clients/protocol.ts';
import type { LedgerEvent } from '../ledger/events.ts';
import { LedgerWriter } from '../ledger/writer.ts';
import { sleep } from '../util/time.ts';
import { messageIdParser, transformedValue } from '../ledger/message-id.ts';
import { retryStartup, send } from './io.ts';
import { recordRebalances } from './rebalances.ts';

export { transformedValue } from '../ledger/message-id.ts';

export async function runTransformer(cfg: TransformerAgentConfig, ledger: LedgerWriter, onStop: (fn: (graceMs: number) => Promise<void>) => void): Promise<void> {
  const c = cfg.consumer;
  const p = cfg.producer;
  const xid = cfg.agentId;
  const idOf = messageIdParser(cfg.runId);
  const kafka = new Kafka({
    clientId: `kafka-chaos-${xid}`,
    brokers: cfg.bootstrap,
    logLevel: logLevel.WARN,
    connectionTimeout: 3000,
    requestTimeout: p.requestTimeoutMs,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  const newProducer = () => kafka.producer({ transactionalId: cfg.transactionalId, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  let producer = newProducer();
  const consumer = kafka.consumer({
    groupId: cfg.groupId,
    sessionTimeout: c.sessionTimeoutMs,
    heartbeatInterval: c.heartbeatIntervalMs,
    readUncommitted: false,
    maxWaitTimeInMs: c.fetchMaxWaitMs,
    allowAutoTopicCreation: false,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  let consumed = 0;
  let produced = 0;
  let committedTxns = 0;
  let abortedTxns = 0;
  let busy = false;
  let txnNo = 0;
  const maxProcessed: Record<number, number> = {};

  await retryStartup('transactional producer connect', () => producer.connect());
  await retryStartup('consumer connect', () => consumer.connect());
  await retryStartup('consumer subscribe', () => consumer.subscribe({ topic: cfg.inputTopic, fromBeginning: c.fromBeginning }));
  recordRebalances(consumer, ledger, xid, cfg.inputTopic);
  consumer.on(consumer.events.CRASH, (event) => {
    if (event.payload.restart) return;
    send({ type: 'fatal', message: `consumer crashed: ${event.payload.error.message}` });
    setTimeout(() => process.exit(1), 100);
  });
  send({ type: 'ready' });
  const stats = () => send({ type: 'stats', role: 'transformer', consumed, produced, committedTxns, abortedTxns, maxProcessed, busy });
  const statsTimer = setInterval(stats, 250);

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
      const n = txnNo++;
      let txn: Awaited<ReturnType<typeof producer.transaction>> | undefined;
      try {
        txn = await producer.transaction();
        const t = Date.now();
        const items = batch.messages.map((m) => ({ offset: Number(m.offset), mid: idOf(m.value), value: m.value?.toString('utf8') ?? '' }));
        ledger.appendAll(items.map((m): LedgerEvent => ({ e: 'consumed', xid, id: m.mid, p: partition, o: m.offset, t })));
        consumed += items.length;
        if (cfg.processingTimeMs > 0) await sleep(cfg.processingTimeMs * items.length);
        const ours = items.filter((m) => m.mid !== null);
        const tp = Date.now();
        ledger.appendAll(ours.map((m): LedgerEvent => ({ e: 'produced', xid, id: m.mid!, p: partition, txn: n, t: tp })));
        await txn.send({ topic: cfg.outputTopic, acks: -1, messages: ours.map((m) => ({ partition, key: `${xid}:${n}`, value: transformedValue(m.value, xid, n) })) });
        produced += ours.length;
        const next = items[items.length - 1]!.offset + 1;
        await txn.sendOffsets({ consumerGroupId: cfg.groupId, topics: [{ topic: cfg.inputTopic, partitions: [{ partition, offset: String(next) }] }] });
        await txn.commit();
        ledger.append({ e: 'txn', xid, txn: n, state: 'commit', offsets: { [partition]: next }, t: Date.now() });
        committedTxns++;
        maxProcessed[partition] = Math.max(maxProcessed[partition] ?? -1, next - 1);
        for (const m of items) resolveOffset(String(m.offset));
        await heartbeat().catch(() => undefined);
      } catch (err) {
        process.stderr.write(`[${xid}] transaction ${n} failed: ${(err as Error).message}; aborting\n`);
        let aborted = false;
        try {
          if (txn) {
            await txn.abort();
            ledger.append({ e: 'txn', xid, txn: n, state: 'abort', offsets: {}, t: Date.now() });
            abortedTxns++;
            aborted = true;
          }
        } catch (abortErr) {
          process.stderr.write(`[${xid}] abort of transaction ${n} failed: ${(abortErr as Error).message}\n`);
        }
        if (!aborted) {
          // a transaction that neither committed nor aborted (a commit cut off by a broker
          // kill) leaves the kafkajs producer unusable: a new one with the same
          // transactional.id fences it, and the broker decides the open transaction
          process.stderr.write(`[${xid}] starting a new transactional producer\n`);
          await producer.disconnect().catch(() => undefined);
          producer = newProducer();
          await retryStartup('transactional producer connect', () => producer.connect());
        }
        // the batch is not resolved: kafkajs fetches it again from the last resolved offset
        throw err;
      } finally {
        busy = false;
        batchDone?.();
      }
    },
  });
  await new Promise<void>((resolve) => {
    onStop(async (graceMs) => {
      stopping = true;
      if (busy) await Promise.race([new Promise<void>((r) => (batchDone = r)), sleep(graceMs)]);
      resolve();
    });
  });
  clearInterval(statsTimer);
  stats();
  await Promise.race([Promise.allSettled([consumer.disconnect(), producer.disconnect()]), sleep(10_000)]);
}
