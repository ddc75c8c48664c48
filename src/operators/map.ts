import { defineOperator } from '../contracts/operator.js';
import type { Operator } from '../contracts/operator.js';
import { operate } from '../contracts/operate.js';

/** Transform each record with `project`, which must be deterministic and keep no state of its own. */
export function map<In, Out>(project: (value: In) => Out): Operator<In, Out> {
  return defineOperator({ name: 'map', guarantee: 'exactly-once', replay: 'deterministic' }, (input) =>
    operate<In, Out>(input, { record: (value, out) => out.next(project(value)) }),
  );
}
