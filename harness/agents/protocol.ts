// Messages between the harness and its agent processes (over the Node IPC channel),
// and the configuration an agent is started with. Counts sent here are for the live
// progress display only: every number in a report comes from the ledgers.
import type { ResolvedConsumer, ResolvedProducer } from './kafkajs-driver.ts';

export interface ProducerAgentConfig {
  role: 'producer';
  agentId: string;
  runId: string;
  bootstrap: string[];
  topic: string;
  partitions: number;
  /** messages per second */
  rate: number;
  messageSize: number;
  ledgerFile: string;
  producer: ResolvedProducer;
}

export interface ConsumerAgentConfig {
  role: 'consumer';
  agentId: string;
  runId: string;
  bootstrap: string[];
  topic: string;
  groupId: string;
  processingTimeMs: number;
  ledgerFile: string;
  consumer: ResolvedConsumer;
}

export type AgentConfig = ProducerAgentConfig | ConsumerAgentConfig;

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

export type AgentMessage =
  | ProducerStats
  | ConsumerStats
  | { type: 'ready' }
  | { type: 'stopped' }
  | { type: 'fatal'; message: string };

export type HarnessMessage = { type: 'stop'; graceMs: number };

export function send(msg: AgentMessage): void {
  if (process.send && process.connected) process.send(msg);
}

/**
 * Retries a client's start-up (connect, subscribe) like an application would: a broker
 * may be down or restarting when an agent (re)starts in the middle of a fault.
 */
export async function retryStartup<T>(what: string, fn: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what} failed for ${timeoutMs / 1000}s: ${(err as Error).message}`);
      process.stderr.write(`${what} failed (attempt ${attempt}): ${(err as Error).message}; retrying\n`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
