// Plain kafkajs producing as fast as it can with the tracked agent's settings: no ledger,
// no tracking. Imported by the cluster bench (to fill a topic), and run as its own process
// for the producer comparison, so plain kafkajs starts as cold as the agent's process does:
//   node --import tsx test/bench/untracked.ts '{"bootstrap":[...],"topic":"t","runId":"r","seconds":10,"shape":"wide"}'
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { pathToFileURL } from 'node:url';
import { resolveProducer } from '../../harness/clients/settings.ts';
import { messageValue } from '../../harness/ledger/message-id.ts';

export const MESSAGE_SIZE = 200;
/** The settings of every producer in the bench, tracked or not: acks=all with idempotence, the client defaults otherwise. */
export const BENCH_PRODUCER = resolveProducer({ acks: -1, 'enable.idempotence': true });

/** The agent's message value, so the final read parses what it parses in a run. */
function payload(runId: string, producerId: string, seq: number): string {
  return messageValue({ runId, producerId, seq, sentAt: Date.now() }, MESSAGE_SIZE);
}

/**
 * Plain kafkajs at its best with the agent's settings: per partition, batches of up to
 * batch.size bytes, up to max.in.flight sends under way, no ledger, no tracking.
 */
export async function untracked(
  producer: Producer,
  topic: string,
  opts: { runId: string; partitions: number; seconds?: number; count?: number; shape?: 'per-partition' | 'wide' },
): Promise<{ acked: number; ms: number }> {
  const settings = BENCH_PRODUCER;
  const perBatch = Math.max(1, Math.floor(settings.batchBytes / MESSAGE_SIZE));
  const until = opts.seconds !== undefined ? Date.now() + opts.seconds * 1000 : Infinity;
  const limit = opts.count ?? Infinity;
  let seq = 0;
  let acked = 0;
  const started = Date.now();
  const lane = async (partition: number) => {
    while (Date.now() < until && seq < limit) {
      const n = Math.min(perBatch, limit - seq);
      const messages = Array.from({ length: n }, () => {
        const s = seq++;
        return { partition, key: `u0:${s}`, value: payload(opts.runId, 'u0', s) };
      });
      await producer.send({ topic, acks: -1, messages });
      acked += n;
    }
  };
  // or one send for every partition at once (kafkajs groups it per leader)
  const wide = async () => {
    while (Date.now() < until && seq < limit) {
      const messages = [];
      for (let p = 0; p < opts.partitions && seq < limit; p++) {
        for (let i = 0; i < perBatch && seq < limit; i++) {
          const s = seq++;
          messages.push({ partition: p, key: `u0:${s}`, value: payload(opts.runId, 'u0', s) });
        }
      }
      await producer.send({ topic, acks: -1, messages });
      acked += messages.length;
    }
  };
  const lanes: Promise<void>[] = [];
  if (opts.shape === 'wide') for (let i = 0; i < settings.maxInFlightRequests; i++) lanes.push(wide());
  else for (let p = 0; p < opts.partitions; p++) for (let i = 0; i < settings.maxInFlightRequests; i++) lanes.push(lane(p));
  await Promise.all(lanes);
  return { acked, ms: Date.now() - started };
}

/** A plain kafkajs producer with the agent's settings. */
export function plainProducer(bootstrap: string[], clientId: string): Producer {
  const kafka = new Kafka({ clientId, brokers: bootstrap, logLevel: logLevel.NOTHING });
  return kafka.producer({ idempotent: BENCH_PRODUCER.idempotent, maxInFlightRequests: BENCH_PRODUCER.maxInFlightRequests, allowAutoTopicCreation: false });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const opts = JSON.parse(process.argv[2] ?? '{}') as { bootstrap: string[]; topic: string; runId: string; seconds: number; shape: 'per-partition' | 'wide' };
  const producer = plainProducer(opts.bootstrap, 'bench-untracked');
  await producer.connect();
  const r = await untracked(producer, opts.topic, { runId: opts.runId, partitions: 3, seconds: opts.seconds, shape: opts.shape });
  await producer.disconnect();
  process.stdout.write(`${JSON.stringify(r)}\n`);
}
