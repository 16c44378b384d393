// The history of a run, as the agents record it. Agents append one JSON object per
// line to their own ledger file; the reconciler reads them back. Nothing else writes
// or interprets these files, so this module is the contract between the generator
// (agents), the nemesis (faults) and the checker (reconcile).
//
// The format: JSON lines (UTF-8, one event per line, `\n` after each), as JSON.stringify
// writes the objects below; final-read.jsonl holds one LogRecord per line the same way.
// Any valid JSON object per line is read exactly as JSON.parse reads it. The checker's
// reader (scan.ts) is fastest on the lines as the agents write them today, keys in the
// order of these interfaces, e.g.
//   {"e":"attempt","pid":"p0","seq":42,"p":3,"t":1700000000000}
//   {"e":"ack","pid":"p0","seq":42,"p":3,"o":1234,"t":1700000000005}
//   {"e":"processed","cid":"c0","id":"p0:42","p":3,"o":1234,"t":1700000000009}
//   {"p":3,"o":1234,"id":"p0:42"}
// so an agent that writes its objects in another key order is still read right, only
// more slowly (every such line goes through JSON.parse).

/** A message id is `${producerId}:${seq}`. */
export type MessageId = string;

export function messageId(producerId: string, seq: number): MessageId {
  return `${producerId}:${seq}`;
}

/** Written by a producer agent just before a message is handed to the client. */
export interface AttemptEvent {
  e: 'attempt';
  /** producer id (one per producer agent incarnation), e.g. "p0" */
  pid: string;
  seq: number;
  /** partition the message is addressed to */
  p: number;
  /** wall clock, ms since epoch */
  t: number;
}

/** The client reported success. `o` is the offset when the broker told it (not with acks=0). */
export interface AckEvent {
  e: 'ack';
  pid: string;
  seq: number;
  p: number;
  o: number | null;
  t: number;
}

/**
 * The client gave up on a message. `definite` is true only when the final cause is a
 * broker refusal that guarantees the write was not appended (e.g. NOT_ENOUGH_REPLICAS);
 * timeouts, network errors and NOT_LEADER_OR_FOLLOWER are indeterminate.
 */
export interface ErrorEvent {
  e: 'error';
  pid: string;
  seq: number;
  p: number;
  code: string;
  retriable: boolean;
  definite: boolean;
  /**
   * how many times the client sent the message's batch (counted by the driver, not taken
   * from the client); 0 when the client does not let the driver count them (java,
   * librdkafka retry inside the client), and then `definite` needs retries=0
   */
  attempts: number;
  t: number;
}

/**
 * The client sent a batch again (attempt `n`, from 2): counted by the driver at the
 * point where the client hands the batch to the network layer, so the report can say
 * which retries there were, when, and which messages they carried.
 */
export interface RetryEvent {
  e: 'retry';
  pid: string;
  p: number;
  seqs: number[];
  n: number;
  t: number;
}

/**
 * When the producer stopped, these messages were still waiting inside the agent: the
 * application had generated them but never handed them to the client.
 */
export interface UnsentEvent {
  e: 'unsent';
  pid: string;
  p: number;
  seqs: number[];
  t: number;
}

/**
 * The producer could not keep its target rate: `behind` when a second's worth of
 * messages is waiting in the agent (and again every second while it stays behind, with
 * the backlog then), `caught-up` when the backlog is gone again.
 */
export interface BacklogEvent {
  e: 'backlog';
  pid: string;
  state: 'behind' | 'caught-up';
  queued: number;
  t: number;
}

/** A consumer agent got a record from the client. `id` is null when the value is not one of ours. */
export interface ReceivedEvent {
  e: 'received';
  /** consumer agent id, e.g. "c0" */
  cid: string;
  id: MessageId | null;
  p: number;
  o: number;
  t: number;
}

/** The application's side effect for a record finished. */
export interface ProcessedEvent {
  e: 'processed';
  cid: string;
  id: MessageId | null;
  p: number;
  o: number;
  t: number;
}

/**
 * The consumer committed `o` (the next offset to read) for partition `p`: written when
 * the commit succeeded (commitSync returned, or commitAsync's callback reported success).
 */
export interface CommittedEvent {
  e: 'committed';
  cid: string;
  p: number;
  o: number;
  t: number;
  /** when the commit was sent (clients with asynchronous commits); absent: sent just before `t` */
  s?: number;
}

/** A transformer got an input record from its consumer. */
export interface ConsumedEvent {
  e: 'consumed';
  /** transformer agent id, e.g. "t0" */
  xid: string;
  /** the input message id; null when the value is not one of ours */
  id: MessageId | null;
  p: number;
  o: number;
  t: number;
}

/** A transformer handed the output record for input `id` to its producer, in transaction `txn`. */
export interface ProducedEvent {
  e: 'produced';
  xid: string;
  /** the input message id; null for an input record that is not one of ours */
  id: MessageId | null;
  /** output partition */
  p: number;
  /** the transformer's transaction number (from 0, per incarnation) */
  txn: number;
  t: number;
}

/**
 * A transaction ended: `commit` once commitTransaction returned, `abort` once
 * abortTransaction returned. `offsets` are the input positions (next offset to read per
 * partition) sent with the transaction. A transaction with neither event (the agent died)
 * is decided by the broker.
 */
export interface TxnEvent {
  e: 'txn';
  xid: string;
  txn: number;
  state: 'commit' | 'abort';
  offsets: Record<number, number>;
  t: number;
}

/**
 * A commit of a group member failed: the client reported an error for it (commitSync threw,
 * a commit callback got an error, an auto-commit the agent made or saw failed). `p` are
 * the partitions of that commit; they stay where they were committed before. Not written
 * where the client does not tell the application (the Java client's own auto-commit).
 */
export interface CommitFailedEvent {
  e: 'commit-failed';
  /** the consumer (c0) or transformer (t0) agent */
  agent: string;
  p: number[];
  /** the client's error, as short as it gives it */
  code: string;
  t: number;
}

/**
 * The group moved partitions of this member: `assigned` when it got them, `revoked` when
 * it gave them up in a rebalance, `lost` when the client says they were taken without a
 * revoke (the member was out of the group).
 */
export interface RebalanceEvent {
  e: 'rebalance';
  agent: string;
  kind: 'assigned' | 'revoked' | 'lost';
  p: number[];
  t: number;
}

/** An agent process started (once per incarnation; a restart writes another). */
export interface StartEvent {
  e: 'start';
  agent: string;
  os: number;
  t: number;
}

export type ProducerEvent = AttemptEvent | AckEvent | ErrorEvent | RetryEvent | UnsentEvent | BacklogEvent | StartEvent;
export type ConsumerEvent = ReceivedEvent | ProcessedEvent | CommittedEvent | CommitFailedEvent | RebalanceEvent | StartEvent;
export type TransformerEvent = ConsumedEvent | ProducedEvent | TxnEvent | CommitFailedEvent | RebalanceEvent | StartEvent;
export type LedgerEvent = ProducerEvent | ConsumerEvent | TransformerEvent;

/** What a message value carries (JSON, padded to the configured size). */
export interface MessagePayload {
  runId: string;
  producerId: string;
  seq: number;
  sentAt: number;
  pad?: string;
}

/** One record of the final read of the log. */
export interface LogRecord {
  p: number;
  o: number;
  /** parsed id, or null when the value is not a message of this run */
  id: MessageId | null;
  /** the raw value when it could not be parsed (truncated to 200 chars) */
  raw?: string;
  /** the record's key, when the read keeps keys (output topics of transformers) */
  k?: string;
}

/** What the final read saw of one partition. */
export interface PartitionRead {
  partition: number;
  logStartOffset: number;
  highWatermark: number;
  /** records returned by the read */
  records: number;
}

export interface FinalRead {
  isolation: 'read_uncommitted' | 'read_committed';
  partitions: PartitionRead[];
  records: LogRecord[];
}
