import crypto from 'node:crypto';
import { linkLayout } from './links.ts';

// One generator of broker configuration for every backend. A backend supplies the
// addresses (real sockets and the Toxiproxy proxies in front of them) and a log dir.

export interface HostPort {
  host: string;
  port: number;
}

/** Per source broker id. */
export type BySource = Record<number, HostPort>;

/**
 * Where one broker listens and how the others reach it (see links.ts): a replication
 * listener and a controller listener per source broker, each behind its own proxy.
 */
export interface BrokerAddresses {
  /** where the broker binds each listener */
  bind: { client: HostPort; controller: BySource; replication: BySource };
  /** the Toxiproxy proxies in front of them: clients, each source's replication, each source's controller link */
  proxy: { client: HostPort; replicationFrom: BySource; controllerFrom: BySource };
  /**
   * a listener outside Toxiproxy for the harness' own observer (the Watch sampler), bound
   * and advertised at these addresses: no fault touches it, so the cluster can be asked
   * while every client link is cut. Absent: the observer goes through the client proxies.
   */
  watch?: { bind: HostPort; advertised: HostPort };
}

/** The listener of the harness' observer (see BrokerAddresses.watch). */
export const WATCH_LISTENER = 'WATCH';

/** The listener that broker `from` uses for replication (its inter.broker.listener.name). */
export const replicationListener = (from: number) => `REPLICATION_FROM_${from}`;

/**
 * The controller listener that node `from` uses (the first of its controller.listener.names).
 * One per source, like replication: a KRaft leader tells its followers where to reach it
 * (its endpoint for each controller listener name, KIP-853), and a follower looks up its
 * own listener name there. With a single CONTROLLER listener that endpoint was the bound
 * socket itself, so a follower that had learned it from the leader bypassed the proxies,
 * and a network partition left its Raft link to the leader up.
 */
export const controllerListener = (from: number) => `CONTROLLER_FROM_${from}`;

export interface BrokerConfigInput {
  nodeId: number;
  /** every node's addresses, by node id (for the controller quorum) */
  nodes: Map<number, BrokerAddresses>;
  logDir: string;
  /** the number of brokers: internal topics are replicated min(3, brokers) times */
  brokers: number;
  /** user broker properties (experiment cluster.broker merged with the profile's broker) */
  overrides: Record<string, string | number | boolean>;
}

/** Properties the harness owns: a user override of these would break the network layout. */
export const RESERVED_BROKER_PROPERTIES = new Set([
  'process.roles',
  'node.id',
  'controller.quorum.voters',
  'controller.quorum.bootstrap.servers',
  'listeners',
  'advertised.listeners',
  'listener.security.protocol.map',
  'inter.broker.listener.name',
  'controller.listener.names',
  'log.dirs',
  'log.dir',
]);

const hp = (a: HostPort) => `${a.host}:${a.port}`;

export function brokerProperties(input: BrokerConfigInput): Record<string, string> {
  const self = input.nodes.get(input.nodeId);
  if (!self) throw new Error(`no addresses for node ${input.nodeId}`);
  for (const key of Object.keys(input.overrides)) {
    if (RESERVED_BROKER_PROPERTIES.has(key)) {
      throw new Error(`broker property ${key} is set by the harness (it wires every listener through Toxiproxy) and cannot be overridden`);
    }
  }
  const ids = [...input.nodes.keys()].sort((a, b) => a - b);
  const at = (m: BySource, id: number, what: string) => {
    const v = m[id];
    if (!v) throw new Error(`no ${what} address for broker ${id}`);
    return v;
  };
  // this node reaches every voter through the proxies that carry its own traffic
  const voters = ids.map((id) => `${id}@${hp(at(input.nodes.get(id)!.proxy.controllerFrom, input.nodeId, 'controller'))}`).join(',');
  // a listener per source broker: NAME_FROM_n://address, for every source n
  const perSource = (name: (from: number) => string, addresses: BySource, what: string) => ids.map((from) => `${name(from)}://${hp(at(addresses, from, what))}`);
  const replication = perSource(replicationListener, self.bind.replication, 'replication bind');
  const advertisedReplication = perSource(replicationListener, self.proxy.replicationFrom, 'replication proxy');
  const controller = perSource(controllerListener, self.bind.controller, 'controller bind');
  const advertisedController = perSource(controllerListener, self.proxy.controllerFrom, 'controller proxy');
  const internalRf = Math.min(3, input.brokers);
  const props: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': String(input.nodeId),
    'controller.quorum.voters': voters,
    listeners: [`CLIENT://${hp(self.bind.client)}`, ...replication, ...controller, ...(self.watch ? [`${WATCH_LISTENER}://${hp(self.watch.bind)}`] : [])].join(','),
    'advertised.listeners': [`CLIENT://${hp(self.proxy.client)}`, ...advertisedReplication, ...advertisedController, ...(self.watch ? [`${WATCH_LISTENER}://${hp(self.watch.advertised)}`] : [])].join(','),
    'listener.security.protocol.map': ['CLIENT', ...ids.map(replicationListener), ...ids.map(controllerListener), ...(self.watch ? [WATCH_LISTENER] : [])].map((l) => `${l}:PLAINTEXT`).join(','),
    'inter.broker.listener.name': replicationListener(input.nodeId),
    // its own first: the node reaches the quorum through it; the others are listed so they are controller listeners
    'controller.listener.names': [input.nodeId, ...ids.filter((id) => id !== input.nodeId)].map(controllerListener).join(','),
    'log.dirs': input.logDir,
    // internal topics: offsets and transaction state replicated, min ISR 2 where possible
    'offsets.topic.replication.factor': String(internalRf),
    'offsets.topic.num.partitions': '10',
    'transaction.state.log.replication.factor': String(internalRf),
    'transaction.state.log.min.isr': String(Math.min(2, internalRf)),
    'transaction.state.log.num.partitions': '10',
    // the broker-wide default; every test topic sets its own value explicitly
    'min.insync.replicas': String(Math.min(2, internalRf)),
    'num.partitions': '1',
    'default.replication.factor': String(internalRf),
    'auto.create.topics.enable': 'false',
    // short runs: no initial rebalance delay, no lazy housekeeping getting in the way
    'group.initial.rebalance.delay.ms': '0',
    // the recovery-point checkpoint follows the fsynced offset closely: a power loss drops
    // what the checkpoint does not cover (see broker.power-loss)
    'log.flush.offset.checkpoint.interval.ms': '200',
    // ... and from the first second: Kafka's background tasks (this checkpoint among them)
    // start only after log.initial.task.delay.ms, 30 s by default
    'log.initial.task.delay.ms': '1000',
    'share.coordinator.state.topic.replication.factor': String(internalRf),
    'share.coordinator.state.topic.min.isr': String(Math.min(2, internalRf)),
  };
  for (const [k, v] of Object.entries(input.overrides)) props[k] = String(v);
  return props;
}

export function renderProperties(props: Record<string, string>): string {
  return (
    Object.entries(props)
      .map(([k, v]) => `${k}=${v.replace(/\\/g, '\\\\')}`)
      .join('\n') + '\n'
  );
}

/** log4j2 configuration: everything to the console, which the backend sends to the broker's log file. */
export const BROKER_LOG4J2 = [
  'status = warn',
  'rootLogger.level = INFO',
  'rootLogger.appenderRef.stdout.ref = STDOUT',
  'appender.stdout.type = Console',
  'appender.stdout.name = STDOUT',
  'appender.stdout.layout.type = PatternLayout',
  'appender.stdout.layout.pattern = [%d{ISO8601}{UTC}Z] %p %m (%c)%n',
  'logger.kafka.name = kafka',
  'logger.kafka.level = INFO',
  'logger.request.name = kafka.request.logger',
  'logger.request.level = WARN',
  '',
].join('\n');

/** A random KRaft cluster id (base64url of 16 bytes). Like Kafka's own, never one starting with '-', which a tool would read as an option. */
export function newClusterId(): string {
  for (;;) {
    const id = crypto.randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Ports and addresses of one broker, from a port source, for backends that lay them out themselves. */
export function brokerAddresses(
  ids: readonly number[],
  port: {
    bind: (what: 'client' | { controllerFrom: number } | { replicationFrom: number }) => HostPort;
    proxy: (what: 'client' | { replicationFrom: number } | { controllerFrom: number }) => HostPort;
  },
): BrokerAddresses {
  const bySource = (f: (from: number) => HostPort): BySource => Object.fromEntries(ids.map((from) => [from, f(from)]));
  return {
    bind: {
      client: port.bind('client'),
      controller: bySource((from) => port.bind({ controllerFrom: from })),
      replication: bySource((from) => port.bind({ replicationFrom: from })),
    },
    proxy: {
      client: port.proxy('client'),
      replicationFrom: bySource((from) => port.proxy({ replicationFrom: from })),
      controllerFrom: bySource((from) => port.proxy({ controllerFrom: from })),
    },
  };
}

/**
 * Every Toxiproxy proxy of the layout (links.ts) for these brokers: where it listens
 * (`listenHost` and the proxy port) and the broker socket it forwards to.
 */
export function proxyPlan(nodes: ReadonlyMap<number, BrokerAddresses>, opts: { listenHost: string; upstreamHost: (id: number) => string }): Array<{ name: string; listen: string; upstream: string }> {
  const ids = [...nodes.keys()].sort((a, b) => a - b);
  return linkLayout(ids).map((l) => {
    const a = nodes.get(l.to)!;
    const [proxy, bind] =
      l.kind === 'client'
        ? [a.proxy.client, a.bind.client]
        : l.kind === 'replication'
          ? [a.proxy.replicationFrom[l.from as number]!, a.bind.replication[l.from as number]!]
          : [a.proxy.controllerFrom[l.from as number]!, a.bind.controller[l.from as number]!];
    return { name: l.name, listen: `${opts.listenHost}:${proxy.port}`, upstream: `${opts.upstreamHost(l.to)}:${bind.port}` };
  });
}
