// The java client driver: the reference Kafka client (kafka-clients, the version of the
// cluster) in a Java agent (KafkaChaosAgent.java), which hands the mapped properties to
// KafkaProducer / KafkaConsumer as they are.
import { findJava } from '../../provision/java.ts';
import { compileJavaAgent, findJavac, JAVA_AGENT_CLASS, javaAgentJvmFlags } from '../../provision/java-agent.ts';
import { provisionKafka } from '../../provision/kafka.ts';
import { readEnvironment } from '../../util/env.ts';
import type { ClientDriver, ClientUse, PreparedClient, PrepareOptions } from '../driver.ts';
import { DriverRefusal, javaConsumerProperties, javaProducerProperties, type ResolvedConsumer, type ResolvedProducer } from '../settings.ts';

export const javaDriver: ClientDriver = {
  name: 'java',
  description: 'kafka-clients (the reference Java client, the version of the cluster) in a JVM agent: every producer mode, commit mode, rebalance callback, worker pool and transactions',
  refusals({ producer, roles }: ClientUse): DriverRefusal[] {
    const out: DriverRefusal[] = [];
    // a KafkaProducer with a transactional.id refuses send() outside a transaction
    if (roles.includes('producer') && producer.transactionalId !== undefined) {
      out.push(new DriverRefusal('producer.transactional.id', 'transactional.id: the producer role does not run transactions; transactions run in the transformer role (workload.transformers)'));
    }
    return out;
  },
  producerProperties(p: ResolvedProducer): Record<string, string> {
    return javaProducerProperties(p);
  },
  consumerProperties(c: ResolvedConsumer, groupId: string): Record<string, string> {
    return { ...javaConsumerProperties(c), 'group.id': groupId };
  },
  async prepare(opts: PrepareOptions): Promise<PreparedClient> {
    const env = readEnvironment();
    const javaHome = opts.javaHome ?? env.javaHome;
    const java = await findJava(javaHome);
    const javac = await findJavac(javaHome);
    const dist = await provisionKafka({ version: opts.kafkaVersion, cacheDir: env.cacheDir, kafkaHome: env.kafkaHome, log: opts.log });
    const agent = await compileJavaAgent({ javac, kafkaVersion: dist.version, libsClasspath: dist.classpath, cacheDir: env.cacheDir, log: opts.log });
    const classpath = `${agent.classes}:${agent.libsClasspath}`;
    return {
      name: 'java',
      version: `kafka-clients ${dist.version} (Java ${java.major})`,
      command: (configFile) => ({ command: java.bin, args: ['-cp', classpath, ...javaAgentJvmFlags(agent.classes), JAVA_AGENT_CLASS, configFile] }),
    };
  },
};
