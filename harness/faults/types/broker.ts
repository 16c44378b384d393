// Faults of broker processes and containers: a crash, a graceful stop, a freeze, a
// restart, a cut from the network.
import { common, defineFault, describeBrokers, resolveBrokers, brokerTarget, partition } from '../fault.ts';
import { HarnessError } from '../../util/errors.ts';

const brokerParams = { ...common, target: brokerTarget, partition };

async function each(ids: number[], fn: (id: number) => Promise<void>): Promise<void> {
  await Promise.all(ids.map(fn));
}

export const brokerKill = defineFault({
  action: 'broker.kill',
  summary: 'SIGKILL (docker kill) of brokers: a crash; the heal starts them with the same data',
  needs: ['signals'],
  targets: 'brokers',
  params: brokerParams,
  async apply(spec, world) {
    const ids = await resolveBrokers(spec, world);
    await each(ids, (id) => world.cluster.kill(id));
    return { resolved: describeBrokers(ids), heal: 'start', undo: () => each(ids, (id) => world.cluster.start(id)) };
  },
});

export const brokerStop = defineFault({
  action: 'broker.stop',
  summary: 'SIGTERM of brokers: a graceful shutdown; the heal starts them again',
  needs: ['signals'],
  targets: 'brokers',
  params: brokerParams,
  async apply(spec, world) {
    const ids = await resolveBrokers(spec, world);
    await each(ids, (id) => world.cluster.stop(id));
    return { resolved: describeBrokers(ids), heal: 'start', undo: () => each(ids, (id) => world.cluster.start(id)) };
  },
});

export const brokerPause = defineFault({
  action: 'broker.pause',
  summary: 'SIGSTOP (docker pause) of brokers: frozen with connections open; the heal resumes them',
  needs: ['signals'],
  targets: 'brokers',
  params: brokerParams,
  async apply(spec, world) {
    const ids = await resolveBrokers(spec, world);
    await each(ids, (id) => world.cluster.pause(id));
    return { resolved: describeBrokers(ids), heal: 'resume', undo: () => each(ids, (id) => world.cluster.resume(id)) };
  },
});

export const brokerRestart = defineFault({
  action: 'broker.restart',
  summary: 'a graceful stop and start of brokers, one after the other; heals itself',
  needs: ['signals'],
  targets: 'brokers',
  params: brokerParams,
  async apply(spec, world) {
    const ids = await resolveBrokers(spec, world);
    for (const id of ids) {
      await world.cluster.stop(id);
      await world.cluster.start(id);
    }
    return { resolved: describeBrokers(ids), heal: 'none (restarted at once)', undo: async () => undefined, instant: true };
  },
});

export const brokerDisconnect = defineFault({
  action: 'broker.disconnect',
  summary: 'cut brokers off the container network entirely (docker); the heal reconnects them',
  needs: ['network-disconnect'],
  targets: 'brokers',
  params: brokerParams,
  async apply(spec, world) {
    const c = world.cluster;
    if (!c.disconnect || !c.reconnect) throw new HarnessError(`the ${c.backend} backend cannot disconnect a broker from the network`);
    const reconnect = c.reconnect.bind(c);
    const ids = await resolveBrokers(spec, world);
    await each(ids, (id) => c.disconnect!(id));
    return { resolved: describeBrokers(ids), heal: 'reconnect', undo: () => each(ids, (id) => reconnect(id)) };
  },
});
