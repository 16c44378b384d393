// One broker-config generator for every backend: listeners bound on the broker,
// advertised at their Toxiproxy proxies, the quorum reached through controller proxies.
import { describe, expect, it } from 'vitest';
import { brokerAddresses, brokerProperties, proxyPlan, renderProperties, type BrokerAddresses } from '../../harness/cluster/broker-config.ts';
import { inboundProxies, partitionCuts, proxiesTouching } from '../../harness/cluster/links.ts';

// broker id at the hundreds, the source broker at the tens: 9120 = broker 1's replication listener for broker 1;
// controller listeners at 9060 + the source: 9162 = broker 1's controller listener for broker 2
const at = (port: number) => ({ host: '127.0.0.1', port });
const addr = (id: number, ids = [1, 2, 3]): BrokerAddresses =>
  brokerAddresses(ids, {
    bind: (w) => at(w === 'client' ? 9000 + id * 100 : 'controllerFrom' in w ? 9060 + id * 100 + w.controllerFrom : 9010 + id * 100 + w.replicationFrom * 10),
    proxy: (w) => at(w === 'client' ? 19000 + id * 100 : 'replicationFrom' in w ? 19010 + id * 100 + w.replicationFrom * 10 : 29010 + id * 100 + w.controllerFrom * 10),
  });
const nodes = new Map([1, 2, 3].map((id) => [id, addr(id)]));

describe('brokerProperties', () => {
  it('binds the real sockets and advertises the proxies; voters are the controller proxies', () => {
    const p = brokerProperties({ nodeId: 2, nodes, logDir: '/data/b2', brokers: 3, overrides: {} });
    // a replication and a controller listener per source broker, each advertised at its own proxy
    expect(p['listeners']).toBe(
      'CLIENT://127.0.0.1:9200,REPLICATION_FROM_1://127.0.0.1:9220,REPLICATION_FROM_2://127.0.0.1:9230,REPLICATION_FROM_3://127.0.0.1:9240,' +
        'CONTROLLER_FROM_1://127.0.0.1:9261,CONTROLLER_FROM_2://127.0.0.1:9262,CONTROLLER_FROM_3://127.0.0.1:9263',
    );
    expect(p['advertised.listeners']).toBe(
      'CLIENT://127.0.0.1:19200,REPLICATION_FROM_1://127.0.0.1:19220,REPLICATION_FROM_2://127.0.0.1:19230,REPLICATION_FROM_3://127.0.0.1:19240,' +
        'CONTROLLER_FROM_1://127.0.0.1:29220,CONTROLLER_FROM_2://127.0.0.1:29230,CONTROLLER_FROM_3://127.0.0.1:29240',
    );
    expect(p['listener.security.protocol.map']).toBe(
      'CLIENT:PLAINTEXT,REPLICATION_FROM_1:PLAINTEXT,REPLICATION_FROM_2:PLAINTEXT,REPLICATION_FROM_3:PLAINTEXT,CONTROLLER_FROM_1:PLAINTEXT,CONTROLLER_FROM_2:PLAINTEXT,CONTROLLER_FROM_3:PLAINTEXT',
    );
    // broker 2 fetches through the listeners meant for it, and reaches each voter through the proxy of its own link
    expect(p['inter.broker.listener.name']).toBe('REPLICATION_FROM_2');
    expect(p['controller.listener.names']).toBe('CONTROLLER_FROM_2,CONTROLLER_FROM_1,CONTROLLER_FROM_3');
    expect(p['controller.quorum.voters']).toBe('1@127.0.0.1:29130,2@127.0.0.1:29230,3@127.0.0.1:29330');
    const p1 = brokerProperties({ nodeId: 1, nodes, logDir: '/data/b1', brokers: 3, overrides: {} });
    expect(p1['controller.quorum.voters']).toBe('1@127.0.0.1:29120,2@127.0.0.1:29220,3@127.0.0.1:29320');
    expect(p1['inter.broker.listener.name']).toBe('REPLICATION_FROM_1');
    expect(p['process.roles']).toBe('broker,controller');
    expect(p['node.id']).toBe('2');
    expect(p['offsets.topic.replication.factor']).toBe('3');
    expect(p['transaction.state.log.replication.factor']).toBe('3');
    expect(p['transaction.state.log.min.isr']).toBe('2');
  });

  it('a KRaft leader advertises, under each follower\'s own controller listener, the proxy that follower\'s voters list for it', () => {
    // a follower reaches the leader at the endpoint the leader sends it (KIP-853), looked up
    // by the follower's first controller listener name: it must be the follower's own proxy
    // of the link, or a network partition would leave the follower's Raft link up
    const props = new Map([1, 2, 3].map((id) => [id, brokerProperties({ nodeId: id, nodes, logDir: `/d${id}`, brokers: 3, overrides: {} })]));
    const listenersOf = (v: string) => new Map(v.split(',').map((l) => [l.slice(0, l.indexOf('://')), l.slice(l.indexOf('://') + 3)]));
    for (const [follower, fp] of props) {
      const own = fp['controller.listener.names']!.split(',')[0]!;
      const voters = new Map(fp['controller.quorum.voters']!.split(',').map((v) => [Number(v.slice(0, v.indexOf('@'))), v.slice(v.indexOf('@') + 1)]));
      for (const [leader, lp] of props) {
        const advertised = listenersOf(lp['advertised.listeners']!).get(own);
        expect(advertised, `broker ${leader} as seen by broker ${follower}`).toBe(voters.get(leader));
        expect(advertised, `broker ${leader} as seen by broker ${follower}`).toBe(`127.0.0.1:${nodes.get(leader)!.proxy.controllerFrom[follower]!.port}`);
      }
    }
  });

  it('adds the observer\'s listener outside Toxiproxy when the backend gives one, and no proxy for it', () => {
    const watched = new Map([1, 2, 3].map((id) => [id, { ...addr(id), watch: { bind: at(9050 + id * 100), advertised: at(9050 + id * 100) } }]));
    const p = brokerProperties({ nodeId: 2, nodes: watched, logDir: '/data/b2', brokers: 3, overrides: {} });
    expect(p['listeners']).toMatch(/,CONTROLLER_FROM_3:\/\/127\.0\.0\.1:9263,WATCH:\/\/127\.0\.0\.1:9250$/);
    expect(p['advertised.listeners']).toMatch(/,CONTROLLER_FROM_3:\/\/127\.0\.0\.1:29240,WATCH:\/\/127\.0\.0\.1:9250$/);
    expect(p['listener.security.protocol.map']).toMatch(/,CONTROLLER_FROM_3:PLAINTEXT,WATCH:PLAINTEXT$/);
    // everything else as without it
    const plain = brokerProperties({ nodeId: 2, nodes, logDir: '/data/b2', brokers: 3, overrides: {} });
    for (const k of Object.keys(plain).filter((k) => !['listeners', 'advertised.listeners', 'listener.security.protocol.map'].includes(k))) expect(p[k], k).toBe(plain[k]);
    expect(proxyPlan(watched, { listenHost: '0.0.0.0', upstreamHost: (id) => `kafka-${id}` })).toEqual(proxyPlan(nodes, { listenHost: '0.0.0.0', upstreamHost: (id) => `kafka-${id}` }));
  });

  it('replicates internal topics at most as many times as there are brokers', () => {
    const one = new Map([[1, addr(1, [1])]]);
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

describe('the link layout', () => {
  it('has a proxy per link: clients into each broker, and each broker into each broker, for replication and the controller', () => {
    const plan = proxyPlan(nodes, { listenHost: '0.0.0.0', upstreamHost: (id) => `kafka-${id}` });
    expect(plan).toHaveLength(3 * (1 + 3 + 3));
    expect(plan.find((p) => p.name === 'b2-client')).toEqual({ name: 'b2-client', listen: '0.0.0.0:19200', upstream: 'kafka-2:9200' });
    // broker 1 fetching from broker 2: broker 2's listener for source 1
    expect(plan.find((p) => p.name === 'b2-replication-from-1')).toEqual({ name: 'b2-replication-from-1', listen: '0.0.0.0:19220', upstream: 'kafka-2:9220' });
    expect(plan.find((p) => p.name === 'b3-controller-from-1')).toEqual({ name: 'b3-controller-from-1', listen: '0.0.0.0:29320', upstream: 'kafka-3:9361' });
    expect(new Set(plan.map((p) => p.listen)).size).toBe(plan.length);
  });

  it('names the links a fault cuts', () => {
    expect(inboundProxies(2, ['replication'], [1, 2, 3])).toEqual(['b2-replication-from-1', 'b2-replication-from-2', 'b2-replication-from-3']);
    expect(inboundProxies(2, ['client', 'controller'], [1, 2, 3])).toEqual(['b2-client', 'b2-controller-from-1', 'b2-controller-from-2', 'b2-controller-from-3']);
    // a partition cuts across groups both ways and nothing inside a group
    expect(partitionCuts([[1], [2, 3]], [1, 2, 3]).sort()).toEqual(
      ['b1-controller-from-2', 'b1-controller-from-3', 'b1-replication-from-2', 'b1-replication-from-3', 'b2-controller-from-1', 'b2-replication-from-1', 'b3-controller-from-1', 'b3-replication-from-1'].sort(),
    );
    // with the clients in the second group, broker 1's client link goes too
    expect(partitionCuts([[1], [2, 3]], [1, 2, 3], 1)).toContain('b1-client');
    expect(partitionCuts([[1], [2, 3]], [1, 2, 3], 1)).not.toContain('b2-client');
    // a power cut takes every link into and out of the broker, and none between the others
    const touching = proxiesTouching([3], [1, 2, 3]);
    expect(touching).toContain('b1-replication-from-3');
    expect(touching).toContain('b3-client');
    expect(touching).not.toContain('b1-replication-from-2');
    expect(touching).toHaveLength(1 + 3 + 3 + 2 + 2);
  });
});
