export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason ?? new Error('aborted'));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason ?? new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Polls `check` until it returns a value (not undefined) or the deadline passes; then
 * throws an error built by `describeFailure`, which should say what was waited for
 * and what was last seen.
 */
export async function waitFor<T>(opts: {
  check: () => Promise<T | undefined>;
  timeoutMs: number;
  intervalMs?: number;
  signal?: AbortSignal;
  describeFailure: (lastError: unknown) => string;
}): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await opts.check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) throw new Error(opts.describeFailure(lastError));
    await sleep(opts.intervalMs ?? 250, opts.signal);
  }
}

/** UTC timestamp for directory names: 20261121T101500Z */
export function utcStamp(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}
