/**
 * What a checkpoint stores for keyed state when it builds on an earlier one
 * (its `parent`): the keys changed since the parent, with their values, and
 * the keys removed. As Flink's changelog state backend (FLIP-158), a
 * checkpoint then costs what changed, not what exists.
 */
export interface KeyedStateDelta {
  readonly onceflowDelta: 1;
  /** Changed keys and their values at the barrier: a Map, or `[key, value]` pairs once through JSON. */
  readonly changed: ReadonlyMap<unknown, unknown> | readonly (readonly [unknown, unknown])[];
  readonly removed: readonly unknown[];
}

/** Whether a stored state value is a {@link KeyedStateDelta}. */
export function isKeyedStateDelta(value: unknown): value is KeyedStateDelta {
  return typeof value === 'object' && value !== null && (value as { onceflowDelta?: unknown }).onceflowDelta === 1;
}

/** The keyed state a full snapshot or a merged chain holds, as a Map (JSON gives pairs back). */
export function asKeyedMap(value: unknown): Map<unknown, unknown> {
  if (value instanceof Map) return value;
  return new Map(Array.isArray(value) ? (value as [unknown, unknown][]) : []);
}
