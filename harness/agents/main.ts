// Entry point of an agent process: `node --import tsx harness/agents/main.ts <config.json>`.
import fs from 'node:fs';
import { LedgerWriter } from '../ledger/writer.ts';
import { runConsumer } from './consumer.ts';
import { runProducer } from './producer.ts';
import type { AgentConfig, HarnessMessage } from './protocol.ts';
import { send } from './protocol.ts';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error('usage: main.ts <agent-config.json>');
  const cfg = JSON.parse(fs.readFileSync(file, 'utf8')) as AgentConfig;
  const ledger = new LedgerWriter(cfg.ledgerFile);
  ledger.append({ e: 'start', agent: cfg.agentId, os: process.pid, t: Date.now() });

  let stopHandler: ((graceMs: number) => Promise<void>) | undefined;
  let stopRequested: number | undefined;
  const onStop = (fn: (graceMs: number) => Promise<void>) => {
    stopHandler = fn;
    if (stopRequested !== undefined) void fn(stopRequested);
  };
  let exitTimer: NodeJS.Timeout | undefined;
  const requestStop = (graceMs: number) => {
    // a stop is bounded: a client that hangs while closing must not keep the agent alive
    exitTimer ??= setTimeout(() => {
      process.stderr.write(`agent did not finish within ${graceMs + 10_000}ms of being asked to stop: exiting\n`);
      process.exit(0);
    }, graceMs + 10_000);
    exitTimer.unref();
    if (stopHandler) void stopHandler(graceMs);
    else stopRequested = graceMs;
  };
  process.on('message', (msg: HarnessMessage) => {
    if (msg.type === 'stop') requestStop(msg.graceMs);
  });
  // the harness went away: stop as if asked to
  process.on('disconnect', () => requestStop(2000));
  process.on('SIGTERM', () => requestStop(2000));
  process.on('SIGINT', () => requestStop(2000));

  if (cfg.role === 'producer') {
    await runProducer(cfg, ledger, onStop);
  } else {
    await runConsumer(cfg, ledger, onStop);
  }
  ledger.close();
  send({ type: 'stopped' });
}

main().then(
  () => {
    if (process.connected) process.disconnect();
    process.exit(0);
  },
  (err: unknown) => {
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`agent failed: ${message}\n`);
    send({ type: 'fatal', message: err instanceof Error ? err.message : String(err) });
    setTimeout(() => process.exit(1), 100);
  },
);
