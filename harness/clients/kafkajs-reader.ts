// Reading partitions to their end with kafkajs, for the final read (run/final-read.ts):
// a throwaway group (kafkajs consumers always join one), every partition from its log
// start to a known high watermark. The final read itself (what counts as complete, the
// checks before and after) does not depend on the client that reads.
import crypto from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { HarnessError } from '../util/errors.ts';

/** One record as read, whatever the client. */
export interface RawRecord {
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
}

export interface PartitionReadRequest {
  bootstrap: readonly string[];
  topic: string;
  isolation: 'read_uncommitted' | 'read_committed';
  /** partition -> high watermark to read up to (exclusive); partitions with nothing to read are left out */
  until: ReadonlyMap<number, number>;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  onRecord(r: RawRecord): void;
  /** called with the group id once done, to delete it */
  cleanup(groupId: string): Promise<void>;
}

/** Reads every listed partition up to its high watermark; rejects on the timeout naming what is unfinished. */
export async function readPartitionsWithKafkajs(req: PartitionReadRequest): Promise<void> {
  const remaining = new Set(req.until.keys());
  if (remaining.size === 0) return;
  const groupId = `kafka-chaos-final-read-${crypto.randomUUID()}`;
  const kafka = new Kafka({ clientId: 'kafka-chaos-final-read', brokers: [...req.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10 } });
  // it reads up to a high watermark it knows: no fetch needs to wait for more data
  const consumer = kafka.consumer({ groupId, readUncommitted: req.isolation === 'read_uncommitted', sessionTimeout: 10_000, maxBytes: 10 * 1024 * 1024, maxWaitTimeInMs: 100 });
  let read = 0;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  let finished: (() => void) | undefined;
  const reached = (p: number, last: number) => {
    if (last >= (req.until.get(p) ?? 0) - 1) remaining.delete(p);
    if (remaining.size === 0) finished?.();
  };
  // a fetch of nothing but transaction markers (or aborted records, with read_committed)
  // never reaches eachBatch; its end still counts
  consumer.on(consumer.events.END_BATCH_PROCESS, (e) => reached(e.payload.partition, Number(e.payload.lastOffset)));
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: req.topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      finished = resolve;
      timer = setTimeout(() => {
        const left = [...remaining].map((p) => `partition ${p}`).join(', ');
        reject(new HarnessError(`the final read did not reach the high watermark within ${req.timeoutMs / 1000}s (${left} unfinished, ${read} records read)`));
      }, req.timeoutMs);
      onAbort = () => reject(new HarnessError('interrupted'));
      req.signal?.addEventListener('abort', onAbort, { once: true });
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const p = batch.partition;
            for (const m of batch.messages) {
              read++;
              req.onRecord({ partition: p, offset: Number(m.offset), key: m.key, value: m.value });
            }
            reached(p, Number(batch.lastOffset()));
          },
        })
        .catch(reject);
    });
  } finally {
    if (timer) clearTimeout(timer);
    if (onAbort) req.signal?.removeEventListener('abort', onAbort);
    await consumer.disconnect().catch(() => undefined);
    await req.cleanup(groupId);
  }
}
