// Reporters by name: what a finished run (and each finished profile) is written as.
// Each reporter writes its own file(s) into the run directory, or prints; the CLI picks
// them with `--reporter <name...>` and `kafka-chaos report <run-dir>` runs them again.
import { errorMessage, UsageError } from '../util/errors.ts';
import type { ProfileResult, RunResult } from './types.ts';
import { consoleReporter } from './reporters/console.ts';
import { githubReporter } from './reporters/github.ts';
import { htmlReporter } from './reporters/html.ts';
import { jsonReporter } from './reporters/json.ts';
import { junitReporter } from './reporters/junit.ts';
import { markdownReporter } from './reporters/markdown.ts';

/** What a reporter knows of its run while profiles are still running (no outcome yet). */
export type RunContextInfo = Pick<RunResult, 'tool' | 'runId' | 'experiment' | 'file' | 'seed' | 'backend' | 'startedAt' | 'runDir' | 'schedule'>;

/** The paths a hook wrote, if it says (absolute or relative to the working directory). */
export type ReporterOutput = string[] | void;

export interface Reporter {
  readonly name: string;
  /** one line, for `--help` and error messages */
  readonly description: string;
  /** after each profile, while the run goes on */
  profileFinished?(profile: ProfileResult, run: RunContextInfo): ReporterOutput | Promise<ReporterOutput>;
  /** once, with the whole result */
  runFinished?(run: RunResult): ReporterOutput | Promise<ReporterOutput>;
}

/** What reporters are built with: where printing reporters print and the environment they look at. */
export interface ReporterOptions {
  /** the output sink of printing reporters (default: process.stdout); pass a bound function, e.g. `(s) => process.stdout.write(s)` */
  write?: (text: string) => void;
  /** environment variables (default: process.env, read when the hook runs) */
  env?: NodeJS.ProcessEnv;
}

/** A reporter in the registry: its name and description without building it. */
export interface ReporterEntry {
  readonly name: string;
  readonly description: string;
  create(opts: ReporterOptions): Reporter;
}

/** Every reporter, by name, in the order `--help` lists them. A new reporter is one more entry (and its file under reporters/). */
export const REPORTERS: Readonly<Record<string, ReporterEntry>> = Object.fromEntries(
  [consoleReporter, markdownReporter, jsonReporter, junitReporter, githubReporter, htmlReporter].map((e) => [e.name, e]),
);

/** What a run writes when no reporter is named. */
export const DEFAULT_REPORTERS: readonly string[] = ['console', 'markdown', 'json', 'html'];

/** A usage error (exit code 2 in the CLI): the message names the reporter and lists the known ones. */
export class UnknownReporterError extends UsageError {
  override name = 'UnknownReporterError';
  constructor(
    readonly reporter: string,
    readonly known: readonly string[],
  ) {
    super(`unknown reporter ${JSON.stringify(reporter)}; the reporters are: ${known.join(', ')}`);
  }
}

/**
 * The reporters of these names, in the order given; a name may also be a comma-separated
 * list ("console,junit"), and a name given twice counts once. Throws an
 * UnknownReporterError, listing the known names, for a name that is not in REPORTERS.
 */
export function resolveReporters(names: readonly string[], opts: ReporterOptions = {}): Reporter[] {
  const wanted = [...new Set(names.flatMap((n) => n.split(',')).map((n) => n.trim()).filter((n) => n.length > 0))];
  return wanted.map((name) => {
    const e = Object.hasOwn(REPORTERS, name) ? REPORTERS[name] : undefined;
    if (!e) throw new UnknownReporterError(name, Object.keys(REPORTERS));
    return e.create(opts);
  });
}

export interface ReporterFailure {
  reporter: string;
  hook: 'profileFinished' | 'runFinished';
  error: unknown;
  /** `<reporter> reporter: <message>`, ready to print */
  message: string;
}

export interface ReportersOutcome {
  /** the files the reporters said they wrote, in order */
  written: string[];
  /** one per reporter that threw; the others ran anyway */
  errors: ReporterFailure[];
}

async function runHook(reporters: readonly Reporter[], hook: ReporterFailure['hook'], call: (r: Reporter) => ReporterOutput | Promise<ReporterOutput> | undefined): Promise<ReportersOutcome> {
  const outcome: ReportersOutcome = { written: [], errors: [] };
  for (const r of reporters) {
    try {
      const files = await call(r);
      if (Array.isArray(files)) outcome.written.push(...files);
    } catch (error) {
      outcome.errors.push({ reporter: r.name, hook, error, message: `${r.name} reporter: ${errorMessage(error)}` });
    }
  }
  return outcome;
}

/** Calls each reporter's runFinished in turn; one that throws does not stop the others. */
export function runReporters(reporters: readonly Reporter[], run: RunResult): Promise<ReportersOutcome> {
  return runHook(reporters, 'runFinished', (r) => r.runFinished?.(run));
}

/** Calls each reporter's profileFinished in turn; one that throws does not stop the others. */
export function runProfileReporters(reporters: readonly Reporter[], profile: ProfileResult, run: RunContextInfo): Promise<ReportersOutcome> {
  return runHook(reporters, 'profileFinished', (r) => r.profileFinished?.(profile, run));
}
