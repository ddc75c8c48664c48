import { inspect } from 'node:util';
import { recordFailures } from '../contracts/operate.js';
import { messageOf, OperatorError } from '../errors.js';

/** Characters of a record quoted in an {@link OperatorError}: enough to find it, not a megabyte of log. */
export const recordPreviewLength = 200;

/** A record as a short, single-line text. */
export function previewRecord(record: unknown): string {
  const text = inspect(record, { depth: 2, breakLength: Infinity, maxArrayLength: 10, maxStringLength: recordPreviewLength });
  return text.length > recordPreviewLength ? `${text.slice(0, recordPreviewLength)}... (${text.length} characters)` : text;
}

/** Where a failing record came from, noted when the operator threw inside the source's emission of it. */
export interface RecordOrigin {
  readonly sourceId: string;
  readonly splitId: string;
  /** The split's position just before the record: a restore from it reads the record again. */
  readonly position: unknown;
}

// Filled by the execution at the moment of failure (synchronously, while the source is still emitting the record).
const recordOrigins = new WeakMap<object, RecordOrigin>();

/** Note where the record an operator failed on came from. */
export function noteRecordOrigin(error: unknown, origin: RecordOrigin | undefined): void {
  if (origin && typeof error === 'object' && error !== null && recordFailures.has(error)) recordOrigins.set(error, origin);
}

/**
 * `error` as an {@link OperatorError} naming the operator and the record, when
 * an operator's record handler threw it (see `recordFailures`); any other
 * error as it is. Errors raised outside a record handler (an async
 * `concatMap`'s rejected promise, a raw RxJS operator under `rx()`) carry no
 * record and stay as they are.
 */
export function attributeFailure(error: unknown): unknown {
  if (error instanceof OperatorError || typeof error !== 'object' || error === null) return error;
  const failure = recordFailures.get(error);
  if (!failure?.operatorId) return error;
  const preview = previewRecord(failure.record);
  const origin = recordOrigins.get(error);
  const from = origin ? ` from ${origin.sourceId} split ${origin.splitId} at position ${previewRecord(origin.position)}` : '';
  const attributed = new OperatorError(`operator ${failure.operatorId} failed on record ${preview}${from}: ${messageOf(error)}`, failure.operatorId, preview, error);
  attributed.position = origin;
  return attributed;
}
