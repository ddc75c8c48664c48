// What the Elasticsearch suites share: indices made for a test and deleted after it, and every
// document of an index, read through a point in time (a search alone stops at 10 000).
import type { Client } from '@elastic/elasticsearch';
import { uniqueName } from '../env.js';

/** Index names unique to this run, remembered so that `deleteAll` removes them (by name: wildcards are refused). */
export function testIndices(client: Client) {
  const created: string[] = [];
  return {
    fresh(prefix: string): string {
      const index = uniqueName(prefix).toLowerCase();
      created.push(index);
      return index;
    },
    /** Indices a test makes by other names (daily indices). */
    track(...indices: string[]): void {
      created.push(...indices);
    },
    async deleteAll(): Promise<void> {
      if (created.length > 0) await client.indices.delete({ index: created, ignore_unavailable: true });
    },
  };
}

/** Every document of `index` (none if it does not exist), after a refresh. */
export async function allDocuments<D>(client: Client, index: string): Promise<{ id: string; source: D }[]> {
  await client.indices.refresh({ index, ignore_unavailable: true });
  if (!(await client.indices.exists({ index }))) return [];
  const out: { id: string; source: D }[] = [];
  const { id } = await client.openPointInTime({ index, keep_alive: '1m' });
  try {
    let after: (string | number)[] | undefined;
    for (;;) {
      const page = await client.search<D>({ pit: { id, keep_alive: '1m' }, size: 10_000, sort: ['_shard_doc'], ...(after ? { search_after: after } : {}) });
      for (const hit of page.hits.hits) out.push({ id: hit._id as string, source: hit._source as D });
      if (page.hits.hits.length < 10_000) break;
      after = page.hits.hits.at(-1)?.sort as (string | number)[];
    }
  } finally {
    await client.closePointInTime({ id });
  }
  return out;
}
