// json: result.json in the run directory, and each profile's result.json in its own directory.
import fs from 'node:fs';
import path from 'node:path';
import type { ReporterEntry } from '../reporter.ts';
import type { ProfileResult } from '../types.ts';

function writeJson(file: string, value: unknown): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(value, null, 2));
  return file;
}

const writeProfile = (p: ProfileResult) => writeJson(path.join(p.dir, 'result.json'), p);

export const jsonReporter: ReporterEntry = {
  name: 'json',
  description: 'writes result.json (the whole result, which `kafka-chaos report` reads) and profiles/<name>/result.json',
  create: () => ({
    name: 'json',
    description: jsonReporter.description,
    profileFinished(profile) {
      return [writeProfile(profile)];
    },
    runFinished(run) {
      return [writeJson(path.join(run.runDir, 'result.json'), run), ...run.profiles.map(writeProfile)];
    },
  }),
};
