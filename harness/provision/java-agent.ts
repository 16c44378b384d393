// The Java agent (harness/clients/java/KafkaChaosAgent.java), compiled once per Kafka
// version and source into the cache: <cacheDir>/java-agent/<kafka version>-<source hash>/.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PrerequisiteError } from '../util/errors.ts';
import { runCommand, which } from './exec.ts';
import { withLock } from './lock.ts';

export const JAVA_AGENT_SOURCE = fileURLToPath(new URL('../clients/java/KafkaChaosAgent.java', import.meta.url));
export const JAVA_AGENT_CLASS = 'KafkaChaosAgent';
/** The log4j2 configuration written next to the classes: the client logs WARN and above to stderr (stdout is the protocol). */
export const JAVA_AGENT_LOG4J = 'log4j2.properties';

const LOG4J_CONFIG = [
  'status = error',
  'appender.err.type = Console',
  'appender.err.name = STDERR',
  'appender.err.target = SYSTEM_ERR',
  'appender.err.layout.type = PatternLayout',
  'appender.err.layout.pattern = %d{HH:mm:ss.SSS} %-5level [%t] %c{1}: %m%n',
  'rootLogger.level = WARN',
  'rootLogger.appenderRef.err.ref = STDERR',
  '',
].join('\n');

export interface JavaCompiler {
  bin: string;
  major: number;
}

/** Finds javac 17+ (JAVA_HOME first, then PATH), or says how to get a JDK. */
export async function findJavac(javaHome: string | undefined): Promise<JavaCompiler> {
  const candidates: string[] = [];
  if (javaHome) candidates.push(path.join(javaHome, 'bin', 'javac'));
  const onPath = await which('javac');
  if (onPath) candidates.push(onPath);
  let tried = '';
  for (const bin of candidates) {
    const r = await runCommand(bin, ['-version']);
    if (r.code !== 0) {
      tried += ` ${bin} -version failed;`;
      continue;
    }
    const m = /javac (\d+)(?:\.(\d+))?/.exec(r.stdout + r.stderr);
    let major = m ? Number(m[1]) : 0;
    if (major === 1 && m?.[2]) major = Number(m[2]);
    if (major >= 17) return { bin, major };
    tried += ` ${bin} is ${major > 0 ? `Java ${major}` : 'of an unknown version'};`;
  }
  throw new PrerequisiteError(
    'The java client compiles its agent with javac 17 or newer, and none was found' +
      (tried ? ` (${tried.trim().replace(/;$/, '')})` : javaHome ? ` (JAVA_HOME=${javaHome} has no bin/javac, and there is none on PATH)` : ' on PATH') +
      '. Install a JDK 17+ (for example the openjdk-17-jdk-headless package; a JRE has no javac) or set JAVA_HOME to one.',
  );
}

/** The first 12 hex digits of the sha256 of the agent's source. */
export function javaAgentSourceHash(source = JAVA_AGENT_SOURCE): string {
  return crypto.createHash('sha256').update(fs.readFileSync(source)).digest('hex').slice(0, 12);
}

export interface CompiledJavaAgent {
  /** the classes directory (also holding log4j2.properties) */
  classes: string;
  /** the Kafka libs classpath entry, `<libs>/*` */
  libsClasspath: string;
}

/**
 * Compiles the agent against a Kafka libs classpath (`<libs>/*`), once: the directory
 * name carries the Kafka version and the source hash, and a finished compile is marked.
 */
export async function compileJavaAgent(opts: {
  javac: JavaCompiler;
  kafkaVersion: string;
  libsClasspath: string;
  cacheDir: string;
  source?: string;
  log?: ((line: string) => void) | undefined;
}): Promise<CompiledJavaAgent> {
  const source = opts.source ?? JAVA_AGENT_SOURCE;
  const dir = path.join(opts.cacheDir, 'java-agent', `${opts.kafkaVersion}-${javaAgentSourceHash(source)}`);
  const marker = path.join(dir, '.complete');
  if (!fs.existsSync(marker)) {
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    await withLock(`${dir}.lock`, async () => {
      if (fs.existsSync(marker)) return;
      opts.log?.(`compiling the Java agent against Kafka ${opts.kafkaVersion} into ${dir} (once)`);
      const tmp = `${dir}.tmp-${process.pid}`;
      fs.rmSync(tmp, { recursive: true, force: true });
      fs.mkdirSync(tmp, { recursive: true });
      const r = await runCommand(opts.javac.bin, ['-nowarn', '--release', '17', '-encoding', 'UTF-8', '-cp', opts.libsClasspath, '-d', tmp, source], { timeoutMs: 5 * 60_000 });
      if (r.code !== 0) {
        fs.rmSync(tmp, { recursive: true, force: true });
        throw new PrerequisiteError(`javac could not compile the Java agent (${source}) against Kafka ${opts.kafkaVersion} (${opts.libsClasspath}):\n${(r.stderr + r.stdout).slice(-3000)}`);
      }
      fs.writeFileSync(path.join(tmp, JAVA_AGENT_LOG4J), LOG4J_CONFIG);
      fs.writeFileSync(path.join(tmp, '.complete'), new Date().toISOString() + '\n');
      fs.rmSync(dir, { recursive: true, force: true });
      fs.renameSync(tmp, dir);
    });
  }
  return { classes: dir, libsClasspath: opts.libsClasspath };
}

/**
 * JVM flags for an agent: a quick start and a small footprint (several agents share two
 * cores with the brokers), the log4j2 configuration that keeps stdout for the protocol.
 */
export function javaAgentJvmFlags(classes: string): string[] {
  return [
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-XX:-UsePerfData',
    '-Xss512k',
    '-Xms32m',
    '-Xmx512m',
    `-Dlog4j2.configurationFile=${path.join(classes, JAVA_AGENT_LOG4J)}`,
  ];
}
