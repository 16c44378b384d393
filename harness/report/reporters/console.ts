// console: the outcome table, each profile's problems and where the report is, as the CLI prints them.
import path from 'node:path';
import { renderTable } from '../render.ts';
import type { ReporterEntry } from '../reporter.ts';
import type { RunResult } from '../types.ts';

/** The lines under the table: why each profile that did not pass did not. */
export function problemLines(run: RunResult): string[] {
  const out: string[] = [];
  for (const p of run.profiles) {
    if (p.error) out.push(`${p.profile}: ${p.status}: ${p.error}`);
    for (const r of p.inconclusive ?? []) out.push(`${p.profile}: INCONCLUSIVE, did not settle: ${r}`);
    for (const v of p.violations) out.push(`${p.profile}: IDENTITY VIOLATED (${v.identity}): ${v.detail}`);
    for (const t of p.thresholds.filter((x) => !x.pass)) out.push(`${p.profile}: threshold missed: ${t.metric} is ${t.actual ?? 'n/a'}`);
  }
  return out;
}

/** What the console reporter prints for a finished run. */
export function renderConsole(run: RunResult): string {
  const problems = problemLines(run).map((l) => `${l}\n`).join('');
  return `\n${renderTable(run)}\n\n${problems}report: ${path.join(run.runDir, 'summary.md')}\n`;
}

export const consoleReporter: ReporterEntry = {
  name: 'console',
  description: 'prints the outcome table, what went wrong and the path of summary.md',
  create: (opts) => {
    const write = opts.write ?? ((s: string) => void process.stdout.write(s));
    return {
      name: 'console',
      description: consoleReporter.description,
      runFinished(run) {
        write(renderConsole(run));
      },
    };
  },
};
