import { defineOperator } from '../contracts/operator.js';
import type { Operator } from '../contracts/operator.js';
import { operate } from '../contracts/operate.js';
import { ConfigurationError } from '../errors.js';
import type { Key, Keyed } from './keyBy.js';

interface Pane<V> {
  readonly values: readonly V[];
  readonly sinceFired: number;
}

/**
 * Keyed count window: emits a key's last `size` values every `slide` records
 * of that key (tumbling when `slide` equals `size`, the default). A window
 * fires only once it holds `size` values: a key with fewer records at the end
 * of the input never fires.
 */
export function countWindow<K extends Key, V>(size: number, slide: number = size): Operator<Keyed<K, V>, Keyed<K, readonly V[]>> {
  if (!Number.isInteger(size) || size < 1) throw new ConfigurationError(`countWindow size must be a whole number >= 1, got ${size}`);
  if (!Number.isInteger(slide) || slide < 1 || slide > size) throw new ConfigurationError(`countWindow slide must be a whole number from 1 to size (${size}), got ${slide}`);
  return defineOperator({ name: 'countWindow', guarantee: 'exactly-once', replay: 'deterministic' }, (input, context) => {
    const panes = context.state.keyed<K, Pane<V>>('panes');
    return operate<Keyed<K, V>, Keyed<K, readonly V[]>>(input, {
      record: ({ key, value }, out) => {
        const pane = panes.get(key);
        const values = [...(pane?.values ?? []), value].slice(-size);
        const sinceFired = (pane?.sinceFired ?? 0) + 1;
        if (values.length === size && sinceFired >= slide) {
          // Tumbling windows start empty again; sliding ones keep their tail.
          panes.set(key, { values: slide === size ? [] : values, sinceFired: 0 });
          out.next({ key, value: values });
        } else {
          panes.set(key, { values, sinceFired });
        }
      },
    });
  });
}
