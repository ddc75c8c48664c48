import type { Observable } from 'rxjs';

/**
 * A control element that travels in-band with records: checkpoint barriers
 * and watermarks. Records are passed bare, so telling the two apart is one
 * `instanceof Marker` test per element, not a wrapper object per record.
 */
export abstract class Marker {
  /** Discriminates markers in a `switch` after the `instanceof` test. */
  abstract readonly kind: 'barrier' | 'watermark';
}

/** Event-time progress: no record with an earlier timestamp follows. */
export class Watermark extends Marker {
  readonly kind = 'watermark' as const;
  constructor(readonly timestamp: number) {
    super();
  }
}

/**
 * What flows between operators: records of type `T` interleaved with markers.
 * Operators must forward every marker in order and never move a record
 * across a barrier.
 */
export type Flow<T> = Observable<T | Marker>;
