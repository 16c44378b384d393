// Kafka's own command-line tools the harness runs (leader election, features, the quorum,
// reassignment; the perf tools for `npm run bench`): one list, used by the local backend (java -cp <jars> <main class>) and by
// the offline Kafka image (a launcher script per tool, as in Kafka's own bin/).
export const KAFKA_TOOLS = {
  'kafka-features': { main: 'org.apache.kafka.tools.FeatureCommand', usage: 'Describes or changes feature levels: kafka-features.sh --bootstrap-server ... describe' },
  'kafka-leader-election': { main: 'org.apache.kafka.tools.LeaderElectionCommand', usage: 'Elects leaders: kafka-leader-election.sh --bootstrap-server ... --election-type PREFERRED --all-topic-partitions' },
  'kafka-metadata-quorum': { main: 'org.apache.kafka.tools.MetadataQuorumCommand', usage: 'Describes the KRaft quorum: kafka-metadata-quorum.sh --bootstrap-server ... describe --status' },
  'kafka-producer-perf-test': { main: 'org.apache.kafka.tools.ProducerPerformance', usage: 'Produces as fast as asked and reports the rate: kafka-producer-perf-test.sh --topic ... --num-records ... --record-size ... --throughput -1 --producer-props ...' },
  'kafka-console-consumer': { main: 'org.apache.kafka.tools.consumer.ConsoleConsumer', usage: 'Prints records: kafka-console-consumer.sh --bootstrap-server ... --topic ... --from-beginning' },
  'kafka-reassign-partitions': { main: 'org.apache.kafka.tools.reassign.ReassignPartitionsCommand', usage: 'Moves partitions between brokers: kafka-reassign-partitions.sh --bootstrap-server ... --execute ...' },
} as const satisfies Record<string, { main: string; usage: string }>;

export type KafkaTool = keyof typeof KAFKA_TOOLS;

export function kafkaTool(name: string): (typeof KAFKA_TOOLS)[KafkaTool] | undefined {
  return Object.hasOwn(KAFKA_TOOLS, name) ? KAFKA_TOOLS[name as KafkaTool] : undefined;
}
