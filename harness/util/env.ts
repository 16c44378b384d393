// The one place that reads the process environment. Everything else receives
// these settings as arguments, so library code stays testable and explicit.
import os from 'node:os';
import path from 'node:path';

export interface Environment {
  /** where provisioned Kafka jars and the Toxiproxy binary are cached */
  cacheDir: string;
  /** an Apache Kafka install to use instead of the Maven-provisioned jars */
  kafkaHome: string | undefined;
  /** a JDK/JRE to run brokers with (else `java` from PATH) */
  javaHome: string | undefined;
  /** true in CI: tests that need Java or Docker must run, not skip */
  ci: boolean;
  /** whether stdout is an interactive terminal (live progress line) */
  tty: boolean;
  /** Docker images for the docker backend (default: the official images) */
  kafkaImage: string | undefined;
  toxiproxyImage: string | undefined;
  /** local brokers start from a class-data archive of Kafka's classes (KAFKA_CHAOS_CLASS_ARCHIVE=0 turns it off) */
  classArchive: boolean;
}

export function readEnvironment(env: NodeJS.ProcessEnv = process.env): Environment {
  const xdg = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.length > 0 ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return {
    cacheDir: env.KAFKA_CHAOS_CACHE && env.KAFKA_CHAOS_CACHE.length > 0 ? path.resolve(env.KAFKA_CHAOS_CACHE) : path.join(xdg, 'kafka-chaos'),
    kafkaHome: env.KAFKA_HOME && env.KAFKA_HOME.length > 0 ? path.resolve(env.KAFKA_HOME) : undefined,
    javaHome: env.JAVA_HOME && env.JAVA_HOME.length > 0 ? env.JAVA_HOME : undefined,
    ci: env.CI === 'true' || env.CI === '1',
    tty: Boolean(process.stdout.isTTY),
    kafkaImage: env.KAFKA_CHAOS_KAFKA_IMAGE && env.KAFKA_CHAOS_KAFKA_IMAGE.length > 0 ? env.KAFKA_CHAOS_KAFKA_IMAGE : undefined,
    toxiproxyImage: env.KAFKA_CHAOS_TOXIPROXY_IMAGE && env.KAFKA_CHAOS_TOXIPROXY_IMAGE.length > 0 ? env.KAFKA_CHAOS_TOXIPROXY_IMAGE : undefined,
    classArchive: env.KAFKA_CHAOS_CLASS_ARCHIVE !== '0' && env.KAFKA_CHAOS_CLASS_ARCHIVE !== 'false',
  };
}

/** Name of the environment variable that marks every process a run starts (used by `clean`). */
export const RUN_MARKER = 'KAFKA_CHAOS_RUN_ID';
