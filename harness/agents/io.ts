// The agent side of the stdio protocol (clients/protocol.ts), for agents written in Node:
// messages to the harness on stdout, stop requests from stdin, and the start-up retry
// every client needs when a broker is down as the agent (re)starts.
import fs from 'node:fs';
import readline from 'node:readline';
import { ORPHAN_GRACE_MS, type AgentConfig, type AgentMessage, type HarnessMessage } from '../clients/protocol.ts';
import { LedgerWriter } from '../ledger/writer.ts';
import { errorMessage } from '../util/errors.ts';

// the harness may be gone: a write to a closed stdout must not crash the agent
process.stdout.on('error', () => undefined);

/** Sends one message to the harness (one JSON line on stdout). */
export function send(msg: AgentMessage): void {
  if (process.stdout.writable) process.stdout.write(`${JSON.stringify(msg)}\n`);
}

/**
 * Calls `onStop(graceMs)` once: when the harness asks (a stop line on stdin), when stdin
 * ends (the harness went away) or on SIGTERM/SIGINT. The process exits on its own if
 * the stop is not done within the grace plus 10 s (a client that hangs while closing
 * must not keep the agent alive).
 */
export function listenForStop(onStop: (graceMs: number) => void): void {
  let stopped = false;
  const stop = (graceMs: number) => {
    if (stopped) return;
    stopped = true;
    const timer = setTimeout(() => {
      process.stderr.write(`agent did not finish within ${graceMs + 10_000}ms of being asked to stop: exiting\n`);
      process.exit(0);
    }, graceMs + 10_000);
    timer.unref();
    onStop(graceMs);
  };
  const lines = readline.createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    try {
      const msg = JSON.parse(line) as HarnessMessage;
      if (msg.type === 'stop') stop(msg.graceMs);
    } catch {
      process.stderr.write(`ignored a line on stdin that is not a protocol message: ${line.slice(0, 200)}\n`);
    }
  });
  lines.on('close', () => stop(ORPHAN_GRACE_MS));
  process.on('SIGTERM', () => stop(ORPHAN_GRACE_MS));
  process.on('SIGINT', () => stop(ORPHAN_GRACE_MS));
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

/** How a role registers what it does when asked to stop (it may register late: a stop that came first is replayed). */
export type OnStop = (fn: (graceMs: number) => Promise<void>) => void;

/**
 * The whole life of a Node agent process, whatever its client: reads the config named on
 * the command line, writes the ledger's start event, wires stop requests to the role,
 * runs it, then says `stopped` (or `fatal`) and exits.
 */
export function runAgentProcess(run: (cfg: AgentConfig, ledger: LedgerWriter, onStop: OnStop) => Promise<void>): void {
  const main = async () => {
    const file = process.argv[2];
    if (!file) throw new Error('usage: <agent> <agent-config.json>');
    const cfg = JSON.parse(fs.readFileSync(file, 'utf8')) as AgentConfig;
    const ledger = new LedgerWriter(cfg.ledgerFile);
    ledger.append({ e: 'start', agent: cfg.agentId, os: process.pid, t: Date.now() });
    let stopHandler: ((graceMs: number) => Promise<void>) | undefined;
    let stopRequested: number | undefined;
    listenForStop((graceMs) => {
      if (stopHandler) void stopHandler(graceMs);
      else stopRequested = graceMs;
    });
    const onStop: OnStop = (fn) => {
      stopHandler = fn;
      if (stopRequested !== undefined) void fn(stopRequested);
    };
    await run(cfg, ledger, onStop);
    ledger.close();
    send({ type: 'stopped' });
  };
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      process.stderr.write(`agent failed: ${message}\n`);
      send({ type: 'fatal', message: errorMessage(err) });
      setTimeout(() => process.exit(1), 100);
    },
  );
}
