import { defineOperator } from '../contracts/operator.js';
import type { Operator } from '../contracts/operator.js';
import { mapStage, stateless } from '../contracts/operate.js';

/** Transform each record with `project`, which must be deterministic and keep no state of its own. */
export function map<In, Out>(project: (value: In) => Out): Operator<In, Out> {
  return defineOperator({ name: 'map', guarantee: 'exactly-once', replay: 'deterministic' }, (input) =>
    stateless<In, Out>(input, mapStage(project)),
  );
}
