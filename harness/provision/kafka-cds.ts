// A class-data-sharing archive of a Kafka version's classes, so that broker JVMs start
// faster: three brokers starting together on two cores spend seconds loading and verifying
// the same classes. The archive is made once per Kafka version, Java build and classpath
// (a single-node broker runs until it is registered and is stopped; the JVM writes the
// classes it loaded as it exits) and kept in the cache. It changes only how fast the JVM
// starts: a JVM that cannot use the archive (another Java build, a changed jar) warns and
// loads the classes as usual.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { waitForBrokers } from '../cluster/admin.ts';
import { BROKER_LOG4J2, newClusterId, renderProperties } from '../cluster/broker-config.ts';
import { formatStorage } from '../cluster/format.ts';
import { errorMessage } from '../util/errors.ts';
import { freePorts } from '../util/ports.ts';
import { ManagedProcess, tail } from '../util/proc.ts';
import type { JavaRuntime } from './java.ts';
import { classpathFingerprint, type KafkaDistribution } from './kafka.ts';
import { withLock } from './lock.ts';

/** The JVM option that makes a JVM use the archive. */
export function classArchiveOption(file: string): string {
  return `-XX:SharedArchiveFile=${file}`;
}

/** Where the archive of this Java and Kafka classpath is kept. */
export function classArchiveFile(cacheDir: string, java: JavaRuntime, kafka: KafkaDistribution): string {
  const key = crypto
    .createHash('sha256')
    .update([java.bin, java.version, kafka.version, kafka.classpath, ...classpathFingerprint(kafka.classpath)].join('\n'))
    .digest('hex')
    .slice(0, 16);
  return path.join(cacheDir, 'kafka-cds', `kafka-${kafka.version}-java${java.major}-${key}.jsa`);
}

/**
 * The archive for this Java and Kafka, made when it is missing. Never fails a run: when it
 * cannot be made, says why and returns undefined (the brokers then start without it).
 */
export async function provisionClassArchive(opts: {
  cacheDir: string;
  java: JavaRuntime;
  kafka: KafkaDistribution;
  runId: string;
  log?: ((line: string) => void) | undefined;
}): Promise<string | undefined> {
  const file = classArchiveFile(opts.cacheDir, opts.java, opts.kafka);
  if (fs.existsSync(file)) return file;
  const failed = `${file}.failed`;
  // a Java that cannot make one is not asked again on every run
  if (fs.existsSync(failed)) return undefined;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  return withLock(`${file}.lock`, async () => {
    if (fs.existsSync(file)) return file;
    opts.log?.(`making a class-data archive of Kafka ${opts.kafka.version}'s classes (once per Kafka version and Java build; brokers then start faster)`);
    const started = Date.now();
    try {
      await makeArchive(file, opts);
      opts.log?.(`class-data archive ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${file}`);
      return file;
    } catch (err) {
      fs.writeFileSync(failed, `${errorMessage(err)}\n`);
      opts.log?.(`no class-data archive (brokers start without one): ${errorMessage(err)}`);
      return undefined;
    }
  });
}

async function makeArchive(file: string, opts: { java: JavaRuntime; kafka: KafkaDistribution; runId: string }): Promise<void> {
  const dir = fs.mkdtempSync(`${file}.work-`);
  let proc: ManagedProcess | undefined;
  try {
    const [client, controller] = await freePorts(2);
    const config = path.join(dir, 'server.properties');
    const log4j = path.join(dir, 'log4j2.properties');
    fs.writeFileSync(log4j, BROKER_LOG4J2);
    fs.writeFileSync(
      config,
      renderProperties({
        'process.roles': 'broker,controller',
        'node.id': '1',
        'controller.quorum.voters': `1@127.0.0.1:${controller}`,
        listeners: `CLIENT://127.0.0.1:${client},CONTROLLER://127.0.0.1:${controller}`,
        'advertised.listeners': `CLIENT://127.0.0.1:${client}`,
        'listener.security.protocol.map': 'CLIENT:PLAINTEXT,CONTROLLER:PLAINTEXT',
        'inter.broker.listener.name': 'CLIENT',
        'controller.listener.names': 'CONTROLLER',
        'log.dirs': path.join(dir, 'data'),
        'offsets.topic.replication.factor': '1',
        'transaction.state.log.replication.factor': '1',
        'transaction.state.log.min.isr': '1',
      }),
    );
    const cp = ['-cp', opts.kafka.classpath, `-Dlog4j2.configurationFile=${log4j}`];
    await formatStorage({ java: opts.java.bin, jvm: cp, clusterId: newClusterId(), nodes: [{ id: 1, configFile: config, dataDir: path.join(dir, 'data') }], cacheDir: undefined, key: '' });
    const logFile = path.join(dir, 'broker.log');
    const tmp = `${file}.${process.pid}.tmp`;
    proc = new ManagedProcess({
      name: 'kafka-cds',
      command: opts.java.bin,
      args: ['-Xms256m', '-Xmx768m', '-XX:+UseG1GC', `-XX:ArchiveClassesAtExit=${tmp}`, '-Djava.awt.headless=true', ...cp, 'kafka.Kafka', config],
      runId: opts.runId,
      logFile,
    });
    const p = proc;
    await waitForBrokers({
      bootstrap: [`127.0.0.1:${client}`],
      count: 1,
      timeoutMs: 120_000,
      fatal: () => (p.running ? undefined : `the broker exited (${JSON.stringify(p.exit)}): ${tail(logFile, 5)}`),
      describe: () => tail(logFile, 5),
    });
    // a graceful stop: the JVM writes the archive as it exits
    await proc.stop(60_000);
    if (!fs.existsSync(tmp) || fs.statSync(tmp).size === 0) throw new Error(`the JVM wrote no archive: ${tail(logFile, 5)}`);
    fs.renameSync(tmp, file);
  } finally {
    await proc?.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
