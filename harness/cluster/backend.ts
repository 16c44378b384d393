import type { ToxiproxyClient } from '../proxy/client.ts';

/** What a run asks of a cluster. */
export interface ClusterSpec {
  runId: string;
  brokers: number;
  kafkaVersion: string;
  /** broker properties (cluster.broker merged with the profile's broker overrides) */
  brokerProperties: Record<string, string | number | boolean>;
  /** where broker logs, configs and data go */
  dir: string;
  signal?: AbortSignal;
  log: (line: string) => void;
}

export type BrokerState = 'running' | 'stopped' | 'paused';

/**
 * What a backend can do besides starting brokers behind Toxiproxy, declared (never
 * discovered): a fault that needs a capability its backend lacks is refused before
 * anything starts.
 */
export const CAPABILITIES = {
  signals: 'kill, stop, pause and restart brokers',
  toxiproxy: 'degrade and cut the links through Toxiproxy',
  'broker-data': 'read and change a stopped broker\'s log directory, for power loss',
  'admin-tools': 'run Kafka\'s own admin tools against the cluster, for leader election',
  'network-disconnect': 'cut a broker off the network entirely',
} as const;
export type Capability = keyof typeof CAPABILITIES;

export { inboundProxies, type LinkKind } from './links.ts';

/**
 * A started cluster: brokers behind Toxiproxy. Disposing it stops everything it
 * started (brokers, proxy) and is safe to call twice.
 */
export interface Cluster extends AsyncDisposable {
  readonly backend: string;
  readonly capabilities: ReadonlySet<Capability>;
  /**
   * false when the cluster outlives the run (compose): then each profile writes to a topic
   * of its own, so one profile cannot see another's records
   */
  readonly fresh?: boolean;
  readonly brokerIds: readonly number[];
  /** client-facing bootstrap addresses (Toxiproxy proxies), for agents and the final read */
  readonly bootstrapServers: readonly string[];
  /**
   * addresses of a listener outside Toxiproxy, for the harness' own observer (the Watch
   * sampler), so that it can ask the cluster while faults cut the client links; absent:
   * the observer uses bootstrapServers like any client
   */
  readonly watchBootstrap?: readonly string[];
  readonly toxiproxy: ToxiproxyClient;
  /** versions and images/binaries in use, for the report */
  readonly versions: Record<string, string>;

  state(brokerId: number): BrokerState;
  /** SIGKILL (or docker kill): a crash */
  kill(brokerId: number): Promise<void>;
  /** graceful stop (SIGTERM) */
  stop(brokerId: number): Promise<void>;
  /** start a stopped broker again with the same data */
  start(brokerId: number): Promise<void>;
  pause(brokerId: number): Promise<void>;
  resume(brokerId: number): Promise<void>;
  /** the id of the active KRaft controller (the quorum leader) */
  activeController?(): Promise<number>;
  /** cut a broker off the network entirely, and connect it again (docker) */
  disconnect?(brokerId: number): Promise<void>;
  reconnect?(brokerId: number): Promise<void>;
  /** where a broker's own log is */
  brokerLog(brokerId: number): string;
  /** the host path of a broker's log directory (capability broker-data) */
  dataDir?(brokerId: number): string;
  /**
   * runs one of Kafka's command-line tools (by its script name, e.g. kafka-leader-election)
   * against the cluster and returns what it printed (capability admin-tools); `{bootstrap}`
   * in the arguments is replaced by a bootstrap address the tool can reach
   */
  runTool?(tool: string, args: string[], opts?: { timeoutMs?: number }): Promise<string>;
}

export interface ClusterBackend {
  readonly name: string;
  /** what its clusters can do, known before one starts */
  readonly capabilities: ReadonlySet<Capability>;
  /**
   * Checks prerequisites and provisions what the backend needs (once, cached) before
   * anything starts; throws a PrerequisiteError naming what is missing.
   */
  prepare(opts: { kafkaVersion: string; log: (line: string) => void }): Promise<void>;
  start(spec: ClusterSpec): Promise<Cluster>;
}
