// The librdkafka agent: `node --import tsx harness/clients/librdkafka/agent.ts <config.json>`.
// A producer, consumer or transformer on @confluentinc/kafka-javascript's native API
// (Producer and KafkaConsumer over librdkafka), speaking the stdio protocol of
// clients/protocol.ts and writing the ledger of ledger/events.ts. Its semantics follow
// the Java agent (clients/java/KafkaChaosAgent.java) and the kafkajs agents
// (agents/producer.ts, consumer.ts, transformer.ts); where librdkafka works differently
// the comments say what was chosen.
import { retryStartup, runAgentProcess, send, type OnStop } from '../../agents/io.ts';
import { messageIdParser, messageValue, transformedValue } from '../../ledger/message-id.ts';
import type { AttemptEvent, CommittedEvent, LedgerEvent, MessageId } from '../../ledger/events.ts';
import { LedgerWriter } from '../../ledger/writer.ts';
import { errorMessage } from '../../util/errors.ts';
import { Fifo } from '../../util/fifo.ts';
import { sleep } from '../../util/time.ts';
import type { AgentConfig, ConsumerAgentConfig, ProducerAgentConfig, TransformerAgentConfig } from '../protocol.ts';
import {
  classifyDeliveryError,
  errorNames,
  loadLibrdkafka,
  type RdConfig,
  type RdConsumer,
  type RdDeliveryReport,
  type RdError,
  type RdMessage,
  type RdProducer,
  type RdTopicPartition,
  type RdTopicPartitionOffset,
  type Rdkafka,
} from './driver.ts';

/** A second's worth of waiting messages means the producer is behind its target rate. */
const BEHIND_AFTER_MS = 1000;
/** how long one consume(n) waits for its first record (the poll timeout) */
const CONSUME_TIMEOUT_MS = 100;
/** records per consume(n) when max.poll.records is not set: the Java client's default */
const DEFAULT_MAX_POLL_RECORDS = 500;

const ERR = {
  QUEUE_FULL: -184,
  ASSIGN_PARTITIONS: -175,
  REVOKE_PARTITIONS: -174,
  PARTITION_EOF: -191,
  TIMED_OUT: -185,
} as const;


function log(agentId: string, line: string): void {
  process.stderr.write(`[${agentId}] ${line}\n`);
}

function promised(fn: (cb: (err: RdError | null | undefined) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => fn((err) => (err ? reject(rdError(err)) : resolve())));
}

/** An Error carrying librdkafka's error fields (code, isFatal, isRetriable, isTxnRequiresAbort). */
function rdError(err: RdError): Error & RdError {
  if (err instanceof Error) return err as Error & RdError;
  return Object.assign(new Error(err.message), err);
}

function baseConfig(cfg: AgentConfig): RdConfig {
  return {
    'bootstrap.servers': cfg.bootstrap.join(','),
    'client.id': `kafka-chaos-${cfg.agentId}`,
  };
}

/** Connects a fresh client per attempt (a client whose connect failed is not reused). */
async function connected<T extends { connect: RdProducer['connect']; disconnect: RdProducer['disconnect'] }>(what: string, make: () => T): Promise<T> {
  // a configuration librdkafka refuses throws here, once: not a start-up to retry
  let next: T | undefined = make();
  return retryStartup(what, async () => {
    const client = next ?? make();
    next = undefined;
    try {
      await promised((cb) => client.connect({ timeout: 10_000 }, cb));
      return client;
    } catch (err) {
      try {
        client.disconnect(() => undefined);
      } catch {
        // never connected
      }
      throw err;
    }
  });
}

/**
 * Disconnects, bounded: the producer flushes for `flushMs` first (what is still in
 * flight after the grace period), the consumer closes (leaves the group).
 */
function disconnect(client: { disconnect: RdProducer['disconnect'] }, boundMs: number, flushMs?: number): Promise<void> {
  return Promise.race([
    new Promise<void>((resolve) => {
      if (flushMs === undefined) client.disconnect(() => resolve());
      else client.disconnect(flushMs, () => resolve());
    }),
    sleep(boundMs),
  ]);
}

function watchClient(agentId: string, client: { on: RdProducer['on'] }, what: string): void {
  client.on('event.error', ((err: RdError) => log(agentId, `${what} error: ${err.message} (${err.code})`)) as never);
  client.on('event.log', ((e: { message?: string; fac?: string }) => log(agentId, `${what} librdkafka ${e.fac ?? ''}: ${e.message ?? ''}`)) as never);
}

// ---------------------------------------------------------------------------- producer

interface Pending {
  seq: number;
  partition: number;
  value: string;
  /** its attempt event is written: it reached produce(), which refused it (queue full) */
  attempted: boolean;
}

/**
 * The producer: generates cfg.rate messages a second into the agent's queue and hands
 * them to librdkafka (all that wait: async and fire-and-forget; one at a time, waiting
 * for each delivery report: sync). librdkafka reports every message's outcome in a
 * delivery report (opaque = seq), which is written to the ledger in every mode: in
 * fire-and-forget the application ignores the outcome, the ledger still records it.
 *
 * A produce() that throws ERR__QUEUE_FULL (librdkafka's queue is at
 * queue.buffering.max.messages) did not take the message: it stays first in the agent's
 * queue and is handed over again on the next tick. Its attempt event was written before
 * the call (so that no record can reach the log without an attempt before it, whatever
 * happens to the agent) and is not written again. If the agent stops before librdkafka
 * takes it, it gets an error event ERR__QUEUE_FULL, definite (librdkafka never had it),
 * instead of `unsent` (which would contradict its attempt).
 */
async function runProducer(rd: Rdkafka, cfg: ProducerAgentConfig, ledger: LedgerWriter, onStop: OnStop): Promise<void> {
  const p = cfg.producer;
  const pid = cfg.agentId;
  const sync = p.mode === 'sync';
  const nameOf = errorNames(rd.CODES.ERRORS);
  const props: RdConfig = { ...cfg.producerProperties, ...baseConfig(cfg), dr_cb: true };
  // transactions run in the transformer role (the driver refuses transactional.id here)
  delete props['transactional.id'];
  const retries = Number(cfg.producerProperties?.['message.send.max.retries'] ?? p.retries);

  let attempted = 0;
  let acked = 0;
  let errors = 0;
  /** handed to librdkafka, no delivery report yet: seq -> partition */
  const inFlight = new Map<number, number>();
  const queue = new Fifo<Pending>();

  const onReport = (err: RdError | null | undefined, report: RdDeliveryReport) => {
    const seq = typeof report.opaque === 'number' ? report.opaque : Number(report.opaque);
    const partition = inFlight.get(seq);
    if (partition === undefined) {
      log(pid, `delivery report for an unknown message (opaque ${String(report.opaque)})`);
      return;
    }
    inFlight.delete(seq);
    const t = Date.now();
    if (!err) {
      // acks=0: librdkafka reports no offset (a negative one)
      const o = typeof report.offset === 'number' && report.offset >= 0 ? report.offset : null;
      ledger.append({ e: 'ack', pid, seq, p: partition, o, t });
      acked++;
    } else {
      const c = classifyDeliveryError(err, nameOf(err.code), retries);
      ledger.append({ e: 'error', pid, seq, p: partition, code: c.code, retriable: c.retriable, definite: c.definite, attempts: c.attempts, t });
      errors++;
    }
  };

  const producer = await connected('producer connect', () => {
    const client = new rd.Producer(props);
    watchClient(pid, client, 'producer');
    client.on('delivery-report', onReport as never);
    return client;
  });
  // delivery reports are served on the JavaScript thread by rd_kafka_poll()
  producer.setPollInterval(sync ? 2 : 10);
  send({ type: 'ready' });

  let seq = 0;
  let stopping = false;
  // false once a stop has flushed for its share of the grace period
  let handingOver = true;

  /** Hands the first `n` waiting messages to librdkafka; stops at a full queue. */
  const handOver = (n: number) => {
    const batch = queue.front(n);
    const fresh: AttemptEvent[] = [];
    const t = Date.now();
    for (const m of batch) {
      if (!m.attempted) {
        fresh.push({ e: 'attempt', pid, seq: m.seq, p: m.partition, t });
        m.attempted = true;
      }
    }
    // the attempts are in the ledger before librdkafka has the records
    ledger.appendAll(fresh);
    attempted += fresh.length;
    let taken = 0;
    for (const m of batch) {
      try {
        producer.produce(cfg.topic, m.partition, Buffer.from(m.value), `${pid}:${m.seq}`, null, m.seq);
        inFlight.set(m.seq, m.partition);
        taken++;
      } catch (err) {
        const code = (err as Partial<RdError>).code;
        if (code === ERR.QUEUE_FULL) break;
        // refused before librdkafka queued it (e.g. larger than message.max.bytes): it cannot be in the log
        const c = classifyDeliveryError({ code: code ?? 0 }, typeof code === 'number' ? nameOf(code) : 'Error', retries);
        ledger.append({ e: 'error', pid, seq: m.seq, p: m.partition, code: c.code, retriable: c.retriable, definite: true, attempts: 0, t: Date.now() });
        errors++;
        log(pid, `produce of ${pid}:${m.seq} refused: ${errorMessage(err)}`);
        taken++;
      }
    }
    queue.take(taken);
  };

  const pump = () => {
    if (!handingOver || queue.length === 0) return;
    if (sync) {
      if (inFlight.size === 0) handOver(1);
    } else {
      while (queue.length > 0) {
        const before = queue.length;
        handOver(Math.min(queue.length, 500));
        if (queue.length === before || queue.at(0)?.attempted) break;
      }
    }
  };

  let behind = false;
  let lastBacklogEvent = 0;
  const checkBacklog = () => {
    const queued = queue.length;
    const limit = Math.max(1, Math.floor((cfg.rate * BEHIND_AFTER_MS) / 1000));
    const now = Date.now();
    if (!behind && queued >= limit) {
      behind = true;
      lastBacklogEvent = now;
      ledger.append({ e: 'backlog', pid, state: 'behind', queued, t: now });
    } else if (behind && queued < Math.max(1, Math.floor(limit / 10))) {
      behind = false;
      ledger.append({ e: 'backlog', pid, state: 'caught-up', queued, t: now });
    } else if (behind && now - lastBacklogEvent >= 1000) {
      lastBacklogEvent = now;
      ledger.append({ e: 'backlog', pid, state: 'behind', queued, t: now });
    }
  };
  const stats = () => send({ type: 'stats', role: 'producer', attempted, acked, errors, inFlight: inFlight.size, queued: queue.length });
  const statsTimer = setInterval(() => {
    checkBacklog();
    stats();
  }, 250);

  const started = Date.now();
  await new Promise<void>((resolve) => {
    const loop = setInterval(() => {
      if (!stopping) {
        const due = Math.floor(((Date.now() - started) * cfg.rate) / 1000);
        const now = Date.now();
        while (seq < due) {
          const s = seq++;
          queue.push({ seq: s, partition: s % cfg.partitions, value: messageValue({ runId: cfg.runId, producerId: pid, seq: s, sentAt: now }, cfg.messageSize), attempted: false });
        }
      }
      pump();
    }, 2);
    onStop(async (graceMs) => {
      stopping = true;
      const until = Date.now() + graceMs;
      // like a producer's close(): what the application generated is handed over for the
      // first half of the grace period; the second half is for what is in flight to settle
      const flushUntil = Date.now() + graceMs / 2;
      while (Date.now() < until) {
        if (Date.now() >= flushUntil) handingOver = false;
        if ((queue.length === 0 || !handingOver) && inFlight.size === 0) break;
        await sleep(10);
      }
      handingOver = false;
      clearInterval(loop);
      const t = Date.now();
      // what librdkafka refused (queue full) has an attempt: an error, not unsent
      const unsent = new Map<number, number[]>();
      const refused: LedgerEvent[] = [];
      for (const m of queue.take()) {
        if (m.attempted) {
          refused.push({ e: 'error', pid, seq: m.seq, p: m.partition, code: nameOf(ERR.QUEUE_FULL), retriable: true, definite: true, attempts: 0, t });
          errors++;
        } else {
          let l = unsent.get(m.partition);
          if (!l) unsent.set(m.partition, (l = []));
          l.push(m.seq);
        }
      }
      ledger.appendAll(refused);
      // what is still waiting was never handed to the client: unsent, not unknown
      ledger.appendAll([...unsent.entries()].sort((a, b) => a[0] - b[0]).map(([part, seqs]): LedgerEvent => ({ e: 'unsent', pid, p: part, seqs, t })));
      if (inFlight.size > 0) log(pid, `${inFlight.size} message(s) still without a delivery report at the end of the grace period`);
      resolve();
    });
  });
  clearInterval(statsTimer);
  stats();
  // what is in flight after the grace period stays unknown: no more waiting for it
  producer.setPollInterval(0);
  await disconnect(producer, 10_000, 100);
}

// ---------------------------------------------------------------------------- consumers

/** Offsets handed out and finished, per partition, for the contiguous processed prefix. */
class PartState {
  /** offsets handed out, in order */
  private readonly inHand = new Fifo<number>();
  readonly done = new Set<number>();
  /** next offset after the contiguous processed prefix; -1: nothing yet */
  prefix = -1;
  /** the last offset a commit was asked for */
  requested = -1;

  add(offset: number): void {
    this.inHand.push(offset);
  }

  advance(): number {
    for (let o = this.inHand.at(0); o !== undefined && this.done.delete(o); o = this.inHand.at(0)) {
      this.prefix = o + 1;
      this.inHand.shift();
    }
    return this.prefix;
  }
}

/**
 * Rebalances as a Java poll loop sees them: librdkafka calls rebalance_cb from inside
 * consume(), and the binding hands it to the JavaScript thread, where it may arrive
 * while a batch is in hand. The handler waits until the loop is between batches (the
 * Java client runs its listener inside poll(), never during the application's
 * processing), the loop takes no new batch meanwhile, and librdkafka waits for the
 * assign/unassign. So the records in hand are finished before partitions go.
 */
class RebalanceGate {
  /** a consume() or a batch is under way */
  inBatch = false;
  private pending = 0;
  private chain: Promise<void> = Promise.resolve();

  /** Runs a rebalance step once the loop is between batches (steps run in order). */
  run(step: () => void | Promise<void>): void {
    this.pending++;
    this.chain = this.chain.then(async () => {
      try {
        while (this.inBatch) await sleep(2);
        await step();
      } finally {
        this.pending--;
      }
    });
  }

  /** Waits until no rebalance step is waiting, then marks a batch as started. */
  async enter(): Promise<void> {
    while (this.pending > 0) await sleep(2);
    this.inBatch = true;
  }

  leave(): void {
    this.inBatch = false;
  }
}

/**
 * The rebalance_cb of a group member: each step waits for the gate (between batches), is
 * logged and written to the ledger as a rebalance event, and then assigns or unassigns
 * (incrementally under the cooperative protocol). `onAssign` and `onRevoke` are the
 * role's own work before that (its per-partition state, a commit on revoke).
 */
function rebalanceCallback(opts: {
  agentId: string;
  ledger: LedgerWriter;
  gate: RebalanceGate;
  consumer: () => RdConsumer;
  onAssign?: (partitions: number[]) => void;
  onRevoke?: (partitions: number[], lost: boolean) => void | Promise<void>;
}): (err: RdError | undefined, assignment: RdTopicPartition[]) => void {
  const { agentId, ledger } = opts;
  return (err, assignment) => {
    const code = err?.code;
    opts.gate.run(async () => {
      const consumer = opts.consumer();
      const cooperative = consumer.rebalanceProtocol() === 'COOPERATIVE';
      const partitions = assignment.map((a) => a.partition).sort((a, b) => a - b);
      try {
        if (code === ERR.ASSIGN_PARTITIONS) {
          opts.onAssign?.(partitions);
          log(agentId, `assigned ${partitions.join(',') || '(none)'}`);
          ledger.append({ e: 'rebalance', agent: agentId, kind: 'assigned', p: partitions, t: Date.now() });
          if (cooperative) consumer.incrementalAssign(assignment);
          else consumer.assign(assignment);
        } else if (code === ERR.REVOKE_PARTITIONS) {
          const lost = consumer.assignmentLost?.() ?? false;
          log(agentId, `${lost ? 'lost' : 'revoked'} ${partitions.join(',') || '(none)'}`);
          if (partitions.length > 0) ledger.append({ e: 'rebalance', agent: agentId, kind: lost ? 'lost' : 'revoked', p: partitions, t: Date.now() });
          await opts.onRevoke?.(partitions, lost);
          if (cooperative) consumer.incrementalUnassign(assignment);
          else consumer.unassign();
        } else {
          log(agentId, `rebalance error: ${err?.message ?? 'unknown'}`);
          consumer.unassign();
        }
      } catch (e) {
        log(agentId, `rebalance step failed: ${errorMessage(e)}`);
      }
    });
  };
}

function consumeBatch(consumer: RdConsumer, n: number): Promise<RdMessage[]> {
  return new Promise((resolve, reject) => consumer.consume(n, (err, messages) => (err ? reject(rdError(err)) : resolve(messages ?? []))));
}

/** A consume() error the loop goes on after (everything but a fatal error). */
async function consumeError(agentId: string, err: unknown): Promise<void> {
  const e = err as RdError;
  if (e.isFatal) throw err;
  if (e.code !== ERR.TIMED_OUT && e.code !== ERR.PARTITION_EOF) log(agentId, `consume failed: ${errorMessage(err)} (${e.code})`);
  await sleep(100);
}

function offsetsKey(tps: readonly { partition: number; offset?: number }[]): string {
  return tps
    .map((tp) => `${tp.partition}:${tp.offset ?? ''}`)
    .sort()
    .join(',');
}

/**
 * The consumer. Records come a consume(n) at a time, n = max.poll.records (500, the Java
 * client's default, when not set): like one poll(), consume(n) returns as soon as any
 * record is there (setDefaultIsTimeoutOnlyForFirstMessage), with up to n of those
 * fetched. Strategies: commit-then-process commits the batch's end when it arrives,
 * process-then-commit after processing it; auto-commit leaves commits to librdkafka's
 * timer (enable.auto.commit), which commits the STORED offsets.
 *
 * Auto-commit as the Java client does it: Java commits the position its poll() returned,
 * at a later poll(), i.e. once the single-threaded loop processed the batch. librdkafka
 * would by default store each record's offset when consume() hands it out, and its timer
 * thread would commit records the application is still processing. So
 * enable.auto.offset.store is false and the agent stores the batch's end once processed
 * (one worker), or once handed to the workers (several: Java's position moves at poll(),
 * whatever the workers finished); librdkafka commits what is stored on its timer, on a
 * revoke and on close. Its commits are seen in offset_commit_cb.
 *
 * Manual commits: sync = commitSync(offsets); async = commit(offsets), the result in
 * offset_commit_cb (a failure is not retried); async-retry = a failed async commit is
 * made again with the same offsets after a 2 s backoff, up to 10 times (the retry can
 * land after a later commit). A `committed` event is written only for a commit that
 * succeeded, with the time it was sent (`s`) for async commits; a failed one, of any
 * kind, is a `commit-failed` event.
 */
/** async-retry: how often, and how long after a failure, a failed async commit is made again */
const ASYNC_RETRIES = 10;
const ASYNC_RETRY_BACKOFF_MS = 2000;

async function runConsumer(rd: Rdkafka, cfg: ConsumerAgentConfig, ledger: LedgerWriter, onStop: OnStop): Promise<void> {
  const c = cfg.consumer;
  const cid = cfg.agentId;
  const idOf = messageIdParser(cfg.runId);
  const autoCommit = c.strategy === 'auto-commit';
  const maxPoll = c.maxPollRecords ?? DEFAULT_MAX_POLL_RECORDS;
  const gate = new RebalanceGate();
  const parts = new Map<number, PartState>();
  const part = (p: number) => {
    let s = parts.get(p);
    if (!s) parts.set(p, (s = new PartState()));
    return s;
  };

  let received = 0;
  let processed = 0;
  let commits = 0;
  let busy = false;
  const maxProcessed: Record<number, number> = {};
  let consumer!: RdConsumer;

  const committed = (offsets: readonly RdTopicPartitionOffset[], sent?: number) => {
    if (offsets.length === 0) return;
    const t = Date.now();
    ledger.appendAll(offsets.map((tp): CommittedEvent => (sent === undefined ? { e: 'committed', cid, p: tp.partition, o: tp.offset, t } : { e: 'committed', cid, p: tp.partition, o: tp.offset, t, s: sent })));
    commits += offsets.length;
  };

  const nameOf = errorNames(rd.CODES.ERRORS);
  const commitFailed = (partitions: readonly number[], code: string) => ledger.append({ e: 'commit-failed', agent: cid, p: [...partitions].sort((a, b) => a - b), code, t: Date.now() });
  const rdCode = (err: unknown): string => {
    const e = err as { code?: unknown; message?: unknown } | null | undefined;
    return typeof e?.code === 'number' ? nameOf(e.code) : typeof e?.message === 'string' ? e.message : 'Error';
  };

  // offset_commit_cb reports every commit librdkafka made: the auto-commits, the async
  // commits, and the results of commitSync as well (seen on a real cluster). The async
  // ones are matched by their offsets; the sync ones were written when commitSync
  // returned and their echo is skipped.
  const asyncPending = new Map<string, { offsets: RdTopicPartitionOffset[]; retry: number; sent: number }[]>();
  const syncEchoes = new Map<string, number>();
  const commitAsync = (offsets: RdTopicPartitionOffset[], retry: number) => {
    const key = offsetsKey(offsets);
    let l = asyncPending.get(key);
    if (!l) asyncPending.set(key, (l = []));
    const entry = { offsets, retry, sent: Date.now() };
    l.push(entry);
    try {
      consumer.commit(offsets);
    } catch (err) {
      l.splice(l.indexOf(entry), 1);
      if (l.length === 0) asyncPending.delete(key);
      commitFailed(offsets.map((o) => o.partition), rdCode(err));
      log(cid, `async commit of ${key} could not be made: ${errorMessage(err)}`);
    }
  };
  const onCommitResult = (err: RdError | null | undefined, offsets: RdTopicPartitionOffset[] | undefined) => {
    const list = offsets ?? [];
    const key = offsetsKey(list);
    const echo = syncEchoes.get(key);
    if (echo !== undefined) {
      if (echo <= 1) syncEchoes.delete(key);
      else syncEchoes.set(key, echo - 1);
      return;
    }
    const pending = asyncPending.get(key);
    const failed = err ? [] : list.filter((tp) => tp.error);
    const ok = err ? [] : list.filter((tp) => !tp.error && tp.offset >= 0);
    // what failed and why, for either kind of commit: the whole commit, or some of its partitions
    const failure =
      err || failed.length > 0
        ? { partitions: (err ? list : failed).map((o) => o.partition), code: rdCode(err ?? failed[0]!.error), why: err ? err.message : failed.map((tp) => `${tp.partition}: ${tp.error?.message}`).join('; ') }
        : undefined;
    if (pending && pending.length > 0) {
      const entry = pending.shift()!;
      if (pending.length === 0) asyncPending.delete(key);
      committed(ok, entry.sent);
      if (failure) {
        commitFailed(failure.partitions, failure.code);
        const again = c.commit === 'async-retry' && entry.retry < ASYNC_RETRIES;
        log(cid, `async commit of ${key} failed: ${failure.why}${again ? `; committing the same offsets again in ${ASYNC_RETRY_BACKOFF_MS} ms` : ''}`);
        // like a callback that retries with a backoff: meanwhile newer offsets are committed
        // a retry still waiting when the agent stops dies with it (sent after the final commit it would land after it)
        if (again) setTimeout(() => !stopping && commitAsync(entry.offsets, entry.retry + 1), ASYNC_RETRY_BACKOFF_MS).unref();
      }
      return;
    }
    if (autoCommit) {
      committed(ok);
      if (failure) {
        commitFailed(failure.partitions, failure.code);
        log(cid, `auto-commit of ${key} failed: ${failure.why}`);
      }
    }
  };

  const commitSync = (offsets: RdTopicPartitionOffset[], why: string): boolean => {
    if (offsets.length === 0) return true;
    const key = offsetsKey(offsets);
    try {
      consumer.commitSync(offsets);
      syncEchoes.set(key, (syncEchoes.get(key) ?? 0) + 1);
      committed(offsets);
      return true;
    } catch (err) {
      // a failed commit is what the application would see: the records stay uncommitted
      commitFailed(offsets.map((o) => o.partition), rdCode(err));
      log(cid, `${why} commit of ${key} failed: ${errorMessage(err)}`);
      return false;
    }
  };

  /**
   * Waits (up to `maxMs`) for the results of the async commits made so far, before a
   * commitSync: as the Java client's commitSync invokes the callbacks of earlier async
   * commits before it returns, so that the ledger has the commits in the order they were
   * applied. librdkafka serves offset_commit_cb only inside a consume: the assignment is
   * paused (no records come), consumed from until the results came, and resumed.
   * Between batches only (a rebalance step or the close).
   */
  const drainAsyncCommits = async (maxMs: number) => {
    if (asyncPending.size === 0) return;
    let paused: RdTopicPartition[] = [];
    try {
      paused = consumer.assignments();
      consumer.pause(paused);
    } catch (err) {
      log(cid, `pause for the async commit results failed: ${errorMessage(err)}`);
    }
    const until = Date.now() + maxMs;
    while (asyncPending.size > 0 && Date.now() < until) {
      try {
        const late = await consumeBatch(consumer, 1);
        for (const m of late) {
          // not taken: read again from there once resumed
          log(cid, `a record (p${m.partition}@${m.offset}) came while paused: seeking back to it`);
          consumer.seek({ topic: cfg.topic, partition: m.partition, offset: m.offset }, 0, () => undefined);
        }
      } catch {
        await sleep(10);
      }
    }
    if (asyncPending.size > 0) log(cid, `${asyncPending.size} async commit(s) still without a result after ${maxMs} ms`);
    if (!stopping && paused.length > 0) {
      try {
        consumer.resume(paused);
      } catch (err) {
        log(cid, `resume after the async commit results failed: ${errorMessage(err)}`);
      }
    }
  };

  /**
   * commitSync in a rebalance step or at close, where async commits may be pending. Their
   * results, earlier commits, arrive after commitSync returned (librdkafka applies the
   * commits in order, but hands their results to offset_commit_cb only inside a later
   * consume): the sync commit's events are written after them, in the order the commits
   * were applied.
   */
  const commitSyncAfterAsync = async (offsets: RdTopicPartitionOffset[], why: string): Promise<void> => {
    if (asyncPending.size === 0) {
      commitSync(offsets, why);
      return;
    }
    if (offsets.length === 0) return;
    const key = offsetsKey(offsets);
    try {
      consumer.commitSync(offsets);
      syncEchoes.set(key, (syncEchoes.get(key) ?? 0) + 1);
    } catch (err) {
      commitFailed(offsets.map((o) => o.partition), rdCode(err));
      log(cid, `${why} commit of ${key} failed: ${errorMessage(err)}`);
      return;
    }
    await drainAsyncCommits(2000);
    committed(offsets);
  };

  /** A manual commit, made the way cfg.consumer.commit says. */
  const commit = (offsets: RdTopicPartitionOffset[]) => {
    if (offsets.length === 0) return;
    for (const tp of offsets) {
      const s = parts.get(tp.partition);
      if (s) s.requested = Math.max(s.requested, tp.offset);
    }
    if (c.commit === 'sync') commitSync(offsets, 'sync');
    else commitAsync(offsets, 0);
  };

  /** auto-commit: what librdkafka's timer may commit from now on. */
  const stored = new Map<number, number>();
  const store = (offsets: RdTopicPartitionOffset[]) => {
    if (offsets.length === 0) return;
    try {
      consumer.offsetsStore(offsets);
      for (const tp of offsets) stored.set(tp.partition, tp.offset);
    } catch (err) {
      log(cid, `offsets store of ${offsetsKey(offsets)} failed: ${errorMessage(err)}`);
    }
  };

  const tp = (partition: number, offset: number): RdTopicPartitionOffset => ({ topic: cfg.topic, partition, offset });
  const endPositions = (msgs: readonly RdMessage[]): RdTopicPartitionOffset[] => {
    const ends = new Map<number, number>();
    for (const m of msgs) ends.set(m.partition, Math.max(ends.get(m.partition) ?? -1, m.offset + 1));
    return [...ends.entries()].map(([p, o]) => tp(p, o));
  };
  const processedPrefix = (partitions: Iterable<number>): RdTopicPartitionOffset[] => {
    const out: RdTopicPartitionOffset[] = [];
    for (const p of partitions) {
      const s = parts.get(p);
      if (s && s.advance() >= 0) out.push(tp(p, s.prefix));
    }
    return out;
  };
  /** in-order: commits, per partition, the prefix every worker has finished (when it moved). */
  const commitInOrder = () => {
    const out: RdTopicPartitionOffset[] = [];
    for (const [p, s] of parts) {
      const next = s.advance();
      if (next >= 0 && next > s.requested) out.push(tp(p, next));
    }
    commit(out);
  };

  const rebalance = rebalanceCallback({
    agentId: cid,
    ledger,
    gate,
    consumer: () => consumer,
    onAssign: (partitions) => {
      for (const p of partitions) parts.delete(p);
    },
    onRevoke: async (partitions, lost) => {
      // the group moved on without us when they are lost: nothing may be committed for
      // them. While closing, the binding refuses commits (the close's own revoke was
      // committed before it, see the end of runConsumer)
      if (c.commitOnRevoke && !autoCommit && !lost && !closing) await commitSyncAfterAsync(processedPrefix(partitions), 'revoke');
      // what was stored for them is librdkafka's to commit on this unassign, no longer ours
      for (const p of partitions) {
        parts.delete(p);
        stored.delete(p);
      }
    },
  });

  const props: RdConfig = {
    'group.id': cfg.groupId,
    ...cfg.consumerProperties,
    ...baseConfig(cfg),
    'enable.auto.commit': String(autoCommit),
    'enable.auto.offset.store': 'false',
    rebalance_cb: rebalance as never,
    offset_commit_cb: onCommitResult as never,
  };
  consumer = await connected('consumer connect', () => {
    const client = new rd.KafkaConsumer(props);
    watchClient(cid, client, 'consumer');
    return client;
  });
  consumer.setDefaultConsumeTimeout(CONSUME_TIMEOUT_MS);
  consumer.setDefaultIsTimeoutOnlyForFirstMessage?.(true);
  consumer.subscribe([cfg.topic]);
  // up and connected; joining the group may wait for a dead member's session to expire
  send({ type: 'ready' });
  const stats = () => send({ type: 'stats', role: 'consumer', received, processed, commits, maxProcessed, busy });
  const statsTimer = setInterval(stats, 250);

  let stopping = false;
  let stopDeadline = Infinity;
  /** set at the end of a graceful stop: workers drop what they have not started */
  let abandon = false;
  /** the consumer is being closed */
  let closing = false;

  const receive = (msgs: readonly RdMessage[]): (MessageId | null)[] => {
    const t = Date.now();
    const ids = msgs.map((m) => idOf(m.value));
    ledger.appendAll(msgs.map((m, i): LedgerEvent => ({ e: 'received', cid, id: ids[i]!, p: m.partition, o: m.offset, t })));
    received += msgs.length;
    for (const m of msgs) part(m.partition).add(m.offset);
    return ids;
  };
  const process1 = async (m: RdMessage, id: MessageId | null, done: Set<number>): Promise<boolean> => {
    if (abandon) return false;
    if (cfg.processingTimeMs > 0) await sleep(cfg.processingTimeMs);
    if (abandon) return false;
    ledger.append({ e: 'processed', cid, id, p: m.partition, o: m.offset, t: Date.now() });
    processed++;
    const prev = maxProcessed[m.partition];
    if (prev === undefined || m.offset > prev) maxProcessed[m.partition] = m.offset;
    done.add(m.offset);
    return true;
  };

  const runSingle = async () => {
    while (!stopping) {
      await gate.enter();
      try {
        let msgs: RdMessage[];
        try {
          msgs = await consumeBatch(consumer, maxPoll);
        } catch (err) {
          gate.leave();
          await consumeError(cid, err);
          continue;
        }
        if (msgs.length === 0) continue;
        // the records of a poll that returned are processed, as in a Java poll loop,
        // even if the stop came while it was under way
        busy = true;
        const ids = receive(msgs);
        const ends = endPositions(msgs);
        if (c.strategy === 'commit-then-process') commit(ends);
        // a graceful stop never cuts the records in hand short, unless the grace is over
        let complete = true;
        for (let i = 0; i < msgs.length; i++) {
          if (Date.now() > stopDeadline) {
            complete = false;
            break;
          }
          const m = msgs[i]!;
          await process1(m, ids[i]!, part(m.partition).done);
        }
        const partitions = ends.map((e) => e.partition);
        if (c.strategy === 'process-then-commit') commit(complete ? ends : processedPrefix(partitions));
        else if (autoCommit) store(complete ? ends : processedPrefix(partitions));
        for (const p of partitions) parts.get(p)?.advance();
      } finally {
        busy = false;
        gate.leave();
      }
    }
  };

  const runWorkers = async () => {
    // records in hand are bounded: past this many the assignment is paused (consume still serves the group)
    const limit = Math.max(1000, c.workers * 100);
    const work = new Fifo<{ m: RdMessage; id: MessageId | null; done: Set<number> }>();
    let outstanding = 0;
    let polling = true;
    const worker = async () => {
      for (;;) {
        const item = work.shift();
        if (item) {
          try {
            await process1(item.m, item.id, item.done);
          } finally {
            outstanding--;
          }
        } else if (!polling || abandon) {
          return;
        } else {
          await new Promise<void>((resolve) => idle.push(resolve));
        }
      }
    };
    /** workers waiting for records */
    const idle: (() => void)[] = [];
    const wakeWorkers = () => {
      for (const w of idle.splice(0)) w();
    };
    const workers = Array.from({ length: c.workers }, () => worker());
    let paused = false;
    while (!stopping) {
      await gate.enter();
      try {
        let msgs: RdMessage[];
        try {
          msgs = await consumeBatch(consumer, maxPoll);
        } catch (err) {
          gate.leave();
          await consumeError(cid, err);
          continue;
        }
        if (msgs.length > 0) {
          const ids = receive(msgs);
          msgs.forEach((m, i) => {
            work.push({ m, id: ids[i]!, done: part(m.partition).done });
            outstanding++;
          });
          wakeWorkers();
          // handed out: Java's position (what auto-commit commits) and `ahead` move now
          if (autoCommit) store(endPositions(msgs));
          else if (c.workerCommit === 'ahead') commit(endPositions(msgs));
        }
        if (!autoCommit && c.workerCommit === 'in-order') commitInOrder();
        busy = outstanding > 0;
        if (!paused && outstanding >= limit) {
          consumer.pause(consumer.assignments());
          paused = true;
        } else if (paused && outstanding < limit / 2) {
          consumer.resume(consumer.assignments());
          paused = false;
        }
      } finally {
        gate.leave();
      }
    }
    // the workers finish what they have within the grace
    while (outstanding > 0 && Date.now() < stopDeadline) await sleep(5);
    abandon = true;
    polling = false;
    wakeWorkers();
    await Promise.all(workers);
    if (!autoCommit && c.workerCommit === 'in-order') commitInOrder();
    busy = false;
  };

  let loopDone: Promise<void> = Promise.resolve();
  await new Promise<void>((resolve, reject) => {
    onStop(async (graceMs) => {
      stopDeadline = Date.now() + graceMs;
      stopping = true;
      try {
        await loopDone;
      } catch {
        // reported by the loop
      }
      resolve();
    });
    loopDone = c.workers > 1 ? runWorkers() : runSingle();
    loopDone.catch(reject);
  });
  clearInterval(statsTimer);
  stats();
  // pending async commits get their results, as in Java's close()
  await drainAsyncCommits(Math.min(2000, Math.max(500, stopDeadline - Date.now())));
  // a graceful close: auto-commit commits what it stored (Java's close() commits its
  // position); librdkafka's own commit on close would report to a callback that may no
  // longer run, so it is made here, synchronously, and recorded
  if (autoCommit) commitSync([...stored.entries()].map(([p, o]) => tp(p, o)), 'close');
  // Java's close() revokes the assignment, and the listener commits what was processed;
  // the binding refuses commits once its disconnect began, so that commit is made here
  if (c.commitOnRevoke && !autoCommit) await commitSyncAfterAsync(processedPrefix([...parts.keys()]), 'revoke (close)');
  closing = true;
  await disconnect(consumer, Math.max(1000, Math.min(10_000, stopDeadline - Date.now())));
}

// ---------------------------------------------------------------------------- transformer

/**
 * Consume-transform-produce in transactions: each consume(n) is one transaction
 * (beginTransaction, the output records, sendOffsetsToTransaction with the consumer's
 * group metadata, commitTransaction). A failure aborts it and the input is read again
 * from the committed positions; a fatal error (fenced, ...) ends the agent.
 */
async function runTransformer(rd: Rdkafka, cfg: TransformerAgentConfig, ledger: LedgerWriter, onStop: OnStop): Promise<void> {
  const xid = cfg.agentId;
  const idOf = messageIdParser(cfg.runId);
  const maxPoll = cfg.consumer.maxPollRecords ?? DEFAULT_MAX_POLL_RECORDS;
  const gate = new RebalanceGate();
  let consumed = 0;
  let produced = 0;
  let committedTxns = 0;
  let abortedTxns = 0;
  let busy = false;
  const maxProcessed: Record<number, number> = {};
  let nextTxn = 0;

  const producerProps: RdConfig = {
    ...cfg.producerProperties,
    ...baseConfig(cfg),
    'client.id': `kafka-chaos-${xid}-producer`,
    'transactional.id': cfg.transactionalId,
    'enable.idempotence': 'true',
    dr_cb: true,
  };
  // librdkafka refuses a message timeout longer than the transaction timeout (the Java
  // client does not check): a record cannot outlive its transaction anyway, so the
  // delivery timeout is cut to the transaction timeout (60 s by default in both clients)
  const txnTimeoutMs = Number(producerProps['transaction.timeout.ms'] ?? 60_000);
  if (Number(producerProps['message.timeout.ms'] ?? 300_000) > txnTimeoutMs) {
    log(xid, `message.timeout.ms ${String(producerProps['message.timeout.ms'] ?? 'default')} cut to transaction.timeout.ms ${txnTimeoutMs}`);
    producerProps['message.timeout.ms'] = String(txnTimeoutMs);
  }
  const producer = await connected('producer connect', () => {
    const client = new rd.Producer(producerProps);
    watchClient(xid, client, 'producer');
    client.on('delivery-report', ((err: RdError | undefined, r: RdDeliveryReport) => {
      if (err) log(xid, `send of an output record to partition ${r.partition} failed: ${err.message}`);
    }) as never);
    return client;
  });
  producer.setPollInterval(10);
  await retryStartup('initTransactions', () => promised((cb) => producer.initTransactions(30_000, cb)));

  let consumer!: RdConsumer;
  const rebalance = rebalanceCallback({ agentId: xid, ledger, gate, consumer: () => consumer });
  const consumerProps: RdConfig = {
    'group.id': cfg.groupId,
    ...cfg.consumerProperties,
    ...baseConfig(cfg),
    'client.id': `kafka-chaos-${xid}-consumer`,
    'isolation.level': 'read_committed',
    'enable.auto.commit': 'false',
    'enable.auto.offset.store': 'false',
    rebalance_cb: rebalance as never,
  };
  consumer = await connected('consumer connect', () => {
    const client = new rd.KafkaConsumer(consumerProps);
    watchClient(xid, client, 'consumer');
    return client;
  });
  consumer.setDefaultConsumeTimeout(CONSUME_TIMEOUT_MS);
  consumer.setDefaultIsTimeoutOnlyForFirstMessage?.(true);
  consumer.subscribe([cfg.inputTopic]);
  send({ type: 'ready' });
  const stats = () => send({ type: 'stats', role: 'transformer', consumed, produced, committedTxns, abortedTxns, maxProcessed, busy });
  const statsTimer = setInterval(stats, 250);

  const fatal = (e: unknown) => Boolean((e as RdError).isFatal);

  /** After an abort: the input is read again from the last committed position. */
  const seekBack = async (msgs: readonly RdMessage[]) => {
    const first = new Map<number, number>();
    for (const m of msgs) if (!first.has(m.partition)) first.set(m.partition, m.offset);
    let committed: RdTopicPartitionOffset[] = [];
    try {
      committed = await new Promise((resolve, reject) =>
        consumer.committed([...first.keys()].map((partition) => ({ topic: cfg.inputTopic, partition })), 10_000, (err, tps) => (err ? reject(rdError(err)) : resolve(tps))),
      );
    } catch (err) {
      log(xid, `reading the committed offsets failed: ${errorMessage(err)}; rewinding to the batch's first records`);
    }
    for (const [partition, firstOffset] of first) {
      const c = committed.find((t) => t.partition === partition);
      const to = c && c.offset >= 0 ? c.offset : firstOffset;
      try {
        await promised((cb) => consumer.seek({ topic: cfg.inputTopic, partition, offset: to }, 5000, cb));
      } catch (err) {
        log(xid, `seek of partition ${partition} to ${to} failed: ${errorMessage(err)}`);
      }
    }
  };

  const commitTransaction = async (txn: number) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await promised((cb) => producer.commitTransaction(30_000, cb));
        return;
      } catch (err) {
        const e = err as RdError;
        // retriable (a timeout): the commit may be under way, and only a retry of the commit may follow
        if (!e.isRetriable || e.isTxnRequiresAbort || e.isFatal) throw err;
        if (attempt >= 3) throw Object.assign(new Error(`commitTransaction of transaction ${txn} failed ${attempt} times: ${e.message}`), { isFatal: true });
        log(xid, `commitTransaction of transaction ${txn} failed (${e.message}); retrying`);
      }
    }
  };

  const transaction = async (msgs: RdMessage[]) => {
    const txn = nextTxn++;
    const offsets: Record<number, number> = {};
    for (const m of msgs) offsets[m.partition] = Math.max(offsets[m.partition] ?? -1, m.offset + 1);
    const positions = Object.entries(offsets).map(([p, o]): RdTopicPartitionOffset => ({ topic: cfg.inputTopic, partition: Number(p), offset: o }));
    try {
      await promised((cb) => producer.beginTransaction(cb));
      const t = Date.now();
      const ids = msgs.map((m) => idOf(m.value));
      ledger.appendAll(msgs.map((m, i): LedgerEvent => ({ e: 'consumed', xid, id: ids[i]!, p: m.partition, o: m.offset, t })));
      consumed += msgs.length;
      const key = `${xid}:${txn}`;
      for (let i = 0; i < msgs.length; i++) {
        const m = msgs[i]!;
        if (cfg.processingTimeMs > 0) await sleep(cfg.processingTimeMs);
        const id = ids[i];
        // the contract's produced event names an input message of this run; an input that
        // is not one of ours is transformed all the same, without an event
        if (id) ledger.append({ e: 'produced', xid, id, p: m.partition, txn, t: Date.now() });
        const value = m.value ? transformedValue(m.value.toString('utf8'), xid, txn) : `{"by":${JSON.stringify(xid)},"txn":${txn}}`;
        for (;;) {
          try {
            producer.produce(cfg.outputTopic, m.partition, Buffer.from(value), key, null, undefined);
            break;
          } catch (err) {
            if ((err as RdError).code !== ERR.QUEUE_FULL) throw err;
            await sleep(5);
          }
        }
        produced++;
      }
      await promised((cb) => producer.sendOffsetsToTransaction(positions, consumer, 30_000, cb));
      await commitTransaction(txn);
      ledger.append({ e: 'txn', xid, txn, state: 'commit', offsets, t: Date.now() });
      committedTxns++;
      for (const [p, o] of Object.entries(offsets)) maxProcessed[Number(p)] = Math.max(maxProcessed[Number(p)] ?? -1, o - 1);
    } catch (err) {
      if (fatal(err)) throw err;
      log(xid, `transaction ${txn} failed: ${errorMessage(err)}; aborting`);
      try {
        await promised((cb) => producer.abortTransaction(30_000, cb));
      } catch (abortErr) {
        throw new Error(`abortTransaction of transaction ${txn} failed after ${errorMessage(err)}: ${errorMessage(abortErr)}`);
      }
      ledger.append({ e: 'txn', xid, txn, state: 'abort', offsets, t: Date.now() });
      abortedTxns++;
      await seekBack(msgs);
    }
  };

  let stopping = false;
  const loop = async () => {
    while (!stopping) {
      await gate.enter();
      try {
        let msgs: RdMessage[];
        try {
          msgs = await consumeBatch(consumer, maxPoll);
        } catch (err) {
          gate.leave();
          await consumeError(xid, err);
          continue;
        }
        if (msgs.length === 0) continue;
        busy = true;
        await transaction(msgs);
      } finally {
        busy = false;
        gate.leave();
      }
    }
  };
  let loopDone: Promise<void> = Promise.resolve();
  let stopDeadline = Infinity;
  await new Promise<void>((resolve, reject) => {
    onStop(async (graceMs) => {
      stopDeadline = Date.now() + graceMs;
      stopping = true;
      try {
        await loopDone;
      } catch {
        // reported by the loop
      }
      resolve();
    });
    loopDone = loop();
    loopDone.catch(reject);
  });
  clearInterval(statsTimer);
  stats();
  const left = Math.max(1000, stopDeadline - Date.now());
  await disconnect(consumer, Math.min(10_000, left / 2));
  producer.setPollInterval(0);
  await disconnect(producer, 10_000, Math.min(10_000, Math.max(500, stopDeadline - Date.now())));
}

// ---------------------------------------------------------------------------- main

runAgentProcess(async (cfg, ledger, onStop) => {
  const { kafka, librdkafkaVersion, packageVersion } = await loadLibrdkafka();
  process.stderr.write(`[${cfg.agentId}] librdkafka ${librdkafkaVersion} (@confluentinc/kafka-javascript ${packageVersion}), role ${cfg.role}\n`);
  if (cfg.role === 'producer') await runProducer(kafka, cfg, ledger, onStop);
  else if (cfg.role === 'consumer') await runConsumer(kafka, cfg, ledger, onStop);
  else await runTransformer(kafka, cfg, ledger, onStop);
});
