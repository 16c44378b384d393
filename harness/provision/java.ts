import path from 'node:path';
import { PrerequisiteError } from '../util/errors.ts';
import { runCommand } from './exec.ts';

export interface JavaRuntime {
  bin: string;
  major: number;
  version: string;
}

/** Finds Java 17+ (JAVA_HOME first, then PATH), or says clearly what is missing. */
export async function findJava(javaHome: string | undefined): Promise<JavaRuntime> {
  const bin = javaHome ? path.join(javaHome, 'bin', 'java') : 'java';
  const r = await runCommand(bin, ['-version']);
  if (r.code !== 0) {
    throw new PrerequisiteError(
      `Java 17 or newer is needed to run Kafka brokers, but \`${bin} -version\` failed` +
        (javaHome ? ` (JAVA_HOME=${javaHome})` : '') +
        '. Install a JDK or JRE 17+ (for example the openjdk-17-jre-headless package) or set JAVA_HOME.',
    );
  }
  const m = /version "(\d+)(?:\.(\d+))?[^"]*"/.exec(r.stderr + r.stdout);
  const version = m?.[0]?.replace(/^version /, '').replace(/"/g, '') ?? 'unknown';
  let major = m ? Number(m[1]) : 0;
  if (major === 1 && m?.[2]) major = Number(m[2]);
  if (major < 17) {
    throw new PrerequisiteError(`Kafka 4 needs Java 17 or newer; ${bin} is version ${version}. Install Java 17+ or set JAVA_HOME.`);
  }
  return { bin, major, version };
}
