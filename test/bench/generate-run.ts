// A synthetic run on disk for the checker's benchmark, written the way a run writes it:
// the producer and consumer ledgers through LedgerWriter (what the agents use), the final
// read through writeRecords (what the harness uses). One producer sends `messages`
// messages round-robin over the partitions in batches (attempts of a batch, then later
// its acks with consecutive offsets), one consumer reads the log a fetch at a time
// (received for the batch, then processed one by one, then committed).
//
// A small fraction of batches goes wrong, in ways whose counts the generator knows:
// retried and appended twice (log duplicates), retried and overtaken by the next batch of
// its partition (reordered), timed out (indeterminate error; some land anyway), refused
// (definite error), acked and then truncated away (lost: the offsets go to later sends).
// A few foreign records, unsent messages, redeliveries (processed twice) and a tail the
// consumer never processed complete it. `expected` is what the checker must count.
import fs from 'node:fs';
import path from 'node:path';
import type { ConsumerEvent, LogRecord, PartitionRead, ProducerEvent } from '../../harness/ledger/events.ts';
import { LedgerWriter, writeRecords } from '../../harness/ledger/writer.ts';
import { seededRandom } from '../../harness/faults/rng.ts';

export interface GeneratedRun {
  dir: string;
  ledgerDir: string;
  finalReadFile: string;
  runId: string;
  partitions: PartitionRead[];
  workload: { start: number; end: number; partitions: number; faults: Array<{ index: number; action: string; resolved: string; appliedAtMs: number | null; healedAtMs: number | null }> };
  messages: number;
  bytes: number;
  /** what the checker must count (the metrics the generator can tell exactly) */
  expected: Record<string, number>;
}

/** Buffers events and hands them to the writer in large appendAll calls (the bytes are the same as one append per event). */
class Buffered {
  private events: Array<ProducerEvent | ConsumerEvent> = [];
  constructor(private readonly w: LedgerWriter) {}
  add(e: ProducerEvent | ConsumerEvent): void {
    this.events.push(e);
    if (this.events.length >= 4096) this.flush();
  }
  flush(): void {
    this.w.appendAll(this.events);
    this.events = [];
  }
  close(): void {
    this.flush();
    this.w.close();
  }
}

export function generateRun(dir: string, opts: { messages: number; partitions?: number; seed?: number; anomalyRate?: number }): GeneratedRun {
  const N = opts.messages;
  const P = opts.partitions ?? 6;
  const random = seededRandom(opts.seed ?? 1);
  const rate = opts.anomalyRate ?? 0.002;
  const ledgerDir = path.join(dir, 'ledgers');
  fs.mkdirSync(ledgerDir, { recursive: true });
  const runId = 'bench';
  const pid = 'p0';
  const producer = new Buffered(new LedgerWriter(path.join(ledgerDir, 'producer-p0.jsonl')));
  const t0 = 1_700_000_000_000;
  let t = t0;
  producer.add({ e: 'start', agent: pid, os: 4242, t });

  // the truth per message (seq): acked, refused, copies in the log, times processed
  const acked = new Uint8Array(N);
  const refused = new Uint8Array(N);
  const copies = new Uint8Array(N);
  const times = new Uint8Array(N);
  let retried = 0;
  let reordered = 0;
  let foreign = 0;
  // the log: per partition, the records by offset
  const logs: LogRecord[][] = Array.from({ length: P }, () => []);
  const append = (p: number, seqs: readonly number[]): number => {
    const log = logs[p]!;
    const base = log.length;
    for (const s of seqs) {
      log.push({ p, o: log.length, id: `${pid}:${s}` });
      copies[s]!++;
    }
    return base;
  };
  // responses arrive a couple of batches after the send: ack and error events wait in a queue
  const responses: Array<{ at: number; events: ProducerEvent[] }> = [];
  const respond = (at: number, events: ProducerEvent[]): void => {
    responses.push({ at, events });
  };
  const flushResponses = (upTo: number): void => {
    while (responses.length > 0 && responses[0]!.at <= upTo) for (const e of responses.shift()!.events) producer.add(e);
  };
  const acks = (seqs: readonly number[], p: number, base: number | null, tAck: number): ProducerEvent[] =>
    seqs.map((s, i): ProducerEvent => {
      acked[s] = 1;
      return { e: 'ack', pid, seq: s, p, o: base === null ? null : base + i, t: tAck };
    });
  // a batch overtaken by the next batch of its partition: it lands right after that one
  const heldBack: Array<number[] | undefined> = new Array(P);
  let batchNo = 0;
  let seq = 0;
  while (seq < N) {
    const p = batchNo % P;
    const size = Math.min(N - seq, 5 + Math.floor(random() * 26));
    const seqs = Array.from({ length: size }, (_, i) => seq + i);
    seq += size;
    t += Math.max(1, Math.round(size / 10));
    for (const s of seqs) producer.add({ e: 'attempt', pid, seq: s, p, t });
    const at = batchNo + 2;
    const tAck = t + 3 + Math.floor(random() * 20);
    const retry = (): void => {
      producer.add({ e: 'retry', pid, p, seqs, n: 2, t: t + 1 });
      retried += size;
    };
    const held = heldBack[p];
    // the batch after an overtaken one is plain, so that what each anomaly does is known
    const r = random();
    const fate = held === undefined && r < rate ? Math.floor(random() * 6) : -1;
    if (fate === 0) {
      // the first send was appended but its response lost; the retry appended it again
      retry();
      append(p, seqs);
      respond(at, acks(seqs, p, append(p, seqs), tAck));
    } else if (fate === 1) {
      // retried, and overtaken by the next batch of the partition
      retry();
      heldBack[p] = seqs;
    } else if (fate === 2 || fate === 3) {
      // timed out, indeterminate: it landed (2) or not (3)
      retry();
      if (fate === 2) append(p, seqs);
      respond(at, seqs.map((s): ProducerEvent => ({ e: 'error', pid, seq: s, p, code: 'DELIVERY_TIMEOUT', retriable: true, definite: false, attempts: 2, t: tAck })));
    } else if (fate === 4) {
      // refused: a definite error, not appended
      for (const s of seqs) refused[s] = 1;
      respond(at, seqs.map((s): ProducerEvent => ({ e: 'error', pid, seq: s, p, code: 'NOT_ENOUGH_REPLICAS', retriable: true, definite: true, attempts: 1, t: tAck })));
    } else if (fate === 5) {
      // acked, then truncated away by an unclean leader change: later sends get its offsets
      respond(at, acks(seqs, p, logs[p]!.length, tAck));
    } else {
      respond(at, acks(seqs, p, append(p, seqs), tAck));
      if (held !== undefined) {
        // this batch overtook the held-back one (all of whose seqs are smaller): min of the two sizes are out of order
        respond(at, acks(held, p, append(p, held), tAck + 1));
        reordered += Math.min(held.length, size);
        heldBack[p] = undefined;
      }
    }
    // now and then another application writes to the topic
    if (random() < rate / 10) {
      logs[p]!.push({ p, o: logs[p]!.length, id: null, raw: '{"hello":"from another app"}' });
      foreign++;
    }
    flushResponses(batchNo);
    batchNo++;
  }
  // batches still held back land at the end, in order
  for (let p = 0; p < P; p++) {
    const held = heldBack[p];
    if (held !== undefined) respond(Infinity, acks(held, p, append(p, held), t + 25));
  }
  flushResponses(Infinity);
  // what was still waiting in the agent when producers stopped
  const unsent = [N, N + 1, N + 2];
  t += 30;
  producer.add({ e: 'unsent', pid, p: N % P, seqs: unsent, t });
  producer.close();
  const end = t;

  // ---- the consumer: fetches of up to 100 records, round-robin over the partitions ----
  const consumer = new Buffered(new LedgerWriter(path.join(ledgerDir, 'consumer-c0.jsonl')));
  const cid = 'c0';
  let tc = t0 + 50;
  consumer.add({ e: 'start', agent: cid, os: 4343, t: tc });
  const read = new Array<number>(P).fill(0);
  // the consumer stops before the last 7 records of partition 0
  const stopAt = logs.map((l, p) => (p === 0 ? Math.max(0, l.length - 7) : l.length));
  const processed = (log: LogRecord[], o: number, p: number, tp: number): void => {
    const id = log[o]!.id;
    consumer.add({ e: 'processed', cid, id, p, o, t: tp });
    if (id !== null) times[Number(id.slice(pid.length + 1))]!++;
  };
  for (let busy = true; busy; ) {
    busy = false;
    for (let p = 0; p < P; p++) {
      const log = logs[p]!;
      const from = read[p]!;
      const to = Math.min(stopAt[p]!, from + 100);
      if (from >= to) continue;
      busy = true;
      tc += 1;
      for (let o = from; o < to; o++) consumer.add({ e: 'received', cid, id: log[o]!.id, p, o, t: tc });
      for (let o = from; o < to; o++) processed(log, o, p, tc + 1);
      // a rebalance now and then: the last records of the fetch are delivered and processed again
      if (random() < rate) {
        for (let o = Math.max(from, to - 3); o < to; o++) consumer.add({ e: 'received', cid, id: log[o]!.id, p, o, t: tc + 2 });
        for (let o = Math.max(from, to - 3); o < to; o++) processed(log, o, p, tc + 2);
      }
      consumer.add({ e: 'committed', cid, p, o: to, t: tc + 2 });
      read[p] = to;
    }
  }
  consumer.close();

  // ---- the final read, as the harness writes it: partitions in order, records by offset ----
  const finalReadFile = path.join(dir, 'final-read.jsonl');
  writeRecords(
    finalReadFile,
    (function* () {
      for (const log of logs) yield* log;
    })(),
  );
  const partitions: PartitionRead[] = logs.map((l, partition) => ({ partition, logStartOffset: 0, highWatermark: l.length, records: l.length }));

  // ---- what the checker must count, from the truth ----------------------------------
  const e = { acked: 0, failed: 0, unknown: 0, lost: 0, landedUnacked: 0, logDuplicates: 0, present: 0, processed: 0, notProcessed: 0, processedTwice: 0, endToEndLost: 0, lostAfterConsume: 0 };
  for (let s = 0; s < N; s++) {
    const c = copies[s]!;
    const k = times[s]!;
    if (acked[s] === 1) e.acked++;
    else if (refused[s] === 1) e.failed++;
    else e.unknown++;
    if (acked[s] === 1 && c === 0) e.lost++;
    if (acked[s] === 0 && c >= 1) e.landedUnacked++;
    if (c > 1) e.logDuplicates += c - 1;
    if (c >= 1) e.present++;
    if (k >= 1) e.processed++;
    if (c >= 1 && k === 0) e.notProcessed++;
    if (k > 1) e.processedTwice += k - 1;
    if (acked[s] === 1 && k === 0) e.endToEndLost++;
    if (k >= 1 && c === 0) e.lostAfterConsume++;
  }
  const expected: Record<string, number> = {
    attempted: N,
    ...e,
    unsent: unsent.length,
    failedButLanded: 0,
    ackedAtForeignOffset: 0,
    belowLogStart: 0,
    reordered,
    unexpected: foreign,
    logRecords: logs.reduce((n, l) => n + l.length, 0),
    retried,
    refused: e.failed,
  };
  const bytes = [path.join(ledgerDir, 'producer-p0.jsonl'), path.join(ledgerDir, 'consumer-c0.jsonl'), finalReadFile].reduce((n, f) => n + fs.statSync(f).size, 0);
  return {
    dir,
    ledgerDir,
    finalReadFile,
    runId,
    partitions,
    workload: { start: t0, end, partitions: P, faults: [{ index: 0, action: 'kill-leader', resolved: 'broker 1', appliedAtMs: Math.floor((end - t0) / 3), healedAtMs: Math.floor((end - t0) / 2) }] },
    messages: N,
    bytes,
    expected,
  };
}
