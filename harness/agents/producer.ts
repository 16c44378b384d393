// Producer agent: a child process that sends messages at a target rate and records every
// attempt, ack and error in its ledger before anything else happens.
import { CompressionTypes, Kafka, logLevel, type Producer } from 'kafkajs';
import type { AttemptEvent, LedgerEvent, MessagePayload } from '../ledger/events.ts';
import { LedgerWriter } from '../ledger/writer.ts';
import { classifyError, kafkajsCompression } from './kafkajs-driver.ts';
import type { ProducerAgentConfig } from './protocol.ts';
import { retryStartup, send } from './protocol.ts';

interface Pending {
  seq: number;
  value: string;
  bytes: number;
}

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
  const producer: Producer = kafka.producer({
    idempotent: p.idempotent,
    maxInFlightRequests: p.maxInFlightRequests,
    allowAutoTopicCreation: false,
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
  const queues = new Map<number, Pending[]>();
  const queueBytes = new Map<number, number>();
  const oldest = new Map<number, number>();
  const sending = new Map<number, number>();
  const inFlightLimit = p.idempotent ? 1 : p.maxInFlightRequests;
  const pad = 'x'.repeat(cfg.messageSize);

  const makeValue = (s: number): string => {
    const payload: MessagePayload = { runId: cfg.runId, producerId: cfg.agentId, seq: s, sentAt: Date.now() };
    const base = JSON.stringify(payload);
    const room = cfg.messageSize - base.length - 9; // ,"pad":"" plus closing brace
    if (room <= 0) return base;
    return `${base.slice(0, -1)},"pad":"${pad.slice(0, room)}"}`;
  };

  const sendBatch = (partition: number, batch: Pending[]) => {
    const now = Date.now();
    const attempts: AttemptEvent[] = batch.map((m) => ({ e: 'attempt', pid: cfg.agentId, seq: m.seq, p: partition, t: now }));
    ledger.appendAll(attempts);
    attempted += batch.length;
    inFlight += batch.length;
    sending.set(partition, (sending.get(partition) ?? 0) + 1);
    // `reported`: the application has heard the outcome (ack, error or the delivery
    // timeout) and hears nothing after it. The in-flight slot stays taken until kafkajs
    // itself gives up or succeeds: it may still be retrying after the timeout, and a
    // second send on the partition meanwhile would break ordering and idempotence.
    let reported = false;
    const release = () => {
      inFlight -= batch.length;
      sending.set(partition, (sending.get(partition) ?? 1) - 1);
      pump(partition, stopping);
    };
    const deadline = setTimeout(() => {
      if (reported) return;
      reported = true;
      errors += batch.length;
      const t = Date.now();
      ledger.appendAll(batch.map((m): LedgerEvent => ({ e: 'error', pid: cfg.agentId, seq: m.seq, p: partition, code: 'DELIVERY_TIMEOUT', retriable: true, definite: false, t })));
    }, p.deliveryTimeoutMs);
    const work = producer
      .send({
        topic: cfg.topic,
        acks: p.acks,
        timeout: p.requestTimeoutMs,
        compression: kafkajsCompression(p.compression, CompressionTypes),
        messages: batch.map((m) => ({ partition, key: `${cfg.agentId}:${m.seq}`, value: m.value })),
      })
      .then(
        (meta) => {
          clearTimeout(deadline);
          if (!reported) {
            reported = true;
            const md = meta.find((r) => r.partition === partition);
            const base = md && md.baseOffset !== undefined && Number(md.baseOffset) >= 0 ? Number(md.baseOffset) : null;
            const t = Date.now();
            ledger.appendAll(batch.map((m, i): LedgerEvent => ({ e: 'ack', pid: cfg.agentId, seq: m.seq, p: partition, o: base === null ? null : base + i, t })));
            acked += batch.length;
          }
          release();
        },
        (err: unknown) => {
          clearTimeout(deadline);
          if (!reported) {
            reported = true;
            const c = classifyError(err);
            const t = Date.now();
            ledger.appendAll(batch.map((m): LedgerEvent => ({ e: 'error', pid: cfg.agentId, seq: m.seq, p: partition, code: c.code, retriable: c.retriable, definite: c.definite, t })));
            errors += batch.length;
          }
          release();
        },
      );
    const tracked = work.finally(() => settledAll.delete(tracked));
    settledAll.add(tracked);
  };

  /** Sends what is ready on a partition, as far as the in-flight limit allows. */
  function pump(partition: number, force: boolean): void {
    const queue = queues.get(partition);
    if (!queue) return;
    while (queue.length > 0 && (sending.get(partition) ?? 0) < inFlightLimit) {
      const bytes = queueBytes.get(partition) ?? 0;
      const age = Date.now() - (oldest.get(partition) ?? Date.now());
      if (!force && bytes < p.batchBytes && age < p.lingerMs) return;
      let n = 0;
      let taken = 0;
      while (n < queue.length && (n === 0 || taken + queue[n]!.bytes <= p.batchBytes)) taken += queue[n++]!.bytes;
      const batch = queue.splice(0, n);
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
      queue = [];
      queues.set(partition, queue);
    }
    if (queue.length === 0) oldest.set(partition, Date.now());
    queue.push({ seq: s, value, bytes: value.length });
    queueBytes.set(partition, (queueBytes.get(partition) ?? 0) + value.length);
  };

  const statsTimer = setInterval(() => send({ type: 'stats', role: 'producer', attempted, acked, errors, inFlight }), 250);

  // rate loop: generate what is due, send what is ready
  const started = Date.now();
  await new Promise<void>((resolve) => {
    onStop(async (graceMs) => {
      stopping = true;
      const until = Date.now() + graceMs;
      // hand everything generated to the client, then let in-flight sends settle
      while (Date.now() < until) {
        for (const part of queues.keys()) pump(part, true);
        const queued = [...queues.values()].reduce((n, q) => n + q.length, 0);
        if (queued === 0 && settledAll.size === 0) break;
        await new Promise((r) => setTimeout(r, 20));
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
  send({ type: 'stats', role: 'producer', attempted, acked, errors, inFlight });
  await Promise.race([producer.disconnect().catch(() => undefined), new Promise((r) => setTimeout(r, 10_000).unref())]);
}
