// The contract between the harness and its agent processes, whatever their language.
//
// An agent is started as `<command> <config.json>` (the command comes from the client
// driver). It reads its AgentConfig from that file, writes its ledger (JSON lines, see
// ledger/events.ts) and speaks JSON lines over stdio:
//   agent -> harness, on stdout: one AgentMessage per line ({"type":"ready"}, stats ...)
//   harness -> agent, on stdin:  one HarnessMessage per line ({"type":"stop","graceMs":5000})
// End of stdin means the harness went away: the agent stops as if asked, with 2 s of grace.
// Anything on stdout that is not a JSON object with a string `type` is a log line, and
// stderr is the agent's log. Counts sent here are for the live progress display only:
// every number in a report comes from the ledgers.
import type { ResolvedConsumer, ResolvedProducer } from './settings.ts';

export const CLIENT_NAMES = ['kafkajs', 'librdkafka', 'java'] as const;
export type ClientName = (typeof CLIENT_NAMES)[number];
export const DEFAULT_CLIENT: ClientName = 'kafkajs';

interface AgentBase {
  agentId: string;
  runId: string;
  /** bootstrap servers as host:port (through Toxiproxy) */
  bootstrap: string[];
  ledgerFile: string;
  client: ClientName;
  /**
   * The properties the client is given, in the client's own names, as the driver mapped
   * them (the Java agent passes them to KafkaProducer/KafkaConsumer as they are; the
   * librdkafka agent to its global config). Absent for kafkajs, whose agent builds its
   * options from the resolved settings.
   */
  producerProperties?: Record<string, string>;
  consumerProperties?: Record<string, string>;
}

export interface ProducerAgentConfig extends AgentBase {
  role: 'producer';
  topic: string;
  partitions: number;
  /** messages per second */
  rate: number;
  messageSize: number;
  producer: ResolvedProducer;
}

export interface ConsumerAgentConfig extends AgentBase {
  role: 'consumer';
  topic: string;
  groupId: string;
  processingTimeMs: number;
  consumer: ResolvedConsumer;
}

/**
 * Consume-transform-produce in transactions: reads `inputTopic` in group `groupId`, and
 * for each poll begins a transaction, writes one output record per input record to
 * `outputTopic` (same partition number as the input; the value is the input's value with
 * `"by":"<agentId>","txn":<n>` added before the closing brace; the key is
 * `<agentId>:<n>`), sends the consumer offsets in the transaction and commits it.
 */
export interface TransformerAgentConfig extends AgentBase {
  role: 'transformer';
  inputTopic: string;
  outputTopic: string;
  groupId: string;
  transactionalId: string;
  processingTimeMs: number;
  consumer: ResolvedConsumer;
  producer: ResolvedProducer;
}

export type AgentConfig = ProducerAgentConfig | ConsumerAgentConfig | TransformerAgentConfig;
export type AgentRole = AgentConfig['role'];

export interface ProducerStats {
  type: 'stats';
  role: 'producer';
  attempted: number;
  acked: number;
  errors: number;
  inFlight: number;
  /** generated, not yet handed to the client */
  queued: number;
}

export interface ConsumerStats {
  type: 'stats';
  role: 'consumer';
  received: number;
  processed: number;
  commits: number;
  /** highest processed offset per partition */
  maxProcessed: Record<number, number>;
  busy: boolean;
}

export interface TransformerStats {
  type: 'stats';
  role: 'transformer';
  consumed: number;
  produced: number;
  committedTxns: number;
  abortedTxns: number;
  /** highest input offset per partition whose transaction committed */
  maxProcessed: Record<number, number>;
  busy: boolean;
}

export type AgentStats = ProducerStats | ConsumerStats | TransformerStats;

export type AgentMessage = AgentStats | { type: 'ready' } | { type: 'stopped' } | { type: 'fatal'; message: string };

export type HarnessMessage = { type: 'stop'; graceMs: number };

/** Grace an agent gives itself when its stdin closes (the harness went away). */
export const ORPHAN_GRACE_MS = 2000;

/** Parses one stdout line of an agent: a protocol message, or null for a log line. */
export function parseAgentLine(line: string): AgentMessage | null {
  const s = line.trim();
  if (!s.startsWith('{')) return null;
  try {
    const m = JSON.parse(s) as { type?: unknown };
    return m && typeof m === 'object' && typeof m.type === 'string' ? (m as AgentMessage) : null;
  } catch {
    return null;
  }
}
