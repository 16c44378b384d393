// The example nightly workflow: valid YAML, and the command it runs uses only flags and
// reporters the CLI has (so a renamed flag breaks this test, not somebody's night).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { REPORTERS } from '../../harness/report/reporter.ts';
import { REPO, runCli } from '../support/cli.ts';

describe('examples/ci/nightly.yml', () => {
  it('runs kafka-chaos with flags and reporters the CLI knows, uploads the reports and cleans up', async () => {
    const wf = YAML.parse(fs.readFileSync(path.join(REPO, 'examples', 'ci', 'nightly.yml'), 'utf8')) as { jobs: { chaos: { steps: Array<{ run?: string; uses?: string; with?: Record<string, unknown> }> } } };
    const steps = wf.jobs.chaos.steps;
    const run = steps.map((s) => s.run ?? '').find((r) => r.includes('npx kafka-chaos run'))!;
    expect(run).toBeDefined();
    const command = run.slice(run.indexOf('npx kafka-chaos run')).replace(/\\\n\s*/g, ' ').split('\n')[0]!;
    const flags = [...command.matchAll(/ (--[a-z-]+)/g)].map((m) => m[1]!);
    expect(flags).toEqual(expect.arrayContaining(['--seed', '--reporter']));
    const help = (await runCli(['run', '--help'])).stdout;
    for (const f of flags) expect(help, f).toContain(f);
    const reporters = command.split('--reporter ')[1]!.split(' --')[0]!.trim().split(/\s+/);
    for (const r of reporters) expect(Object.keys(REPORTERS)).toContain(r);
    expect(steps.some((s) => s.uses?.startsWith('actions/upload-artifact') && s.with?.path === 'reports/')).toBe(true);
    expect(steps.at(-1)!.run).toContain('kafka-chaos clean');
  });
});
