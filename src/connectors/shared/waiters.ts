/**
 * Promises that settle once a condition over a writer's state holds: a write
 * held back while too much is outstanding, a flush waiting for every confirm or
 * response. The writer calls {@link Waiters.notify} whenever that state
 * changes, and every waiting condition is looked at again.
 */
export class Waiters {
  private readonly checks = new Set<() => void>();

  /**
   * Settles once `done()` holds; rejects with what `failed()` returns, which
   * is asked first, so a writer that failed or closed meanwhile does not wait on.
   */
  until(done: () => boolean, failed: () => Error | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const failure = failed();
        if (failure) reject(failure);
        else if (!done()) return;
        else resolve();
        this.checks.delete(check);
      };
      this.checks.add(check);
      check();
    });
  }

  /** The state changed: look at every waiting condition again. */
  notify(): void {
    for (const check of [...this.checks]) check();
  }
}
