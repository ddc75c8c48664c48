import { defineOperator } from '../contracts/operator.js';
import type { Operator } from '../contracts/operator.js';
import { operate } from '../contracts/operate.js';
import { ConfigurationError } from '../errors.js';
import type { Key, Keyed } from './keyBy.js';

/**
 * Keyed count window: emits a key's last `size` values every `slide` records
 * of that key (tumbling when `slide` equals `size`, the default). A window
 * fires only once it holds `size` values: a key with fewer records at the end
 * of the input never fires.
 */
export function countWindow<K extends Key, V>(size: number, slide: number = size): Operator<Keyed<K, V>, Keyed<K, readonly V[]>> {
  if (!Number.isInteger(size) || size < 1) throw new ConfigurationError(`countWindow size must be a whole number >= 1, got ${size}`);
  if (!Number.isInteger(slide) || slide < 1 || slide > size) throw new ConfigurationError(`countWindow slide must be a whole number from 1 to size (${size}), got ${slide}`);
  return defineOperator({ name: 'countWindow', guarantee: 'exactly-once', replay: 'deterministic', keys: 'kept' }, (input, context) => {
    const values = context.state.list<K, V>('values');
    const sinceFired = context.state.keyed<K, number>('sinceFired');
    return operate<Keyed<K, V>, Keyed<K, readonly V[]>>(input, {
      record: ({ key, value }, out) => {
        values.append(key, value);
        let held = values.get(key);
        // A sliding window keeps at most twice its size before dropping the oldest, so trimming costs O(1) a record on average.
        if (held.length >= 2 * size) values.set(key, (held = held.slice(-size)));
        const count = (sinceFired.get(key) ?? 0) + 1;
        if (held.length < size || count < slide) {
          sinceFired.set(key, count);
          return;
        }
        sinceFired.set(key, 0);
        if (slide === size) {
          // Tumbling: the list leaves the state whole, so it can be emitted as it is.
          values.delete(key);
          out.next({ key, value: held });
        } else {
          out.next({ key, value: held.slice(-size) });
        }
      },
    });
  });
}
