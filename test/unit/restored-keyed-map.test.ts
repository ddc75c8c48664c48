import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { StateRegistry } from 'onceflow';
import { asKeyedMap, isKeyedStateDelta, isKeyedStateEntries, keyedEntriesOf } from '../../src/snapshot/keyed-delta.js';
import { lazyRestoreAtKeys } from '../../src/snapshot/restored-keyed-map.js';

const ownSize = (map: Map<unknown, unknown>): number => Object.getOwnPropertyDescriptor(Map.prototype, 'size')!.get!.call(map) as number;

/** Columns as the default codec decodes them, for `n` keys `0..n-1` counting `i * 3`. */
function intColumns(n: number) {
  const keys = new Int32Array(n);
  const values = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    keys[i] = i;
    values[i] = i * 3;
  }
  return { onceflowEntries: 1 as const, keys, values };
}

/** Every turn until the columns have moved into the Map. */
async function settled(map: Map<unknown, unknown>): Promise<void> {
  for (let turns = 0; Object.hasOwn(map, 'get'); turns++) {
    if (turns > 1000) throw new Error('the restored map never settled');
    await nextTurn();
  }
}

test('a large keyed state is restored without building its Map first: the columns answer until they have moved into it', async () => {
  const n = 100_000;
  const map = asKeyedMap(intColumns(n));
  // Nothing inserted yet: the restore did not pay 100k Map.set calls before the first record.
  assert.is(ownSize(map), 0);
  assert.is(map.size, n);
  assert.is(map.get(12_345), 37_035);
  assert.ok(map.has(n - 1));
  assert.not.ok(map.has(n));
  assert.is(map.get(n), undefined);
  await settled(map);
  // A plain Map again: its own methods, every key in it.
  assert.is(map.get, Map.prototype.get);
  assert.is(ownSize(map), n);
  assert.is(map.get(12_345), 37_035);
});

test('a restoring Map behaves as a Map built from its columns, through sets, deletes, clears and the background move', async () => {
  // More keys than move in one turn. Keys of every kind the index hashes, including ones Map equates (NaN, -0).
  const keys: unknown[] = [];
  for (let i = 0; i < 40_000; i++) keys.push(i % 3 === 0 ? `k${i}` : i % 3 === 1 ? i : i + 0.5);
  keys.push(Number.NaN, true, false, 2 ** 40, -7);
  const values: unknown[] = keys.map((_, i) => ({ i }));
  const restored = asKeyedMap({ onceflowEntries: 1, keys, values });
  const model = new Map<unknown, unknown>(keys.map((key, i) => [key, values[i]]));
  assert.is(ownSize(restored), 0, 'restored lazily');
  let seed = 7;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const probe = (): unknown => (random(10) === 0 ? `new${random(50)}` : random(10) === 1 ? -0 : keys[random(keys.length)]);
  for (let step = 0; step < 20_000; step++) {
    const key = probe();
    const op = random(6);
    if (op === 0) assert.is(restored.set(key, step), restored);
    if (op === 0) model.set(key, step);
    if (op === 1) assert.is(restored.delete(key), model.delete(key), `delete(${String(key)}) at step ${step}`);
    if (op === 2) restored.set(key, undefined), model.set(key, undefined);
    assert.is(restored.has(key), model.has(key), `has(${String(key)}) at step ${step}`);
    assert.is(restored.get(key), model.get(key), `get(${String(key)}) at step ${step}`);
    assert.is(restored.size, model.size);
    // From step 10k a turn now and then: part of the keys, then all, have moved into the Map in the background.
    if (step >= 10_000 && step % 2000 === 0) await nextTurn();
  }
  const sorted = (entries: Iterable<[unknown, unknown]>) => [...entries].sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  assert.equal(sorted(restored), sorted(model));
  assert.equal(sorted(restored.entries()), sorted(model.entries()));
  const forEach: [unknown, unknown][] = [];
  restored.forEach((value, key, map) => {
    assert.is(map, restored);
    forEach.push([key, value]);
  });
  assert.equal(sorted(forEach), sorted(model));
  assert.equal(new Set(restored.keys()), new Set(model.keys()));
  const snapshot = keyedEntriesOf(restored);
  assert.equal(sorted(Array.from(snapshot.keys, (key, i) => [key, snapshot.values[i]])), sorted(model));
  restored.clear();
  assert.is(restored.size, 0);
  assert.not.ok(restored.has(keys[0]));
  assert.is(restored.get, Map.prototype.get, 'a cleared Map has nothing left to restore');
});

test('a full snapshot of a restored state shares its columns while no key has left them, and copies what remains after', () => {
  const columns = intColumns(lazyRestoreAtKeys * 2);
  const map = asKeyedMap(columns);
  const untouched = keyedEntriesOf(map);
  assert.is(untouched.keys, columns.keys);
  assert.is(untouched.values, columns.values);
  map.set(5, -1);
  map.delete(6);
  const changed = keyedEntriesOf(map);
  assert.is(changed.keys.length, columns.keys.length - 1);
  assert.is(changed.keys[0], 5);
  assert.is(changed.values[0], -1);
  assert.not.ok(Array.prototype.includes.call(changed.keys, 6));
  // The decoded columns are never written: an earlier snapshot sharing them keeps the state at its barrier.
  assert.is(columns.values[5], 15);
});

test('small states and keys the index cannot hash are restored into a Map at once', () => {
  const small = asKeyedMap(intColumns(lazyRestoreAtKeys - 1));
  assert.is(ownSize(small), lazyRestoreAtKeys - 1);
  const objectKeys = Array.from({ length: lazyRestoreAtKeys }, (_, i) => (i === 10 ? { id: i } : i));
  const withObject = asKeyedMap({ onceflowEntries: 1, keys: objectKeys, values: objectKeys });
  assert.is(ownSize(withObject), lazyRestoreAtKeys);
  assert.is(withObject.get, Map.prototype.get);
});

test('a key twice in restored columns takes its later value, as a Map built from them would', () => {
  const keys = Array.from({ length: lazyRestoreAtKeys }, (_, i) => i);
  const values = keys.map((i) => i * 2);
  keys.push(100);
  values.push(-100);
  const map = asKeyedMap({ onceflowEntries: 1, keys, values });
  assert.is(map.get(100), -100);
  assert.is(map.size, lazyRestoreAtKeys);
  assert.is([...map.keys()].filter((key) => key === 100).length, 1);
});

test('snapshots of a restored state are full while it restores, hold every change, and are deltas again once it has settled', async () => {
  const n = 50_000;
  const parents = new Map([[11, 10], [12, 11], [13, 12], [14, 13]]);
  const registry = new StateRegistry({ counts: intColumns(n) }, { parentOf: (id) => parents.get(id) });
  const counts = registry.keyed<number, number>('counts');
  assert.is(ownSize(counts), 0);
  // The first snapshot after a restore is full, and it is the restored columns, not a copy of them.
  const first = registry.snapshot(10).counts;
  assert.ok(isKeyedStateEntries(first));
  assert.is(first.keys.length, n);
  registry.stored(10);
  counts.set(7, 1);
  counts.delete(8);
  // The Map walks its own entries before the columns: every key looks out of place, so the snapshot is full.
  const restoring = registry.snapshot(11).counts;
  assert.ok(isKeyedStateEntries(restoring));
  assert.equal(asKeyedMap(restoring), new Map([...counts]));
  assert.is(asKeyedMap(restoring).get(7), 1);
  assert.not.ok(asKeyedMap(restoring).has(8));
  registry.stored(11);
  await settled(counts);
  registry.snapshot(12);
  registry.stored(12);
  counts.set(9, 2);
  const after = registry.snapshot(13).counts;
  assert.ok(isKeyedStateDelta(after));
  assert.equal(after.changed, { onceflowEntries: 1, keys: [9], values: [2] });
  assert.is(counts.size, n - 1);
  assert.is(counts.get(10), 30);
});

test.run();
