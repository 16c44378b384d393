// markdown: summary.md in the run directory.
import fs from 'node:fs';
import path from 'node:path';
import { renderSummary } from '../render.ts';
import type { ReporterEntry } from '../reporter.ts';

export const markdownReporter: ReporterEntry = {
  name: 'markdown',
  description: 'writes summary.md: the outcomes, each profile\'s settings, faults and findings',
  create: () => ({
    name: 'markdown',
    description: markdownReporter.description,
    runFinished(run) {
      const file = path.join(run.runDir, 'summary.md');
      fs.mkdirSync(run.runDir, { recursive: true });
      fs.writeFileSync(file, renderSummary(run));
      return [file];
    },
  }),
};
