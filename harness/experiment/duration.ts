/**
 * Durations in experiment files: `500ms`, `10s`, `1.5s`, `2m`, `1h`, and compounds such as
 * `1m30s` or `1h2m3s500ms` (units in decreasing order, each at most once). Values are
 * milliseconds. A bare number is rejected on purpose: `timeout: 30` is ambiguous.
 */

const UNIT_MS = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;
type Unit = keyof typeof UNIT_MS;
/** Units from largest to smallest; a compound must follow this order. */
const UNIT_ORDER: readonly Unit[] = ['h', 'm', 's', 'ms'];

/** One `<number><unit>` component; `ms` is tried before `m`. */
const COMPONENT = /(\d+)(?:\.(\d+))?(ms|h|m|s)/y;

export function durationError(input: string): Error {
  return new Error(`expected a duration like 500ms, 10s or 2m, got ${JSON.stringify(input)}`);
}

/** Parses a duration such as `10s`, `1.5s` or `1m30s` into milliseconds; throws on anything else. */
export function parseDuration(s: string): number {
  if (typeof s !== 'string' || s.length === 0) throw durationError(String(s));
  let total = 0;
  let pos = 0;
  let lastUnit = -1;
  while (pos < s.length) {
    COMPONENT.lastIndex = pos;
    const m = COMPONENT.exec(s);
    if (m === null) throw durationError(s);
    const [, whole = '', fraction = '', unit = ''] = m;
    const unitIndex = UNIT_ORDER.indexOf(unit as Unit);
    if (unitIndex <= lastUnit) throw durationError(s);
    lastUnit = unitIndex;
    const factor = UNIT_MS[unit as Unit];
    // integer arithmetic first, one division last: `1.1s` is exactly 1100, not 1100.0000000000002
    const value = Number(whole) * factor + (fraction === '' ? 0 : (Number(fraction) * factor) / 10 ** fraction.length);
    total += value;
    pos = COMPONENT.lastIndex;
  }
  if (!Number.isFinite(total)) throw durationError(s);
  return total;
}

/** Formats milliseconds the way `parseDuration` reads them: `0ms`, `500ms`, `1m30s`, `1h0m5s` is written `1h5s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`cannot format ${ms} as a duration`);
  let rest = ms;
  let out = '';
  for (const unit of UNIT_ORDER) {
    const factor = UNIT_MS[unit];
    if (unit === 'ms') {
      const r = Math.round(rest * 1000) / 1000;
      if (r > 0 || out === '') out += `${r}ms`;
    } else {
      const n = Math.floor(rest / factor);
      if (n > 0) out += `${n}${unit}`;
      rest -= n * factor;
    }
  }
  return out;
}
