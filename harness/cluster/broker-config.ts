import crypto from 'node:crypto';

// One generator of broker configuration for every backend. A backend supplies the
// addresses (real sockets and the Toxiproxy proxies in front of them) and a log dir.

export interface HostPort {
  host: string;
  port: number;
}

export interface BrokerAddresses {
  /** where the broker binds each listener */
  bind: { client: HostPort; replication: HostPort; controller: HostPort };
  /** the Toxiproxy proxies in front of each listener (what everyone else connects to) */
  proxy: { client: HostPort; replication: HostPort; controller: HostPort };
}

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
  const voters = [...input.nodes.entries()]
    .sort(([a], [b]) => a - b)
    .map(([id, addr]) => `${id}@${hp(addr.proxy.controller)}`)
    .join(',');
  const internalRf = Math.min(3, input.brokers);
  const props: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': String(input.nodeId),
    'controller.quorum.voters': voters,
    listeners: `CLIENT://${hp(self.bind.client)},REPLICATION://${hp(self.bind.replication)},CONTROLLER://${hp(self.bind.controller)}`,
    'advertised.listeners': `CLIENT://${hp(self.proxy.client)},REPLICATION://${hp(self.proxy.replication)}`,
    'listener.security.protocol.map': 'CLIENT:PLAINTEXT,REPLICATION:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name': 'REPLICATION',
    'controller.listener.names': 'CONTROLLER',
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
