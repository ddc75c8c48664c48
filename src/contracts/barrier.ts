import { Marker } from './element.js';

/**
 * Checkpoint barrier `n`: every record before it belongs to checkpoint `n`,
 * every record after it to a later one. Sources inject it after recording
 * their position; operators snapshot their state when it passes; sinks
 * pre-commit when it arrives.
 */
export class CheckpointBarrier extends Marker {
  readonly kind = 'barrier' as const;
  constructor(
    /** Increasing id of the checkpoint this barrier belongs to. */
    readonly checkpointId: number,
    /** Wall-clock time (ms) at which the coordinator triggered the checkpoint. */
    readonly timestamp: number,
    /**
     * The last barrier of a job that is ending (sources exhausted, or drained):
     * operators holding partial results, such as open time windows, emit them
     * before forwarding it.
     */
    readonly final = false,
  ) {
    super();
  }
}
