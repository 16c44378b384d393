// A client driver: one object per Kafka client the agents can run (see catalogue.ts).
// It checks resolved settings against what its client can honour (refusing the rest by
// name, before anything starts), maps them to the client's own properties, reports the
// client's name and version, and names the command that starts one of its agents.
import type { AgentConfig, AgentRole, ClientName } from './protocol.ts';
import type { DriverRefusal, ResolvedConsumer, ResolvedProducer } from './settings.ts';

/** What a profile asks of its client. */
export interface ClientUse {
  producer: ResolvedProducer;
  consumer: ResolvedConsumer;
  /** the roles the profile's workload starts */
  roles: readonly AgentRole[];
}

/** How to start an agent: `command ...args <config.json>`. */
export interface AgentCommand {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

/** A client ready to run: provisioned (compiled, loaded) for one Kafka version. */
export interface PreparedClient {
  name: ClientName;
  /** e.g. "kafkajs 2.2.4", "librdkafka 2.12.0 (@confluentinc/kafka-javascript 1.6.0)", "kafka-clients 4.3.1" */
  version: string;
  /** the command that starts one agent with the given config file */
  command(configFile: string): AgentCommand;
}

export interface PrepareOptions {
  /** the cluster's Kafka version (the Java agent compiles against its kafka-clients) */
  kafkaVersion: string;
  /** JAVA_HOME if set */
  javaHome?: string | undefined;
  log?: (line: string) => void;
}

export interface ClientDriver {
  readonly name: ClientName;
  /** one line for `kafka-chaos list` and the README */
  readonly description: string;
  /**
   * What this client cannot honour in these settings, each naming the setting
   * (`key` is a path in the profile, e.g. `consumer.commitOnRevoke`). Empty: it can run them.
   */
  refusals(use: ClientUse): DriverRefusal[];
  /** the client's own producer properties for these settings (undefined: the agent builds its own options) */
  producerProperties(p: ResolvedProducer): Record<string, string> | undefined;
  /** the client's own consumer properties for these settings and group */
  consumerProperties(c: ResolvedConsumer, groupId: string): Record<string, string> | undefined;
  /**
   * Provisions the client (cached) and says how to start its agents. Throws a
   * PrerequisiteError that says how to get what is missing.
   */
  prepare(opts: PrepareOptions): Promise<PreparedClient>;
}

/** Adds the driver's client properties to an agent config. */
export function withClientProperties<T extends AgentConfig>(driver: ClientDriver, cfg: T): T {
  const out = { ...cfg, client: driver.name };
  if (cfg.role === 'producer' || cfg.role === 'transformer') {
    const props = driver.producerProperties(cfg.producer);
    if (props) out.producerProperties = props;
  }
  if (cfg.role === 'consumer' || cfg.role === 'transformer') {
    const props = driver.consumerProperties(cfg.consumer, cfg.groupId);
    if (props) out.consumerProperties = props;
  }
  return out;
}
