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

/** The Toxiproxy proxy names of one broker (stable across backends). */
export interface BrokerProxies {
  client: string;
  replication: string;
  controller: string;
}

export function proxyNames(brokerId: number): BrokerProxies {
  return { client: `b${brokerId}-client`, replication: `b${brokerId}-replication`, controller: `b${brokerId}-controller` };
}

export type BrokerState = 'running' | 'stopped' | 'paused';

/**
 * A started cluster: brokers behind Toxiproxy. Disposing it stops everything it
 * started (brokers, proxy) and is safe to call twice.
 */
export interface Cluster extends AsyncDisposable {
  readonly backend: string;
  /**
   * false when the cluster outlives the run (compose): then each profile writes to a topic
   * of its own, so one profile cannot see another's records
   */
  readonly fresh?: boolean;
  readonly brokerIds: readonly number[];
  /** client-facing bootstrap addresses (Toxiproxy proxies), for agents and the final read */
  readonly bootstrapServers: readonly string[];
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
}

export interface ClusterBackend {
  readonly name: string;
  /**
   * Checks prerequisites and provisions what the backend needs (once, cached) before
   * anything starts; throws a PrerequisiteError naming what is missing.
   */
  prepare(opts: { kafkaVersion: string; log: (line: string) => void }): Promise<void>;
  start(spec: ClusterSpec): Promise<Cluster>;
}
