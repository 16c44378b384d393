import { missingLocalPrerequisites } from '../../harness/provision/prereq.ts';
import { readEnvironment } from '../../harness/util/env.ts';

/**
 * Integration tests need Java 17+ (brokers) and Go or toxiproxy-server (Toxiproxy).
 * On a user's machine without them they skip with the reason; in CI (CI=true) they
 * must run, so a missing prerequisite fails instead.
 */
export function clusterPrerequisites(): { ok: boolean; reason: string } {
  const missing = missingLocalPrerequisites();
  const env = readEnvironment();
  if (missing.length === 0) return { ok: true, reason: '' };
  const reason = `integration tests need ${missing.join(', ')}`;
  if (env.ci) throw new Error(`${reason}, and CI=true: they must run in CI, not skip`);
  process.stderr.write(`skipping integration tests: ${reason}\n`);
  return { ok: false, reason };
}

/**
 * Docker tests need an engine and either the images or the means to build them offline
 * (mmdebstrap, Go). They skip with the reason on a user's machine and fail in CI.
 */
export async function dockerPrerequisites(): Promise<{ ok: boolean; reason: string }> {
  const { dockerAnswers } = await import('../../harness/cluster/docker.ts');
  const { canBuildLocalImages } = await import('../../harness/provision/images.ts');
  const missing: string[] = [];
  if (!(await dockerAnswers())) missing.push('a Docker engine that answers');
  else {
    const can = await canBuildLocalImages();
    if (!can.ok) missing.push(...can.missing);
  }
  if (missing.length === 0) return { ok: true, reason: '' };
  const reason = `docker tests need ${missing.join(', ')}`;
  if (readEnvironment().ci) throw new Error(`${reason}, and CI=true: they must run in CI, not skip`);
  process.stderr.write(`skipping docker tests: ${reason}\n`);
  return { ok: false, reason };
}
