// The final read: a fresh consumer reads every partition from its log start offset to
// its high watermark, after every producer has stopped and every fault is healed.
import crypto from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { ClusterAdmin } from '../cluster/admin.ts';
import { parseMessageId } from '../agents/consumer.ts';
import type { FinalRead, LogRecord, PartitionRead } from '../ledger/events.ts';
import { HarnessError } from '../util/errors.ts';

export async function finalRead(opts: {
  bootstrap: readonly string[];
  topic: string;
  runId: string;
  isolation: 'read_uncommitted' | 'read_committed';
  timeoutMs: number;
}): Promise<FinalRead> {
  await using admin = new ClusterAdmin(opts.bootstrap);
  const before = await admin.offsets(opts.topic);
  const remaining = new Set(before.filter((p) => p.high > p.low).map((p) => p.partition));
  const target = new Map(before.map((p) => [p.partition, p]));
  const records: LogRecord[] = [];
  const counts = new Map<number, number>();
  // a throwaway group with nothing committed: kafkajs consumers always join a group
  const groupId = `kafka-chaos-final-read-${crypto.randomUUID()}`;
  if (remaining.size > 0) {
    const kafka = new Kafka({ clientId: 'kafka-chaos-final-read', brokers: [...opts.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10 } });
    const consumer = kafka.consumer({ groupId, readUncommitted: opts.isolation === 'read_uncommitted', sessionTimeout: 10_000, maxBytes: 10 * 1024 * 1024 });
    let timer: NodeJS.Timeout | undefined;
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: opts.topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(() => {
          const left = [...remaining].map((p) => `partition ${p}`).join(', ');
          reject(new HarnessError(`the final read did not reach the high watermark within ${opts.timeoutMs / 1000}s (${left} unfinished, ${records.length} records read)`));
        }, opts.timeoutMs);
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              const p = batch.partition;
              const hw = target.get(p)?.high ?? 0;
              for (const m of batch.messages) {
                const o = Number(m.offset);
                if (o >= hw) continue; // beyond what this read set out to cover
                const id = parseMessageId(m.value, opts.runId);
                const rec: LogRecord = { p, o, id };
                if (id === null) rec.raw = m.value ? m.value.toString('utf8').slice(0, 200) : '(null)';
                records.push(rec);
                counts.set(p, (counts.get(p) ?? 0) + 1);
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
  const partitions: PartitionRead[] = before.map((p) => ({ partition: p.partition, logStartOffset: p.low, highWatermark: p.high, records: counts.get(p.partition) ?? 0 }));
  records.sort((a, b) => a.p - b.p || a.o - b.o);
  return { isolation: opts.isolation, partitions, records };
}
