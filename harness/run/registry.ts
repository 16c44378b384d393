// A record of runs in progress (one small file per run in the cache), so `kafka-chaos
// clean` can tell the leftovers of a crashed harness from the processes of a live run.
import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { dockerAnswers, RUN_LABEL } from '../cluster/docker.ts';
import { NETWORK_NAME } from '../cluster/testcontainers.ts';
import { findMarkedProcesses } from '../util/proc.ts';

export interface RunRecord {
  runId: string;
  harnessPid: number;
  runDir: string;
  startedAt: string;
}

function runsDir(cacheDir: string): string {
  return path.join(cacheDir, 'runs');
}

export function registerRun(cacheDir: string, rec: RunRecord): () => void {
  fs.mkdirSync(runsDir(cacheDir), { recursive: true });
  const file = path.join(runsDir(cacheDir), `${rec.runId}.json`);
  fs.writeFileSync(file, JSON.stringify(rec, null, 2));
  return () => fs.rmSync(file, { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface CleanReport {
  killed: Array<{ pid: number; runId: string; cmd: string }>;
  /** containers, networks and volumes removed (docker backend) */
  removedDocker: Array<{ kind: 'container' | 'network' | 'volume'; name: string; runId: string }>;
  skippedLiveRuns: string[];
  removedRecords: string[];
}

/**
 * Kills every process left by a run whose harness is gone (or of every run with
 * `all`), and forgets those runs. Processes are found by the run marker in their
 * environment, so nothing else on the machine is touched.
 */
export async function cleanLeftovers(cacheDir: string, opts: { all?: boolean; runId?: string } = {}): Promise<CleanReport> {
  const records = new Map<string, RunRecord>();
  try {
    for (const f of fs.readdirSync(runsDir(cacheDir))) {
      if (!f.endsWith('.json')) continue;
      try {
        const rec = JSON.parse(fs.readFileSync(path.join(runsDir(cacheDir), f), 'utf8')) as RunRecord;
        records.set(rec.runId, rec);
      } catch {
        // unreadable: treat as a crashed run's record
      }
    }
  } catch {
    // no runs dir yet
  }
  const report: CleanReport = { killed: [], removedDocker: [], skippedLiveRuns: [], removedRecords: [] };
  const isLive = (runId: string) => {
    const rec = records.get(runId);
    return rec !== undefined && alive(rec.harnessPid) && rec.harnessPid !== process.pid;
  };
  const targets = findMarkedProcesses().filter((p) => (opts.runId ? p.runId === opts.runId : true));
  for (const p of targets) {
    if (!opts.all && isLive(p.runId)) {
      if (!report.skippedLiveRuns.includes(p.runId)) report.skippedLiveRuns.push(p.runId);
      continue;
    }
    try {
      process.kill(p.pid, 'SIGKILL');
      report.killed.push(p);
    } catch {
      // already gone
    }
  }
  // wait for them to be gone
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && report.killed.some((k) => alive(k.pid))) await new Promise((r) => setTimeout(r, 100));
  await cleanDocker(report, (runId) => (opts.runId ? runId === opts.runId : true) && (opts.all || !isLive(runId)));
  for (const [runId] of records) {
    if (opts.runId && runId !== opts.runId) continue;
    if (!opts.all && isLive(runId)) continue;
    fs.rmSync(path.join(runsDir(cacheDir), `${runId}.json`), { force: true });
    report.removedRecords.push(runId);
  }
  return report;
}

/**
 * Removes every container and volume labelled by a run that `select` picks, and the
 * networks those containers were on (testcontainers creates them, with its own labels).
 */
async function cleanDocker(report: CleanReport, select: (runId: string) => boolean): Promise<void> {
  const docker = new Docker();
  if (!(await dockerAnswers(docker, 2000))) return;
  const filters = JSON.stringify({ label: [RUN_LABEL] });
  const networksOf = new Map<string, string>();
  for (const c of await docker.listContainers({ all: true, filters })) {
    const runId = c.Labels[RUN_LABEL] ?? '';
    if (!select(runId)) continue;
    for (const name of Object.keys(c.NetworkSettings?.Networks ?? {})) networksOf.set(name, runId);
    await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
    report.removedDocker.push({ kind: 'container', name: (c.Names[0] ?? c.Id).replace(/^\//, ''), runId });
  }
  // the run's networks, and any cluster network no container uses any more (a run killed
  // between creating its network and its containers)
  for (const n of await docker.listNetworks()) {
    if (!NETWORK_NAME.test(n.Name)) continue;
    const info = await docker.getNetwork(n.Id).inspect().catch(() => undefined);
    if (!info || Object.keys(info.Containers ?? {}).length > 0) continue;
    await docker.getNetwork(n.Id).remove().catch(() => undefined);
    report.removedDocker.push({ kind: 'network', name: n.Name, runId: networksOf.get(n.Name) ?? '' });
  }
  const volumes = await docker.listVolumes({ filters });
  for (const v of volumes.Volumes ?? []) {
    const runId = v.Labels?.[RUN_LABEL] ?? '';
    if (!select(runId)) continue;
    await docker.getVolume(v.Name).remove().catch(() => undefined);
    report.removedDocker.push({ kind: 'volume', name: v.Name, runId });
  }
}
