// Type-level rules for the Kinesis and X connectors: what each may feed.
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { map, pipeline, rollingFileSink } from 'onceflow';
import type { Job } from 'onceflow';
import { kinesisSink, kinesisSource } from 'onceflow/kinesis';
import type { KinesisRecord } from 'onceflow/kinesis';
import { xFilteredStreamSource } from 'onceflow/x';
import type { XPost } from 'onceflow/x';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): T | void {}

declare const client: KinesisClient;
const checked = { id: 'types', checkpoints: { interval: 1000 } } as const;
const text = map((record: KinesisRecord) => Buffer.from(record.data).toString());

// Shards rewind to stored sequence numbers: the Kinesis source may feed the two-phase-commit rolling sink.
const exact = pipeline({ ...checked, guarantee: 'exactly-once' }).from(kinesisSource({ client, streamName: 's' })).pipe(text).to(rollingFileSink<string>({ directory: 'out' }));
expectType<Equal<typeof exact, Job<'exactly-once'>>>();

// The Kinesis sink waits on each barrier for every record to be taken, but a restart puts some again: at-least-once.
const atLeast = pipeline(checked).from(kinesisSource({ client, streamName: 's' })).pipe(text).to(kinesisSink<string>({ client, streamName: 'out', partitionKey: (s) => s }));
expectType<Equal<typeof atLeast, Job<'at-least-once'>>>();
// @ts-expect-error pipeline needs exactly-once but the sink delivers at-least-once
pipeline({ ...checked, guarantee: 'exactly-once' }).from(kinesisSource({ client, streamName: 's' })).pipe(text).to(kinesisSink<string>({ client, streamName: 'out', partitionKey: (s) => s }));

// X keeps no position to come back to: the filtered stream is at-most-once...
const posts = map((post: XPost) => post.data.text);
// @ts-expect-error sink needs exactly-once input but the stream is at-most-once
pipeline(checked).from(xFilteredStreamSource({ bearerToken: 't' })).pipe(posts).to(rollingFileSink<string>({ directory: 'out' }));
// ...and so is whatever it feeds.
const lossy = pipeline(checked).from(xFilteredStreamSource({ bearerToken: 't' })).pipe(posts).to(kinesisSink<string>({ client, streamName: 'out', partitionKey: (s) => s }));
expectType<Equal<typeof lossy, Job<'at-most-once'>>>();
