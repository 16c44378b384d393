// Reports of a finished run, written again from its result.json: `kafka-chaos report <run-dir>`.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UsageError } from '../util/errors.ts';
import { resolveReporters, runReporters, type ReporterFailure, type ReporterOptions } from './reporter.ts';
import type { RunResult } from './types.ts';

/** The path is not a run directory, or its result.json is not a run's result. */
export class RunDirError extends UsageError {
  override name = 'RunDirError';
}

// What the reporters read, checked enough that a wrong file fails here, by name, and not
// as a TypeError in a renderer; everything else passes through as it is.
const rec = <T extends z.ZodType>(v: T) => z.record(z.string(), v);
const ProfileShape = z.looseObject({
  profile: z.string(),
  status: z.enum(['ok', 'error', 'inconclusive', 'interrupted']),
  inconclusive: z.array(z.string()).optional(),
  error: z.string().optional(),
  dir: z.string(),
  producer: z.looseObject({}),
  consumer: z.looseObject({}),
  topicConfig: rec(z.string()),
  brokerConfig: rec(z.string()),
  versions: rec(z.string()),
  metrics: rec(z.number().nullable()).optional(),
  violations: z.array(z.looseObject({ identity: z.string(), detail: z.string() })),
  thresholds: z.array(z.looseObject({ metric: z.string(), min: z.number().optional(), max: z.number().optional(), actual: z.number().nullable(), pass: z.boolean() })),
  passed: z.boolean(),
  timeline: z.array(z.looseObject({ index: z.number(), action: z.string() })),
  tornLedgerTails: z.array(z.string()),
  durations: rec(z.number()),
});
const RunShape = z.looseObject({
  tool: z.literal('kafka-chaos'),
  runId: z.string(),
  experiment: z.string(),
  file: z.string(),
  seed: z.number(),
  backend: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  runDir: z.string(),
  schedule: z.array(z.unknown()),
  profiles: z.array(ProfileShape),
  exitCode: z.number(),
});

const where = (p: readonly PropertyKey[]) => (p.length === 0 ? '(top level)' : p.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('').replace(/^\./, ''));

/**
 * A run directory's result.json, checked, with its paths moved to where the directory is
 * now (a copied or moved run keeps working). Throws a RunDirError that says what is wrong.
 */
export function readRunResult(runDir: string): RunResult {
  const dir = path.resolve(runDir);
  const file = path.join(dir, 'result.json');
  if (!fs.existsSync(file)) throw new RunDirError(`not a kafka-chaos run directory: ${runDir} has no result.json`);
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new RunDirError(`not a kafka-chaos run directory: ${file} is not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const parsed = RunShape.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 3).map((i) => `${where(i.path)}: ${i.message}`);
    const more = parsed.error.issues.length > 3 ? `; and ${parsed.error.issues.length - 3} more` : '';
    throw new RunDirError(`not a kafka-chaos run directory: ${file} is not a kafka-chaos result: ${issues.join('; ')}${more}`);
  }
  const run = parsed.data as unknown as RunResult;
  const was = path.resolve(run.runDir);
  const moved = (p: string) => {
    const rel = path.relative(was, path.resolve(was, p));
    return rel.startsWith('..') || path.isAbsolute(rel) ? p : path.join(dir, rel);
  };
  return { ...run, runDir: dir, profiles: run.profiles.map((p) => ({ ...p, dir: moved(p.dir) })) };
}

export interface RerenderOutcome {
  /** the result the reports were written from (its paths as the run directory is now) */
  run: RunResult;
  /** the files written, in the reporters' order */
  written: string[];
  /** one per reporter that failed; the others ran anyway */
  errors: ReporterFailure[];
}

/**
 * Writes a finished run's reports again from its result.json, with these reporters (an
 * unknown name throws UnknownReporterError before anything is written).
 */
export async function rerenderRun(runDir: string, reporterNames: readonly string[], opts: ReporterOptions = {}): Promise<RerenderOutcome> {
  const reporters = resolveReporters(reporterNames, opts);
  const run = readRunResult(runDir);
  const { written, errors } = await runReporters(reporters, run);
  return { run, written, errors };
}
