// What the local backend needs on this machine, said in words: Java 17+ for the brokers,
// Go or toxiproxy-server for Toxiproxy, Maven or KAFKA_HOME for the Kafka jars.
import { execFileSync } from 'node:child_process';
import { readEnvironment } from '../util/env.ts';

/** The local backend's prerequisites that are missing here (empty: it can run). */
export function missingLocalPrerequisites(): string[] {
  const missing: string[] = [];
  const has = (cmd: string, args: string[]) => {
    try {
      execFileSync(cmd, args, { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  const env = readEnvironment();
  if (!has(env.javaHome ? `${env.javaHome}/bin/java` : 'java', ['-version'])) missing.push('Java 17+ (java)');
  if (!has('toxiproxy-server', ['-version']) && !has('go', ['version'])) missing.push('Go or toxiproxy-server');
  if (!env.kafkaHome && !has('mvn', ['-v'])) missing.push('Maven (mvn) or KAFKA_HOME');
  return missing;
}
