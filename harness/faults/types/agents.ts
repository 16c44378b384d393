// Faults of the workload's own agents: a producer or consumer that crashes or freezes.
import { agentTarget, common, defineFault, type FaultWorld } from '../fault.ts';
import { HarnessError } from '../../util/errors.ts';

const agentParams = { ...common, target: agentTarget };

function agentOf(world: FaultWorld, role: 'producer' | 'consumer', spec: { target: number | 'random'; drawn?: number }) {
  const index = typeof spec.target === 'number' ? spec.target : (spec.drawn ?? 0);
  const agent = world.agent(role, index);
  if (!agent) throw new HarnessError(`there is no ${role} ${index}`);
  return agent;
}

export const consumerKill = defineFault({
  action: 'consumer.kill',
  summary: 'SIGKILL of a consumer agent in the middle of its work; the heal starts a new one in the same group',
  needs: [],
  targets: 'consumer',
  params: agentParams,
  async apply(spec, world) {
    const agent = agentOf(world, 'consumer', spec);
    await agent.kill();
    return { resolved: `consumer ${agent.name}`, heal: 'restart', undo: () => agent.start() };
  },
});

export const producerKill = defineFault({
  action: 'producer.kill',
  summary: 'SIGKILL of a producer agent with sends in flight; the heal starts a new one (a new producer id)',
  needs: [],
  targets: 'producer',
  params: agentParams,
  async apply(spec, world) {
    const agent = agentOf(world, 'producer', spec);
    await agent.kill();
    return { resolved: `producer ${agent.name}`, heal: 'restart', undo: () => agent.start(), restartsProducer: true };
  },
});

export const consumerPause = defineFault({
  action: 'consumer.pause',
  summary: 'SIGSTOP of a consumer agent: its session expires and the group rebalances; the heal resumes it',
  needs: [],
  targets: 'consumer',
  params: agentParams,
  async apply(spec, world) {
    const agent = agentOf(world, 'consumer', spec);
    await agent.pause();
    return { resolved: `consumer ${agent.name}`, heal: 'resume', undo: () => agent.resume() };
  },
});
