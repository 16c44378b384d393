// Producer agent: a child process that sends messages at a target rate and records every
// attempt, ack and error in its ledger before anything else happens.
import { CompressionTypes, Kafka, logLevel, type Message, type Producer } from 'kafkajs';
import type { LedgerEvent } from '../ledger/events.ts';
import { ackLine, attemptLine, quotedId } from '../ledger/lines.ts';
import { messageValue } from '../ledger/message-id.ts';
import { LedgerWriter } from '../ledger/writer.ts';
import { classifyError, kafkajsCompression } from '../clients/kafkajs.ts';
import type { ProducerAgentConfig } from '../clients/protocol.ts';
import { Fifo } from '../util/fifo.ts';
import { retryStartup, send } from './io.ts';

interface Pending {
  seq: number;
  value: string;
  bytes: number;
}

/** A batch handed to the client, and how many times the client has sent it so far. */
interface InFlightBatch {
  partition: number;
  seqs: number[];
  attempts: number;
}

/** A second's worth of waiting messages means the producer is behind its target rate. */
const BEHIND_AFTER_MS = 1000;

export { messageValue } from '../ledger/message-id.ts';

export async function runProducer(cfg: ProducerAgentConfig, ledger: LedgerWriter, onStop: (fn: (graceMs: number) => Promise<void>) => void): Promise<void> {
  const p = cfg.producer;
  const kafka = new Kafka({
    clientId: `kafka-chaos-${cfg.agentId}`,
    brokers: cfg.bootstrap,
    logLevel: logLevel.WARN,
    requestTimeout: p.requestTimeoutMs,
    connectionTimeout: 3000,
    retry: { retries: p.retries > Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : p.retries, initialRetryTime: p.retryBackoffMs, maxRetryTime: p.retryBackoffMaxMs },
  });
  // The client's own attempts, counted where kafkajs hands a batch to the network layer:
  // it asks the partitioner for every message on every attempt (including its internal
  // retries), so the first message of a batch marks one attempt. The partition is the
  // one the agent chose.
  const batchOf = new WeakMap<Message, InFlightBatch>();
  const onAttempt = (b: InFlightBatch) => {
    b.attempts++;
    if (b.attempts > 1) ledger.append({ e: 'retry', pid: cfg.agentId, p: b.partition, seqs: b.seqs, n: b.attempts, t: Date.now() });
  };
  const producer: Producer = kafka.producer({
    idempotent: p.idempotent,
    maxInFlightRequests: p.maxInFlightRequests,
    allowAutoTopicCreation: false,
    createPartitioner: () => ({ message }) => {
      const b = batchOf.get(message);
      if (b) onAttempt(b);
      return message.partition ?? 0;
    },
  });
  await retryStartup('producer connect', () => producer.connect());
  send({ type: 'ready' });

  let seq = 0;
  let attempted = 0;
  let acked = 0;
  let errors = 0;
  let inFlight = 0;
  let stopping = false;
  const settledAll = new Set<Promise<void>>();
  // per partition: messages waiting for a send, and sends under way. Like the Java
  // client's accumulator, messages wait while max.in.flight sends are outstanding and
  // go out together (up to batch.size bytes a send) when one completes or linger.ms
  // is up. kafkajs serialises the requests of an idempotent producer, so there the
  // limit is 1.
  const queues = new Map<number, Fifo<Pending>>();
  const queueBytes = new Map<number, number>();
  const oldest = new Map<number, number>();
  const sending = new Map<number, number>();
  const inFlightLimit = p.idempotent ? 1 : p.maxInFlightRequests;
  // mode sync: send().get(), one message at a time in send order, whatever the partition
  const sync = p.mode === 'sync';
  // the batch the application is waiting on (send().get()); released by its outcome or the delivery timeout
  let syncWaitingOn: InFlightBatch | undefined;
  const qpid = quotedId(cfg.agentId);
  const makeValue = (s: number): string => messageValue({ runId: cfg.runId, producerId: cfg.agentId, seq: s, sentAt: Date.now() }, cfg.messageSize);

  const sendBatch = (partition: number, batch: Pending[]) => {
    const now = Date.now();
    let attempts = '';
    for (const m of batch) attempts += attemptLine(qpid, m.seq, partition, now);
    ledger.appendLines(attempts);
    attempted += batch.length;
    inFlight += batch.length;
    sending.set(partition, (sending.get(partition) ?? 0) + 1);
    const messages: Message[] = batch.map((m) => ({ partition, key: `${cfg.agentId}:${m.seq}`, value: m.value }));
    const inFlightBatch: InFlightBatch = { partition, seqs: batch.map((m) => m.seq), attempts: 0 };
    batchOf.set(messages[0]!, inFlightBatch);
    // `reported`: the application has heard the outcome (ack, error or the delivery
    // timeout) and hears nothing after it. The in-flight slot stays taken until kafkajs
    // itself gives up or succeeds: it may still be retrying after the timeout, and a
    // second send on the partition meanwhile would break ordering and idempotence.
    let reported = false;
    const release = () => {
      inFlight -= batch.length;
      sending.set(partition, (sending.get(partition) ?? 1) - 1);
      if (sync) {
        if (syncWaitingOn === inFlightBatch) syncWaitingOn = undefined;
        pumpSync();
      } else pump(partition, stopping);
    };
    const deadline = setTimeout(() => {
      if (reported) return;
      reported = true;
      errors += batch.length;
      const t = Date.now();
      const attempts = inFlightBatch.attempts;
      ledger.appendAll(batch.map((m): LedgerEvent => ({ e: 'error', pid: cfg.agentId, seq: m.seq, p: partition, code: 'DELIVERY_TIMEOUT', retriable: true, definite: false, attempts, t })));
      // send().get() ends with the delivery timeout: the application goes on with the next message
      if (sync && syncWaitingOn === inFlightBatch) {
        syncWaitingOn = undefined;
        pumpSync();
      }
    }, p.deliveryTimeoutMs);
    const work = producer
      .send({
        topic: cfg.topic,
        acks: p.acks,
        timeout: p.requestTimeoutMs,
        compression: kafkajsCompression(p.compression, CompressionTypes),
        messages,
      })
      .then(
        (meta) => {
          clearTimeout(deadline);
          if (!reported) {
            reported = true;
            const md = meta.find((r) => r.partition === partition);
            const base = md && md.baseOffset !== undefined && Number(md.baseOffset) >= 0 ? Number(md.baseOffset) : null;
            const t = Date.now();
            let acks = '';
            for (let i = 0; i < batch.length; i++) acks += ackLine(qpid, batch[i]!.seq, partition, base === null ? null : base + i, t);
            ledger.appendLines(acks);
            acked += batch.length;
          }
          release();
        },
        (err: unknown) => {
          clearTimeout(deadline);
          if (!reported) {
            reported = true;
            const attempts = inFlightBatch.attempts;
            const c = classifyError(err, attempts);
            const t = Date.now();
            ledger.appendAll(batch.map((m): LedgerEvent => ({ e: 'error', pid: cfg.agentId, seq: m.seq, p: partition, code: c.code, retriable: c.retriable, definite: c.definite, attempts, t })));
            errors += batch.length;
          }
          release();
        },
      );
    const tracked = work.finally(() => settledAll.delete(tracked));
    settledAll.add(tracked);
    return inFlightBatch;
  };

  // false once a stop has flushed for its share of the grace period: from then on nothing
  // more is handed to the client (not even when a send completes and frees its slot)
  let handingOver = true;

  /** Mode sync: the oldest waiting message, once the one before it has its answer. */
  function pumpSync(): void {
    if (syncWaitingOn || !handingOver) return;
    let best: number | undefined;
    for (const [part, q] of queues) if (q.length > 0 && (best === undefined || q.at(0)!.seq < queues.get(best)!.at(0)!.seq)) best = part;
    if (best === undefined) return;
    const queue = queues.get(best)!;
    const m = queue.shift()!;
    queueBytes.set(best, (queueBytes.get(best) ?? 0) - m.bytes);
    syncWaitingOn = sendBatch(best, [m]);
  }

  /** Sends what is ready on a partition, as far as the in-flight limit allows. */
  function pump(partition: number, force: boolean): void {
    if (sync) return pumpSync();
    const queue = queues.get(partition);
    if (!queue || !handingOver) return;
    while (queue.length > 0 && (sending.get(partition) ?? 0) < inFlightLimit) {
      const bytes = queueBytes.get(partition) ?? 0;
      const age = Date.now() - (oldest.get(partition) ?? Date.now());
      if (!force && bytes < p.batchBytes && age < p.lingerMs) return;
      let n = 0;
      let taken = 0;
      while (n < queue.length && (n === 0 || taken + queue.at(n)!.bytes <= p.batchBytes)) taken += queue.at(n++)!.bytes;
      const batch = queue.take(n);
      queueBytes.set(partition, bytes - taken);
      oldest.set(partition, Date.now());
      sendBatch(partition, batch);
    }
  }

  const enqueue = () => {
    const s = seq++;
    const partition = s % cfg.partitions;
    const value = makeValue(s);
    let queue = queues.get(partition);
    if (!queue) {
      queue = new Fifo<Pending>();
      queues.set(partition, queue);
    }
    if (queue.length === 0) oldest.set(partition, Date.now());
    queue.push({ seq: s, value, bytes: value.length });
    queueBytes.set(partition, (queueBytes.get(partition) ?? 0) + value.length);
  };

  const queuedCount = () => {
    let n = 0;
    for (const q of queues.values()) n += q.length;
    return n;
  };
  // behind: more than a second's worth of the target rate is waiting in the agent; while
  // behind, the backlog is recorded once a second so the report can show how large it grew
  let behind = false;
  let lastBacklogEvent = 0;
  const checkBacklog = () => {
    const queued = queuedCount();
    const limit = Math.max(1, Math.floor((cfg.rate * BEHIND_AFTER_MS) / 1000));
    const now = Date.now();
    if (!behind && queued >= limit) {
      behind = true;
      lastBacklogEvent = now;
      ledger.append({ e: 'backlog', pid: cfg.agentId, state: 'behind', queued, t: now });
    } else if (behind && queued < Math.max(1, Math.floor(limit / 10))) {
      behind = false;
      ledger.append({ e: 'backlog', pid: cfg.agentId, state: 'caught-up', queued, t: now });
    } else if (behind && now - lastBacklogEvent >= 1000) {
      lastBacklogEvent = now;
      ledger.append({ e: 'backlog', pid: cfg.agentId, state: 'behind', queued, t: now });
    }
  };
  const stats = () => send({ type: 'stats', role: 'producer', attempted, acked, errors, inFlight, queued: queuedCount() });
  const statsTimer = setInterval(() => {
    checkBacklog();
    stats();
  }, 250);

  // rate loop: generate what is due, send what is ready
  const started = Date.now();
  await new Promise<void>((resolve) => {
    onStop(async (graceMs) => {
      stopping = true;
      const until = Date.now() + graceMs;
      // like a producer's close(): what the application generated is flushed to the client
      // as the in-flight limit allows, for the first half of the grace period; the second
      // half is left for what is in flight to settle
      const flushUntil = Date.now() + graceMs / 2;
      while (Date.now() < until) {
        if (Date.now() >= flushUntil) handingOver = false;
        for (const part of queues.keys()) pump(part, true);
        if ((queuedCount() === 0 || !handingOver) && settledAll.size === 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      // what is still waiting was never handed to the client: unsent, not unknown
      const t = Date.now();
      for (const [part, queue] of queues) {
        if (queue.length > 0) ledger.append({ e: 'unsent', pid: cfg.agentId, p: part, seqs: queue.take().map((m) => m.seq), t });
      }
      resolve();
    });
    const loop = setInterval(() => {
      if (stopping) {
        clearInterval(loop);
        return;
      }
      const due = Math.floor(((Date.now() - started) * cfg.rate) / 1000);
      while (seq < due) enqueue();
      for (const part of queues.keys()) pump(part, false);
    }, 2);
  });
  clearInterval(statsTimer);
  stats();
  await Promise.race([producer.disconnect().catch(() => undefined), new Promise((r) => setTimeout(r, 10_000).unref())]);
}
