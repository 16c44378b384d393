// html: report.html in the run directory, one self-contained page (no network needed):
// the outcomes, each profile's Watch series as charts with the fault windows shaded, its
// availability and the example ids of its outcomes, and the profiles compared.
import fs from 'node:fs';
import path from 'node:path';
import { loadAssets } from '../html/assets.ts';
import { lookupExamples } from '../html/examples.ts';
import { renderHtml, type ProfileExtras } from '../html/page.ts';
import { readSeries } from '../html/series.ts';
import type { ReporterEntry } from '../reporter.ts';
import type { RunResult } from '../types.ts';

/** report.html of a run, as text (reads each profile's series.jsonl, ledgers and final read). */
export async function renderHtmlReport(run: RunResult): Promise<string> {
  const assets = loadAssets();
  const extras: ProfileExtras[] = [];
  for (const p of run.profiles) extras.push({ series: readSeries(p.dir), examples: await lookupExamples(p) });
  return renderHtml(run, extras, assets);
}

export const htmlReporter: ReporterEntry = {
  name: 'html',
  description: 'writes report.html: one self-contained page with the outcomes, charts of each profile\'s Watch series with the faults shaded, and the examples',
  create: () => ({
    name: 'html',
    description: htmlReporter.description,
    async runFinished(run) {
      const html = await renderHtmlReport(run);
      const file = path.join(run.runDir, 'report.html');
      fs.mkdirSync(run.runDir, { recursive: true });
      fs.writeFileSync(file, html);
      return [file];
    },
  }),
};
