// Faults of the workload's own agents: a producer, consumer or transformer that crashes or
// freezes, and group membership on schedule (a consumer leaving gracefully, one joining).
import { agentTarget, common, defineFault, type AgentRole, type FaultWorld } from '../fault.ts';
import { HarnessError } from '../../util/errors.ts';

const agentParams = { ...common, target: agentTarget };

function agentOf(world: FaultWorld, role: AgentRole, spec: { target: number | 'random'; drawn?: number }) {
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

export const transformerKill = defineFault({
  action: 'transformer.kill',
  summary: 'SIGKILL of a transformer in the middle of a transaction; the heal starts a new one with the same transactional.id (fencing the old)',
  needs: [],
  targets: 'transformer',
  params: agentParams,
  async apply(spec, world) {
    const agent = agentOf(world, 'transformer', spec);
    await agent.kill();
    return { resolved: `transformer ${agent.name}`, heal: 'restart', undo: () => agent.start() };
  },
});

export const consumerLeave = defineFault({
  action: 'consumer.leave',
  summary: 'a consumer leaves the group gracefully (finishes its batch, commits, closes): the group rebalances; the heal brings it back',
  needs: [],
  targets: 'consumer',
  params: agentParams,
  async apply(spec, world) {
    const agent = agentOf(world, 'consumer', spec);
    await agent.stop(10_000);
    return { resolved: `consumer ${agent.name}`, heal: 'rejoin', undo: () => agent.start() };
  },
});

export const consumerJoin = defineFault({
  action: 'consumer.join',
  summary: 'one more consumer joins the group mid-run (the group rebalances); the heal lets it leave gracefully',
  needs: [],
  targets: 'none',
  params: { ...common },
  async apply(_spec, world) {
    if (!world.addConsumer) throw new HarnessError('consumer.join needs the workload of a run');
    const agent = await world.addConsumer();
    return { resolved: `new consumer ${agent.name}`, heal: 'leave', undo: () => agent.stop(10_000) };
  },
});
