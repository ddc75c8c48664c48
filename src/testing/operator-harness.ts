import type { Flow } from '../contracts/element.js';
import type { Guarantee, Replay } from '../contracts/guarantee.js';
import { operatorInfo } from '../contracts/operator.js';
import type { Operator } from '../contracts/operator.js';
import { snapshotAtBarriers } from '../runtime/operator-snapshot.js';
import { StateRegistry } from '../snapshot/state.js';
import type { OperatorSnapshot } from '../snapshot/state.js';

/** What {@link applyOperator} returns. */
export interface AppliedOperator<Out> {
  /** The operator's output. */
  readonly output: Flow<Out>;
  /** The operator's state at each barrier that left it, by checkpoint id, filled in as the output is consumed. */
  readonly snapshots: Map<number, OperatorSnapshot>;
  /** Records the operator reported in flight right now. */
  inFlight(): number;
}

/**
 * Wire an operator outside a job, the way the runtime does, optionally
 * restoring its state from a snapshot: for testing operators, with marbles or
 * otherwise, including snapshot and restore.
 */
export function applyOperator<In, Out>(
  operator: Operator<In, Out, Guarantee, Replay>,
  input: Flow<In>,
  restored?: OperatorSnapshot,
): AppliedOperator<Out> {
  const state = new StateRegistry(restored);
  const snapshots = new Map<number, OperatorSnapshot>();
  let inFlight = 0;
  const raw = operator(input, { id: `0-${operator[operatorInfo].name}`, state, inFlight: (delta) => (inFlight += delta) });
  return {
    output: snapshotAtBarriers(raw, state, (barrier, snapshot) => snapshots.set(barrier.checkpointId, snapshot)),
    snapshots,
    inFlight: () => inFlight,
  };
}
