// Entry point of a kafkajs agent process: `node --import tsx harness/agents/main.ts <config.json>`.
// It speaks the stdio protocol of clients/protocol.ts.
import fs from 'node:fs';
import type { AgentConfig } from '../clients/protocol.ts';
import { LedgerWriter } from '../ledger/writer.ts';
import { runConsumer } from './consumer.ts';
import { listenForStop, send } from './io.ts';
import { runProducer } from './producer.ts';
import { runTransformer } from './transformer.ts';

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
  listenForStop((graceMs) => {
    if (stopHandler) void stopHandler(graceMs);
    else stopRequested = graceMs;
  });

  if (cfg.role === 'producer') await runProducer(cfg, ledger, onStop);
  else if (cfg.role === 'consumer') await runConsumer(cfg, ledger, onStop);
  else await runTransformer(cfg, ledger, onStop);
  ledger.close();
  send({ type: 'stopped' });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`agent failed: ${message}\n`);
    send({ type: 'fatal', message: err instanceof Error ? err.message : String(err) });
    setTimeout(() => process.exit(1), 100);
  },
);
