// What a backend can do, checked against what an experiment's faults need before
// anything starts.
import { CAPABILITIES, type ClusterBackend } from '../cluster/backend.ts';
import { faultNeeds } from '../faults/catalogue.ts';
import { UsageError } from '../util/errors.ts';
import type { Experiment } from './schema.ts';

/** Where a fault's action is written (best effort: the first `action: <name>` line). */
function locateFault(exp: Experiment, action: string): { line: number; column: number } {
  const lines = exp.source.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const c = lines[i]!.search(new RegExp(`action:\\s*['"]?${action.replace(/[.]/g, '\\.')}['"]?\\s*(,|}|$)`));
    if (c >= 0) return { line: i + 1, column: c + 1 };
  }
  return { line: 0, column: 0 };
}

/** A fault that needs a capability the backend lacks is refused before anything starts. */
export function checkCapabilities(exp: Experiment, backend: ClusterBackend): void {
  const entries = [
    ...exp.faults.list.map((f, i) => ({ f, key: `faults${exp.faults.form === 'list' ? '' : '.list'}[${i}].action` })),
    ...(exp.faults.random?.mix ?? []).map((f, i) => ({ f, key: `faults.random.mix[${i}].action` })),
  ];
  for (const { f, key } of entries) {
    const missing = faultNeeds(f).filter((c) => !backend.capabilities.has(c));
    if (missing.length > 0) {
      const { line, column } = locateFault(exp, f.action);
      throw new UsageError(
        `${exp.file}:${line}:${column}: ${key}: ${f.action} needs ${missing.map((c) => `${c} (${CAPABILITIES[c]})`).join(' and ')}, which the ${backend.name} backend does not have`,
      );
    }
  }
}
