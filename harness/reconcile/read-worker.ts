// The worker thread of reconcileRun (read-run.ts): reads the parts of files it is sent and
// computes availability from shared facts, one job at a time, in the order sent. Columns
// go back by transferring their buffers, not by copying them.
import { parentPort } from 'node:worker_threads';
import { scanFile } from '../ledger/scan.ts';
import { availabilityFrom } from './availability.ts';
import type { WorkerJob, WorkerReply } from './read-run.ts';

const port = parentPort;
if (!port) throw new Error('read-worker.ts runs as a worker thread');
port.on('message', (job: WorkerJob) => {
  let reply: WorkerReply;
  const transfer: ArrayBuffer[] = [];
  const t0 = performance.now();
  try {
    if (job.type === 'scan') {
      const result = scanFile(job.kind, job.file, job.range);
      for (const v of Object.values(result.columns)) {
        if (ArrayBuffer.isView(v) && v.buffer instanceof ArrayBuffer && !transfer.includes(v.buffer)) transfer.push(v.buffer);
      }
      reply = { id: job.id, ok: true, result, what: `read ${job.kind} ${job.range.start}-${job.range.end}`, ms: performance.now() - t0 };
    } else {
      reply = { id: job.id, ok: true, result: availabilityFrom(job.facts, job.input), what: 'availability', ms: performance.now() - t0 };
    }
  } catch (err) {
    reply = { id: job.id, ok: false, message: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(reply, transfer);
});
