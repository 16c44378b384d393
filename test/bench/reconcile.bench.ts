// Benchmark: how long the checker takes on a large synthetic history (timings belong
// here, never in a test). Run with `npm run bench`.
import type { ConsumerEvent, LogRecord, ProducerEvent } from '../../harness/ledger/events.ts';
import { reconcile } from '../../harness/reconcile/reconcile.ts';

function history(n: number, partitions: number) {
  const producer: ProducerEvent[] = [];
  const consumer: ConsumerEvent[] = [];
  const records: LogRecord[] = [];
  const next = new Array<number>(partitions).fill(0);
  for (let seq = 0; seq < n; seq++) {
    const p = seq % partitions;
    const o = next[p]!++;
    producer.push({ e: 'attempt', pid: 'p0', seq, p, t: seq });
    producer.push({ e: 'ack', pid: 'p0', seq, p, o, t: seq });
    records.push({ p, o, id: `p0:${seq}` });
    consumer.push({ e: 'received', cid: 'c0', id: `p0:${seq}`, p, o, t: seq });
    consumer.push({ e: 'processed', cid: 'c0', id: `p0:${seq}`, p, o, t: seq });
  }
  return {
    runId: 'bench',
    producers: [producer],
    consumers: [consumer],
    finalRead: {
      isolation: 'read_uncommitted' as const,
      partitions: next.map((hw, partition) => ({ partition, logStartOffset: 0, highWatermark: hw, records: hw })),
      records,
    },
  };
}

for (const n of [100_000, 1_000_000]) {
  const h = history(n, 6);
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = process.hrtime.bigint();
    const r = reconcile(h);
    runs.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (r.metrics.acked !== n || r.metrics.lost !== 0) throw new Error('unexpected reconciliation result');
  }
  const best = Math.min(...runs);
  console.log(`reconcile ${n} messages: best ${best.toFixed(0)} ms of ${runs.length} (${Math.round(n / (best / 1000))} messages/s)`);
}
