/**
 * Counts records held by asynchronous stages and tells sources to pause above
 * the high-water mark and resume at the low one, so memory stays bounded
 * however much faster the source is than the sink.
 */
export class InFlightGauge {
  private count = 0;
  private paused = false;
  private resumeScheduled = false;

  constructor(
    private readonly highWaterMark: number,
    private readonly lowWaterMark: number,
    private readonly onPause: () => void,
    private readonly onResume: () => void,
  ) {}

  /** Records taken in (positive) or released (negative). */
  readonly add = (delta: number): void => {
    this.count += delta;
    if (!this.paused && this.count >= this.highWaterMark) {
      this.paused = true;
      this.onPause();
    } else if (this.paused && !this.resumeScheduled && this.count <= this.lowWaterMark) {
      // Resume later, not here: add() is called by a stage handing out queued records, and a source
      // emitting inside this call would put new records ahead of those still queued.
      this.resumeScheduled = true;
      queueMicrotask(() => {
        this.resumeScheduled = false;
        if (!this.paused || this.count > this.lowWaterMark) return;
        this.paused = false;
        this.onResume();
      });
    }
  };
}
