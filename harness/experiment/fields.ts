// Field schemas shared by the experiment schema and the fault catalogue.
import { z } from 'zod';
import { durationError, formatDuration, parseDuration } from './duration.ts';

/** A short rendering of a value for messages: strings quoted, YAML words for the rest. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null (empty value)';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

/** A duration field: `10s` -> 10000. `min` in ms, inclusive. */
export function duration(min = 0) {
  return z
    .string({ error: (iss) => (iss.input === undefined ? undefined : durationMessage(iss.input)) })
    .transform((s, ctx) => {
      let ms: number;
      try {
        ms = parseDuration(s);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message, input: s });
        return z.NEVER;
      }
      if (ms < min) {
        ctx.addIssue({ code: 'custom', message: `must be at least ${formatDuration(min)}, got ${s}`, input: s });
        return z.NEVER;
      }
      return ms;
    });
}
function durationMessage(input: unknown): string {
  if (typeof input === 'string') return durationError(input).message;
  return `expected a duration like 500ms, 10s or 2m, got ${describeValue(input)}`;
}

