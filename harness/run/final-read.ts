// The final read: a fresh consumer reads every partition from its log start offset to
// its high watermark, after every producer has stopped and every fault is healed.
import crypto from 'node:crypto';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { ClusterAdmin } from '../cluster/admin.ts';
import { messageIdParser } from '../agents/consumer.ts';
import type { FinalRead, LogRecord, PartitionRead } from '../ledger/events.ts';
import { HarnessError } from '../util/errors.ts';

export async function finalRead(opts: {
  bootstrap: readonly string[];
  topic: string;
  runId: string;
  isolation: 'read_uncommitted' | 'read_committed';
  timeoutMs: number;
  signal?: AbortSignal;
  /** the message id a record carries, null for a record that is not the run's; default: the harness' own payload */
  idOf?: (m: KafkaMessage) => string | null;
}): Promise<FinalRead> {
  const ownIds = messageIdParser(opts.runId);
  const idOf = opts.idOf ?? ((m: KafkaMessage) => ownIds(m.value));
  await using admin = new ClusterAdmin(opts.bootstrap);
  const before = await admin.offsets(opts.topic);
  const remaining = new Set(before.filter((p) => p.high > p.low).map((p) => p.partition));
  const target = new Map(before.map((p) => [p.partition, p]));
  // keyed by offset: a rejoin of the throwaway group starts reading from the log start again
  const byPartition = new Map<number, Map<number, LogRecord>>(before.map((p) => [p.partition, new Map()]));
  // a throwaway group with nothing committed: kafkajs consumers always join a group
  const groupId = `kafka-chaos-final-read-${crypto.randomUUID()}`;
  if (remaining.size > 0) {
    const kafka = new Kafka({ clientId: 'kafka-chaos-final-read', brokers: [...opts.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10 } });
    // it reads up to a high watermark it knows: no fetch needs to wait for more data
    const consumer = kafka.consumer({ groupId, readUncommitted: opts.isolation === 'read_uncommitted', sessionTimeout: 10_000, maxBytes: 10 * 1024 * 1024, maxWaitTimeInMs: 100 });
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: opts.topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(() => {
          const left = [...remaining].map((p) => `partition ${p}`).join(', ');
          const read = [...byPartition.values()].reduce((n, m) => n + m.size, 0);
          reject(new HarnessError(`the final read did not reach the high watermark within ${opts.timeoutMs / 1000}s (${left} unfinished, ${read} records read)`));
        }, opts.timeoutMs);
        onAbort = () => reject(new HarnessError('interrupted'));
        opts.signal?.addEventListener('abort', onAbort, { once: true });
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              const p = batch.partition;
              const hw = target.get(p)?.high ?? 0;
              for (const m of batch.messages) {
                const o = Number(m.offset);
                if (o >= hw) continue; // beyond what this read set out to cover
                const id = idOf(m);
                const rec: LogRecord = { p, o, id };
                if (id === null) rec.raw = m.value ? m.value.toString('utf8').slice(0, 200) : '(null)';
                byPartition.get(p)?.set(o, rec);
              }
              const last = batch.messages.length > 0 ? Number(batch.lastOffset()) : -1;
              if (last >= hw - 1) remaining.delete(p);
              if (remaining.size === 0) resolve();
            },
          })
          .catch(reject);
      });
    } finally {
      if (timer) clearTimeout(timer);
      if (onAbort) opts.signal?.removeEventListener('abort', onAbort);
      await consumer.disconnect().catch(() => undefined);
      await admin.deleteGroup(groupId);
    }
  }
  const after = await admin.offsets(opts.topic);
  for (const a of after) {
    const b = target.get(a.partition);
    if (!b || b.high !== a.high || b.low !== a.low) {
      throw new HarnessError(`partition ${a.partition} changed during the final read (before [${b?.low}, ${b?.high}), after [${a.low}, ${a.high})): something is still writing or deleting`);
    }
  }
  const partitions: PartitionRead[] = before.map((p) => ({ partition: p.partition, logStartOffset: p.low, highWatermark: p.high, records: byPartition.get(p.partition)?.size ?? 0 }));
  // without transactions or compaction every offset in [low, high) holds a record: a gap
  // would mean the read missed something, and every count after it would be wrong
  if (opts.isolation === 'read_uncommitted') {
    for (const p of partitions) {
      const expected = p.highWatermark - p.logStartOffset;
      if (p.records !== expected) {
        throw new HarnessError(`the final read of partition ${p.partition} returned ${p.records} records for offsets [${p.logStartOffset}, ${p.highWatermark}) (${expected} expected)`);
      }
    }
  }
  const records: LogRecord[] = [];
  for (const part of before) {
    const sorted = [...(byPartition.get(part.partition)?.values() ?? [])].sort((a, b) => a.o - b.o);
    for (const r of sorted) records.push(r);
  }
  return { isolation: opts.isolation, partitions, records };
}
