// Entry point of a kafkajs agent process: `node --import tsx harness/agents/main.ts <config.json>`.
// It speaks the stdio protocol of clients/protocol.ts.
import { runConsumer } from './consumer.ts';
import { runAgentProcess } from './io.ts';
import { runProducer } from './producer.ts';
import { runTransformer } from './transformer.ts';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

runAgentProcess(async (cfg, ledger, onStop) => {
  if (cfg.role === 'producer') await runProducer(cfg, ledger, onStop);
  else if (cfg.role === 'consumer') await runConsumer(cfg, ledger, onStop);
  else await runTransformer(cfg, ledger, onStop);
});
