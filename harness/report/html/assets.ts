// What report.html inlines: the charting library (uPlot, read from node_modules at render
// time, so the page needs no network) and the page's own script and style.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface HtmlAssets {
  /** uPlot's minified browser build (defines the global `uPlot`) */
  chartJs: string;
  chartCss: string;
  chartLibrary: { name: string; version: string; license: string };
  /** the report's own script (client.js) and style (report.css) */
  clientJs: string;
  css: string;
}

const here = path.dirname(fileURLToPath(import.meta.url));
let cached: HtmlAssets | undefined;

/** Text that is safe inside a <script> or <style> element. */
export function inlineSafe(text: string): string {
  return text.replace(/<\/(script|style)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

export function loadAssets(): HtmlAssets {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  let pkgFile: string;
  try {
    pkgFile = require.resolve('uplot/package.json');
  } catch {
    throw new Error('the html reporter needs the uplot package (npm install): its chart library is inlined from node_modules');
  }
  const dir = path.dirname(pkgFile);
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { name: string; version: string; license?: string };
  cached = {
    chartJs: fs.readFileSync(path.join(dir, 'dist', 'uPlot.iife.min.js'), 'utf8'),
    chartCss: fs.readFileSync(path.join(dir, 'dist', 'uPlot.min.css'), 'utf8'),
    chartLibrary: { name: 'uPlot', version: pkg.version, license: pkg.license ?? '?' },
    clientJs: fs.readFileSync(path.join(here, 'client.js'), 'utf8'),
    css: fs.readFileSync(path.join(here, 'report.css'), 'utf8'),
  };
  return cached;
}
