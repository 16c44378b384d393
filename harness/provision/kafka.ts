import fs from 'node:fs';
import path from 'node:path';
import { PrerequisiteError } from '../util/errors.ts';
import { runCommand, which } from './exec.ts';
import { withLock } from './lock.ts';
import { LOG4J_VERSION, SLF4J_VERSION } from './versions.ts';

export interface KafkaDistribution {
  version: string;
  /** a Java classpath holding the broker, the storage tool and kafka-tools */
  classpath: string;
  source: 'KAFKA_HOME' | 'maven-cache';
  location: string;
}

/**
 * What the classpath's jars are, for cache keys of things made from them (the format
 * cache, the class-data archive): each jar with its size and modification time, a
 * `dir/*` entry expanded to the jars in it.
 */
export function classpathFingerprint(classpath: string): string[] {
  const jars = classpath.split(path.delimiter).flatMap((entry) => {
    if (!entry.endsWith(`${path.sep}*`)) return [entry];
    const dir = entry.slice(0, -2);
    try {
      return fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.jar'))
        .sort()
        .map((f) => path.join(dir, f));
    } catch {
      return [entry];
    }
  });
  return jars.map((jar) => {
    try {
      const st = fs.statSync(jar);
      return `${jar}:${st.size}:${Math.trunc(st.mtimeMs)}`;
    } catch {
      return jar;
    }
  });
}

export interface KafkaProvisionOptions {
  version: string;
  cacheDir: string;
  kafkaHome?: string | undefined;
  log?: (line: string) => void;
}

/** Kafka from KAFKA_HOME, or the org.apache.kafka jars fetched once with Maven into the cache. */
export async function provisionKafka(opts: KafkaProvisionOptions): Promise<KafkaDistribution> {
  if (opts.kafkaHome) return fromKafkaHome(opts.kafkaHome);
  const dir = path.join(opts.cacheDir, 'kafka', opts.version);
  const libs = path.join(dir, 'libs');
  const marker = path.join(dir, '.complete');
  if (!fs.existsSync(marker)) {
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    await withLock(`${dir}.lock`, async () => {
      if (fs.existsSync(marker)) return;
      await fetchWithMaven(opts.version, dir, opts.log);
    });
  }
  return { version: opts.version, classpath: `${libs}/*`, source: 'maven-cache', location: dir };
}

function fromKafkaHome(home: string): KafkaDistribution {
  const libs = path.join(home, 'libs');
  let jars: string[];
  try {
    jars = fs.readdirSync(libs);
  } catch {
    throw new PrerequisiteError(`KAFKA_HOME=${home} has no libs/ folder: point it at an Apache Kafka 4.x install, or unset it to fetch Kafka with Maven.`);
  }
  const core = jars.map((j) => /^kafka_\d+\.\d+-(\d+\.\d+\.\d+)\.jar$/.exec(j)).find((m) => m !== null);
  if (!core?.[1]) throw new PrerequisiteError(`KAFKA_HOME=${home}: no kafka_<scala>-<version>.jar in libs/; is this an Apache Kafka install?`);
  return { version: core[1], classpath: `${libs}/*`, source: 'KAFKA_HOME', location: home };
}

function pom(version: string): string {
  const dep = (g: string, a: string, v: string) =>
    `    <dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`;
  return [
    '<project>',
    '  <modelVersion>4.0.0</modelVersion>',
    '  <groupId>kafka-chaos.provision</groupId><artifactId>kafka-dist</artifactId><version>1</version><packaging>pom</packaging>',
    '  <dependencies>',
    dep('org.apache.kafka', 'kafka_2.13', version),
    dep('org.apache.kafka', 'kafka-tools', version),
    dep('org.slf4j', 'slf4j-api', SLF4J_VERSION),
    dep('org.apache.logging.log4j', 'log4j-slf4j2-impl', LOG4J_VERSION),
    dep('org.apache.logging.log4j', 'log4j-core', LOG4J_VERSION),
    '  </dependencies>',
    '</project>',
    '',
  ].join('\n');
}

async function fetchWithMaven(version: string, dir: string, log?: (line: string) => void): Promise<void> {
  const mvn = await which('mvn');
  if (!mvn) {
    throw new PrerequisiteError(
      'Maven (mvn) is needed once to fetch the Kafka jars into the cache, and it is not on PATH. ' +
        'Install Maven (for example the maven package), or set KAFKA_HOME to an Apache Kafka install.',
    );
  }
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  fs.writeFileSync(path.join(tmp, 'pom.xml'), pom(version));
  log?.(`fetching Kafka ${version} jars with Maven into ${dir} (once)`);
  const r = await runCommand(mvn, ['-B', '-q', '-f', path.join(tmp, 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${path.join(tmp, 'libs')}`, '-DincludeScope=runtime'], {
    timeoutMs: 20 * 60_000,
  });
  if (r.code !== 0) {
    fs.rmSync(tmp, { recursive: true, force: true });
    const out = (r.stdout + r.stderr).split('\n').filter((l) => l.includes('ERROR')).slice(0, 5).join('\n');
    throw new PrerequisiteError(`Maven could not fetch Kafka ${version} (org.apache.kafka:kafka_2.13 and kafka-tools):\n${out || r.stderr.slice(-2000)}`);
  }
  fs.writeFileSync(path.join(tmp, '.complete'), new Date().toISOString() + '\n');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
}
