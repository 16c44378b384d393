/** A problem with what the user asked for (exit code 2, nothing started or everything stopped). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A prerequisite is missing (Java, Go, Maven, Docker): says what and how to get it. */
export class PrerequisiteError extends Error {
  override name = 'PrerequisiteError';
}

/** The harness itself failed (an identity did not hold, a wait timed out, a process died). */
export class HarnessError extends Error {
  override name = 'HarnessError';
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
