// broker.power-loss: the brokers lose power. What Kafka had fsynced survives; the rest of
// every partition log is gone. Kafka advances a partition's recovery point only after an
// fsync and checkpoints it to <log dir>/recovery-point-offset-checkpoint, so the fault
// truncates every partition log to its checkpointed recovery point. The KRaft metadata
// log is left alone.
import fs from 'node:fs';
import path from 'node:path';
import { proxiesTouching } from '../../cluster/links.ts';
import { HarnessError } from '../../util/errors.ts';
import { sleep } from '../../util/time.ts';
import { brokerTarget, common, defineFault, describeBrokers, partition, resolveBrokers, type Applied, type FaultWorld } from '../fault.ts';
import { truncateToRecoveryPoints, type PartitionTruncation } from '../power-loss-disk.ts';

const CHECKPOINT = 'recovery-point-offset-checkpoint';

/** Waits until the checkpoint file has been rewritten twice: the second write began after this call. */
async function checkpointCaughtUp(dir: string, timeoutMs: number): Promise<boolean> {
  const file = path.join(dir, CHECKPOINT);
  const mtime = () => {
    try {
      return fs.statSync(file).mtimeMs;
    } catch {
      return -1;
    }
  };
  const deadline = Date.now() + timeoutMs;
  let last = mtime();
  let writes = 0;
  while (Date.now() < deadline) {
    await sleep(10);
    const now = mtime();
    if (now !== last) {
      last = now;
      if (++writes >= 2) return true;
    }
  }
  return false;
}

/**
 * Cuts the brokers off (no produce request and no follower fetch reaches them), lets the
 * checkpoint catch up with the recovery point they hold in memory, kills them, and
 * truncates their partition logs. They stay down until healed.
 */
export async function powerOff(ids: number[], world: FaultWorld): Promise<PartitionTruncation[]> {
  const c = world.cluster;
  if (!c.dataDir) throw new HarnessError(`the ${c.backend} backend cannot reach broker data (power loss needs it)`);
  const dataDir = c.dataDir.bind(c);
  // every link into and out of them: no produce request, no fetch as leader or as follower
  const cut = proxiesTouching(ids, c.brokerIds);
  for (const n of cut) await c.toxiproxy.setEnabled(n, false);
  try {
    const caughtUp = await Promise.all(ids.map((id) => checkpointCaughtUp(dataDir(id), 5000)));
    const late = ids.filter((_, i) => !caughtUp[i]);
    if (late.length > 0) world.log(`power loss: the recovery-point checkpoint of ${describeBrokers(late)} was not rewritten within 5s; truncating to the last one written`);
    await Promise.all(ids.map((id) => c.kill(id)));
    return ids.flatMap((id) => truncateToRecoveryPoints(dataDir(id)).partitions.map((p) => ({ ...p, partition: `broker ${id} ${p.partition}` })));
  } finally {
    for (const n of cut) await c.toxiproxy.setEnabled(n, true);
  }
}

/** What a truncation removed, for the timeline. */
export function truncationDetails(parts: PartitionTruncation[]): Record<string, unknown> {
  const hit = parts.filter((p) => p.logEndAfter < p.logEndBefore);
  return {
    truncated: hit.map((p) => `${p.partition}: ${p.logEndBefore} -> ${p.logEndAfter} (recovery point ${p.recoveryPoint})`),
    recordsDropped: hit.reduce((n, p) => n + (p.logEndBefore - p.logEndAfter), 0),
  };
}

export const brokerPowerLoss = defineFault({
  action: 'broker.power-loss',
  summary: 'brokers lose power: killed, and every partition log truncated to its fsynced recovery point; the heal starts them',
  needs: ['signals', 'broker-data', 'toxiproxy'],
  targets: 'brokers',
  params: { ...common, target: brokerTarget, partition },
  async apply(spec, world): Promise<Applied> {
    const ids = await resolveBrokers(spec, world);
    const parts = await powerOff(ids, world);
    return {
      resolved: describeBrokers(ids),
      heal: 'start',
      undo: () => Promise.all(ids.map((id) => world.cluster.start(id))).then(() => undefined),
      details: truncationDetails(parts),
    };
  },
});
