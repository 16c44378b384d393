// One broker-config generator for every backend: listeners bound on the broker,
// advertised at their Toxiproxy proxies, the quorum reached through controller proxies.
import { describe, expect, it } from 'vitest';
import { brokerProperties, renderProperties, type BrokerAddresses } from '../../harness/cluster/broker-config.ts';

const addr = (id: number): BrokerAddresses => ({
  bind: { client: { host: '127.0.0.1', port: 9000 + id }, replication: { host: '127.0.0.1', port: 9100 + id }, controller: { host: '127.0.0.1', port: 9200 + id } },
  proxy: { client: { host: '127.0.0.1', port: 19000 + id }, replication: { host: '127.0.0.1', port: 19100 + id }, controller: { host: '127.0.0.1', port: 19200 + id } },
});
const nodes = new Map([1, 2, 3].map((id) => [id, addr(id)]));

describe('brokerProperties', () => {
  it('binds the real sockets and advertises the proxies; voters are the controller proxies', () => {
    const p = brokerProperties({ nodeId: 2, nodes, logDir: '/data/b2', brokers: 3, overrides: {} });
    expect(p['listeners']).toBe('CLIENT://127.0.0.1:9002,REPLICATION://127.0.0.1:9102,CONTROLLER://127.0.0.1:9202');
    expect(p['advertised.listeners']).toBe('CLIENT://127.0.0.1:19002,REPLICATION://127.0.0.1:19102');
    expect(p['controller.quorum.voters']).toBe('1@127.0.0.1:19201,2@127.0.0.1:19202,3@127.0.0.1:19203');
    expect(p['inter.broker.listener.name']).toBe('REPLICATION');
    expect(p['process.roles']).toBe('broker,controller');
    expect(p['node.id']).toBe('2');
    expect(p['offsets.topic.replication.factor']).toBe('3');
    expect(p['transaction.state.log.replication.factor']).toBe('3');
    expect(p['transaction.state.log.min.isr']).toBe('2');
  });

  it('replicates internal topics at most as many times as there are brokers', () => {
    const one = new Map([[1, addr(1)]]);
    const p = brokerProperties({ nodeId: 1, nodes: one, logDir: '/d', brokers: 1, overrides: {} });
    expect(p['offsets.topic.replication.factor']).toBe('1');
    expect(p['transaction.state.log.min.isr']).toBe('1');
  });

  it('applies user overrides, and refuses the properties that wire the network', () => {
    const p = brokerProperties({ nodeId: 1, nodes, logDir: '/d', brokers: 3, overrides: { 'unclean.leader.election.enable': true, 'log.flush.interval.messages': 1 } });
    expect(p['unclean.leader.election.enable']).toBe('true');
    expect(p['log.flush.interval.messages']).toBe('1');
    expect(() => brokerProperties({ nodeId: 1, nodes, logDir: '/d', brokers: 3, overrides: { listeners: 'PLAINTEXT://:9092' } })).toThrow(/set by the harness/);
  });

  it('renders a properties file', () => {
    expect(renderProperties({ a: '1', 'b.c': 'x\\y' })).toBe('a=1\nb.c=x\\\\y\n');
  });
});
