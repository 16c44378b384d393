import fs from 'node:fs';
import { sleep } from '../util/time.ts';

/**
 * A directory lock around provisioning, so that two runs (or two test files) filling
 * the same cache do not step on each other. A lock older than `staleMs` is taken over.
 */
export async function withLock<T>(lockDir: string, fn: () => Promise<T>, staleMs = 15 * 60_000): Promise<T> {
  for (;;) {
    try {
      fs.mkdirSync(lockDir, { recursive: false });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      try {
        const age = Date.now() - fs.statSync(lockDir).mtimeMs;
        if (age > staleMs) fs.rmSync(lockDir, { recursive: true, force: true });
      } catch {
        // removed meanwhile
      }
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}
