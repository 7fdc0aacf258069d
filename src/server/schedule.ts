// Background work on a timer (purge, lifetime actions). A run that fails (the database away) is reported and the
// schedule goes on: the next run, once the database is back, catches up.

/**
 * Runs `task` every `intervalMs`, never two runs at once (a run that takes longer skips the next tick); returns a
 * function that stops it and waits for the run in progress, so that the store is not closed under it.
 */
export function every(
  intervalMs: number,
  task: () => Promise<unknown>,
  onError: (err: unknown) => void,
): () => Promise<void> {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= task().then(
      () => {
        running = undefined;
      },
      (err: unknown) => {
        running = undefined;
        onError(err);
      },
    );
  }, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
