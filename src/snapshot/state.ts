import type { OperatorState, ValueState } from '../contracts/state.js';
import { ConfigurationError } from '../errors.js';


/** What one operator's state looks like inside a checkpoint. */
export type OperatorSnapshot = Record<string, unknown>;

type Entry =
  | { readonly type: 'keyed'; readonly map: Map<unknown, unknown> }
  | { readonly type: 'value'; readonly cell: ValueState<unknown> };

/**
 * The state an operator registers so that checkpoints include it.
 *
 * Snapshots copy the containers (the map, the cell), not the values in them:
 * treat stored values as immutable and replace them on update, so taking a
 * snapshot of 100k keys stays a cheap copy rather than a deep clone.
 */
export class StateRegistry implements OperatorState {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly restored: OperatorSnapshot | undefined) {}

  /** Per-key state, as a Map restored from the last checkpoint. */
  keyed<K, V>(name: string): Map<K, V> {
    this.claim(name);
    const saved = this.restored?.[name];
    const map = new Map<K, V>(Array.isArray(saved) ? (saved as [K, V][]) : []);
    this.entries.set(name, { type: 'keyed', map: map as Map<unknown, unknown> });
    return map;
  }

  /** One value, restored from the last checkpoint or else `initial`. */
  value<V>(name: string, initial: V): ValueState<V> {
    this.claim(name);
    const cell: ValueState<V> = { value: this.restored && name in this.restored ? (this.restored[name] as V) : initial };
    this.entries.set(name, { type: 'value', cell: cell as ValueState<unknown> });
    return cell;
  }

  /** Whether the operator registered any state (and so takes part in checkpoints). */
  get isEmpty(): boolean {
    return this.entries.size === 0;
  }

  /** A copy of every registered state, safe to keep while the operator goes on. */
  snapshot(): OperatorSnapshot {
    const out: OperatorSnapshot = {};
    for (const [name, entry] of this.entries) {
      out[name] = entry.type === 'keyed' ? Array.from(entry.map) : entry.cell.value;
    }
    return out;
  }

  private claim(name: string): void {
    if (this.entries.has(name)) throw new ConfigurationError(`state '${name}' is registered twice by one operator`);
  }
}
