import { Observable } from '../contracts/rxjs.js';
import type { Flow } from '../contracts/element.js';
import type { Guarantee, Replay } from '../contracts/guarantee.js';
import { defineOperator, operatorInfo } from '../contracts/operator.js';
import type { Operator, OperatorContext } from '../contracts/operator.js';
import { operate } from '../contracts/operate.js';
import type { Source } from '../contracts/source.js';
import type { KeyedListState, KeyedMapState } from '../contracts/state.js';
import { StateRegistry } from '../snapshot/state.js';
import type { KafkaRecord } from '../connectors/kafka/options.js';
import type { Keyed } from '../operators/keyBy.js';
import type { Wiring } from '../runtime/wiring.js';
import { operatorTaskId } from '../runtime/wiring.js';
import { ConfigurationError, OnceflowError } from '../errors.js';

/** How {@link keyByMessageKey} turns a message key's bytes into the record's key. */
export type MessageKeyEncoding = 'utf8' | 'base64' | 'hex';

/**
 * A record's Kafka message key cannot be its key: it has none (the producer's
 * partitioner then spread such records over partitions, so no partition holds
 * all of "its" records), or its bytes are not the text the encoding reads.
 */
export class KafkaRecordKeyError extends OnceflowError {
  override readonly name = 'KafkaRecordKeyError';
  constructor(message: string) {
    super(message, { retriable: false });
  }
}

/**
 * A keyed operator of a scaled-out job whose key nothing proves to follow the
 * Kafka partitioning: each process would keep that key's state only for the
 * partitions it owns, and every per-key result would be wrong. The message
 * names the operator and the fix.
 */
export class UnpartitionedKeyError extends OnceflowError {
  override readonly name = 'UnpartitionedKeyError';
  constructor(
    message: string,
    /** The operator's id in the job (`2-reduce`, or its `uid`). */
    readonly operatorId: string,
  ) {
    super(message, { retriable: false });
  }
}

/**
 * Key each record by its Kafka message key, the one key that is known to
 * follow the partitioning: the producer's partitioner (kafkajs's and Java's
 * default murmur2, librdkafka's crc32) puts every record of a key in one
 * partition, so one partition's job sees all of a key's records and keyed
 * state (`count`, `reduce`, windows, `dedupe`) after it is whole in a
 * scaled-out job. The key is the message key's bytes as UTF-8 text (or
 * `'base64'`/`'hex'` for binary keys). A record without a key, or whose key
 * is not valid UTF-8 under the default, fails the job with a
 * {@link KafkaRecordKeyError} naming it. It stays true only while the topic
 * keeps its number of partitions and its producers partition by key.
 */
export function keyByMessageKey<T>(encoding: MessageKeyEncoding = 'utf8'): Operator<KafkaRecord<T>, Keyed<string, KafkaRecord<T>>> {
  if (encoding !== 'utf8' && encoding !== 'base64' && encoding !== 'hex') throw new ConfigurationError(`keyByMessageKey encoding must be 'utf8', 'base64' or 'hex', got ${JSON.stringify(encoding)}`);
  return defineOperator({ name: 'keyByMessageKey', guarantee: 'exactly-once', replay: 'deterministic', keys: 'partitioned' }, (input) =>
    operate<KafkaRecord<T>, Keyed<string, KafkaRecord<T>>>(input, {
      record: (record, out) => {
        const bytes = record.key;
        if (bytes === null) {
          throw new KafkaRecordKeyError(
            `the record at offset ${record.offset} of ${record.topic}-${record.partition} has no message key, so keyByMessageKey cannot key it: keyless records are spread over partitions, so no process sees all of them. Give its producer a key, or filter such records out before keyByMessageKey`,
          );
        }
        const key = bytes.toString(encoding);
        // U+FFFD stands for bytes that are not UTF-8: two different keys could become one.
        if (encoding === 'utf8' && key.includes('\uFFFD') && !Buffer.from(key, 'utf8').equals(bytes)) {
          throw new KafkaRecordKeyError(
            `the message key of the record at offset ${record.offset} of ${record.topic}-${record.partition} is not UTF-8 text (0x${bytes.toString('hex')}): use keyByMessageKey('base64') or keyByMessageKey('hex') for binary keys`,
          );
        }
        out.next({ key, value: record });
      },
    }),
  );
}

/** Records whether an operator registers state per key when it is wired; the state itself is a real, empty one. */
class StateProbe extends StateRegistry {
  keyedState = false;
  override keyed<K, V>(name: string): Map<K, V> {
    this.keyedState = true;
    return super.keyed(name);
  }
  override list<K, V>(name: string): KeyedListState<K, V> {
    this.keyedState = true;
    return super.list(name);
  }
  override map<K, UK, UV>(name: string): KeyedMapState<K, UK, UV> {
    this.keyedState = true;
    return super.map(name);
  }
}

/** What a flow's records are keyed by, as far as the check can tell: proved to follow the partitioning, or where the key came from. */
interface Keying {
  readonly partitioned: boolean;
  readonly from: string;
}

/**
 * Check, before a scaled-out job runs, that every operator keeping state per
 * key gets records keyed by something that follows the Kafka partitioning
 * ({@link keyByMessageKey}, with only key-keeping operators between), and
 * that the job reads the partition source it was given and nothing else.
 * The plan is wired dry: operators are called to see what state they
 * register, and nothing is subscribed to.
 */
export function checkPartitioning(jobId: string, baseId: string, plan: (wiring: Wiring) => Flow<unknown>, source: Source<unknown, Guarantee, Replay>): void {
  const keying = new WeakMap<object, Keying>();
  let operators = 0;
  const tag = <T>(flow: Flow<T>, key: Keying): Flow<T> => {
    keying.set(flow, key);
    return flow;
  };
  const wiring: Wiring = {
    source<T>(used: Source<T, Guarantee, Replay>): Flow<T> {
      if ((used as unknown) !== source) {
        throw new ConfigurationError(
          `scaled-out job '${baseId}': the job built for '${jobId}' reads source '${used.name}', but a partition's job must read only the partition source it is given (input.source): each process owns only its partitions`,
        );
      }
      return tag(new Observable<never>() as Flow<T>, { partitioned: false, from: 'the source (whose records are not keyed)' });
    },
    operator<In, Out>(operator: Operator<In, Out, Guarantee, Replay>, input: Flow<In>): Flow<Out> {
      const info = operator[operatorInfo];
      const id = operatorTaskId(operators++, info);
      const probe = new StateProbe(undefined);
      const context: OperatorContext = { id, state: probe, inFlight: () => {} };
      const output = operator(input, context);
      const before = keying.get(input) ?? { partitioned: false, from: 'an unknown operator' };
      if (probe.keyedState && !before.partitioned) {
        throw new UnpartitionedKeyError(
          `scaled-out job '${baseId}': operator '${id}' keeps state per key, but its key comes from ${before.from}, which is not proved to follow the Kafka partitioning: ` +
            `each process would see a key only in the partitions it owns, and its results would be wrong. Key the records with keyByMessageKey() (their Kafka message key); ` +
            `to key by anything else, write the stream to a topic keyed by that key with kafkaRepartition(...).sink and use keyByMessageKey() in the scaled-out job that reads that topic (kafkaRepartition(...).job(...))`,
          id,
        );
      }
      const after: Keying = info.keys === 'partitioned' ? { partitioned: true, from: `'${id}'` } : info.keys === 'kept' ? before : { partitioned: false, from: `'${id}'` };
      // An operator may hand its input through unchanged (uid() wraps another): the same flow keeps the input's keying.
      return output === (input as unknown) ? output : tag(output, after);
    },
    union<T>(inputs: Flow<T>[]): Flow<T> {
      const all = inputs.map((flow) => keying.get(flow) ?? { partitioned: false, from: 'an unknown operator' });
      const unproved = all.find((k) => !k.partitioned);
      return tag(new Observable<never>() as Flow<T>, unproved ?? { partitioned: true, from: 'union' });
    },
  };
  plan(wiring);
}
