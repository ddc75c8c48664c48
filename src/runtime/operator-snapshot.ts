import type { Flow } from '../contracts/element.js';
import { operate } from '../contracts/operate.js';
import { CheckpointBarrier } from '../contracts/barrier.js';
import type { OperatorSnapshot, StateRegistry } from '../snapshot/state.js';

/**
 * Snapshot an operator's state each time a barrier leaves it. Operators
 * forward a barrier only after handling every record before it and before
 * handling any after it, so that moment is exactly the state barrier n
 * stands for, for synchronous and asynchronous operators alike.
 */
export function snapshotAtBarriers<T>(
  output: Flow<T>,
  state: StateRegistry,
  onSnapshot: (barrier: CheckpointBarrier, snapshot: OperatorSnapshot) => void,
): Flow<T> {
  return operate<T, T>(output, {
    record: (value, out) => out.next(value),
    marker: (marker, out) => {
      if (marker instanceof CheckpointBarrier) onSnapshot(marker, state.snapshot(marker.checkpointId));
      out.next(marker);
    },
  });
}
