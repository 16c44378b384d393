// github: on GitHub Actions, the Markdown summary appended to the job's step summary.
import fs from 'node:fs';
import { renderSummary } from '../render.ts';
import type { ReporterEntry } from '../reporter.ts';

/** Whether the file exists, is not empty and its last byte is not a newline. */
function endsMidLine(file: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return false; // not there yet: appending creates it
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    fs.readSync(fd, last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } finally {
    fs.closeSync(fd);
  }
}

export const githubReporter: ReporterEntry = {
  name: 'github',
  description: 'appends the Markdown summary to $GITHUB_STEP_SUMMARY (GitHub Actions); does nothing elsewhere',
  create: (opts) => ({
    name: 'github',
    description: githubReporter.description,
    runFinished(run) {
      const file = (opts.env ?? process.env).GITHUB_STEP_SUMMARY;
      if (!file) return;
      // a step may already have written there: start on a line of our own
      const sep = endsMidLine(file) ? '\n' : '';
      fs.appendFileSync(file, `${sep}${renderSummary(run)}`);
      return [file];
    },
  }),
};
