/** A single checkpointed value of an operator (not per key). */
export interface ValueState<V> {
  value: V;
}

/**
 * Where an operator registers the state that checkpoints include. The runtime
 * hands one to each operator through its context, restored from the
 * checkpoint the job resumes from.
 */
export interface OperatorState {
  /** Per-key state, as a Map restored from the last checkpoint. Treat values as immutable: replace them on update. */
  keyed<K, V>(name: string): Map<K, V>;
  /** One value, restored from the last checkpoint or else `initial`. */
  value<V>(name: string, initial: V): ValueState<V>;
}
