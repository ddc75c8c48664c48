import { ConfigurationError } from '../../errors.js';

/** Chooses the bucket (a subdirectory of the sink's directory, `''` for the directory itself) of each record. */
export interface BucketAssigner<T> {
  /** The bucket of `record`, written at `now` (ms since the epoch). */
  bucketFor(record: T, now: number): string;
}

/** Options of {@link dateTimeBuckets}. */
export interface DateTimeBucketsOptions {
  /** How long one bucket lasts. Default `'hour'`. */
  readonly granularity?: 'minute' | 'hour' | 'day';
}

/**
 * Buckets by processing time in UTC, like Flink's DateTimeBucketAssigner:
 * `2026-11-24--05` for the hour, `2026-11-24` for the day, `2026-11-24--05-17` for the minute.
 */
export function dateTimeBuckets(options: DateTimeBucketsOptions = {}): BucketAssigner<unknown> {
  const granularity = options.granularity ?? 'hour';
  const length = { day: 10, hour: 13, minute: 16 }[granularity];
  if (length === undefined) throw new ConfigurationError(`dateTimeBuckets granularity must be 'minute', 'hour' or 'day', got ${String(granularity)}`);
  return {
    // "2026-11-24T05:17:..." -> "2026-11-24--05-17"
    bucketFor: (_record, now) => new Date(now).toISOString().slice(0, length).replace('T', '--').replace(':', '-'),
  };
}

/** Buckets by a key of the record (a customer, a topic); the key may contain `/` for nested directories. */
export function keyBuckets<T>(key: (record: T) => string): BucketAssigner<T> {
  if (typeof key !== 'function') throw new ConfigurationError('keyBuckets takes a function from record to bucket name');
  return { bucketFor: (record) => key(record) };
}

/** Every record into the sink's directory itself. */
export function basePathBuckets(): BucketAssigner<unknown> {
  return { bucketFor: () => '' };
}

/** Reject a bucket that would leave the sink's directory or be hidden like an in-progress part. */
export function checkBucket(bucket: unknown): string {
  if (typeof bucket !== 'string') throw new ConfigurationError(`rollingFileSink bucketAssigner returned ${typeof bucket}, not a string`);
  if (bucket === '') return bucket;
  for (const segment of bucket.split('/')) {
    if (segment === '' || segment.startsWith('.') || segment.includes('\0')) {
      throw new ConfigurationError(`rollingFileSink bucketAssigner returned '${bucket}': bucket names are relative paths whose segments are non-empty and do not start with '.'`);
    }
  }
  return bucket;
}
