// Entry of the ledger reader thread (read-run.ts). A worker thread does not inherit the
// TypeScript loader of its process (`--import tsx`, bin/kafka-chaos.js's register() or a
// test runner's transform), so when the .ts module cannot be loaded as is, it registers
// tsx for this thread and loads it again (under another URL: a failed import is cached).
try {
  await import('./read-worker.ts');
} catch (err) {
  if (err?.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw err;
  const { register } = await import('tsx/esm/api');
  register();
  await import('./read-worker.ts?tsx');
}
