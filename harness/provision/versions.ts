/**
 * Pinned default versions. Kafka 4.3.1 is the newest 4.x whose broker, storage tool
 * and kafka-tools artifacts all resolve from Maven Central, and kafkajs 2.2.4 passes
 * the integration suite against it (KIP-896 removed old protocol versions in 4.0;
 * kafkajs negotiates versions that 4.x still serves). See the README.
 */
export const DEFAULT_KAFKA_VERSION = '4.3.1';
export const DEFAULT_TOXIPROXY_VERSION = '2.12.0';
/** Log4j 2 backend added to the broker classpath so broker logs are written. */
export const LOG4J_VERSION = '2.24.3';
/** slf4j 2 API, pinned because Maven's nearest-wins would otherwise pick 1.7 from an old transitive dependency. */
export const SLF4J_VERSION = '2.0.17';
