// The rebalances of a kafkajs group member as ledger events (events.ts RebalanceEvent).
// kafkajs rebalances eagerly: when the group rebalances, a member gives up all its
// partitions (revoked) and is then assigned its new set (assigned, on joining).
import type { Consumer } from 'kafkajs';
import type { LedgerWriter } from '../ledger/writer.ts';

export function recordRebalances(consumer: Consumer, ledger: LedgerWriter, agent: string, topic: string): void {
  let assigned: number[] = [];
  consumer.on(consumer.events.REBALANCING, () => {
    if (assigned.length > 0) ledger.append({ e: 'rebalance', agent, kind: 'revoked', p: assigned, t: Date.now() });
    assigned = [];
  });
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    assigned = [...(event.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b);
    ledger.append({ e: 'rebalance', agent, kind: 'assigned', p: assigned, t: Date.now() });
  });
}
