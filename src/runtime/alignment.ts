import { Observable } from '../contracts/rxjs.js';
import type { Subscription } from 'rxjs';
import { Marker, Watermark } from '../contracts/element.js';
import type { Flow } from '../contracts/element.js';
import { CheckpointBarrier } from '../contracts/barrier.js';

const inputCompleted: unique symbol = Symbol('input completed');
type Held<T> = T | Marker | typeof inputCompleted;

/**
 * Merge flows into one with aligned barriers (Flink's aligned checkpoints):
 * once an input has delivered barrier n, its later elements are held back
 * until every still-open input has delivered n; then n is emitted once and the
 * held elements are replayed. Records before n from any input come out before
 * n, records after it after. Watermarks come out as the minimum over inputs.
 */
export function alignBarriers<T>(inputs: readonly Flow<T>[]): Flow<T> {
  return new Observable<T | Marker>((out) => {
    const held: Held<T>[][] = inputs.map(() => []);
    const blocked = inputs.map(() => false);
    const open = inputs.map(() => true);
    const watermarks = inputs.map(() => Number.NEGATIVE_INFINITY);
    let emittedWatermark = Number.NEGATIVE_INFINITY;
    // The barrier being aligned: some inputs delivered it, others not yet.
    let aligning: CheckpointBarrier | undefined;

    function releaseIfAligned(): void {
      if (!aligning || !open.every((isOpen, i) => !isOpen || blocked[i])) return;
      const barrier = aligning;
      aligning = undefined;
      out.next(barrier);
      blocked.fill(false);
      for (let i = 0; i < inputs.length; i++) {
        const pending = held[i]!;
        held[i] = [];
        for (const element of pending) deliver(i, element);
      }
    }

    function deliver(i: number, element: Held<T>): void {
      if (blocked[i]) {
        held[i]!.push(element);
      } else if (element === inputCompleted) {
        open[i] = false;
        if (open.every((isOpen) => !isOpen)) out.complete();
        else releaseIfAligned();
      } else if (!(element instanceof Marker)) {
        out.next(element);
      } else if (element instanceof CheckpointBarrier) {
        blocked[i] = true;
        aligning = element;
        releaseIfAligned();
      } else if (element instanceof Watermark) {
        watermarks[i] = element.timestamp;
        const min = Math.min(...watermarks.filter((_, j) => open[j]));
        if (min > emittedWatermark) {
          emittedWatermark = min;
          out.next(new Watermark(min));
        }
      }
    }

    const subscriptions: Subscription[] = inputs.map((input, i) =>
      input.subscribe({
        next: (element) => deliver(i, element),
        error: (error: unknown) => out.error(error),
        complete: () => deliver(i, inputCompleted),
      }),
    );
    return () => subscriptions.forEach((s) => s.unsubscribe());
  });
}
