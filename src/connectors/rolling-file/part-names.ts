import { posix } from 'node:path';

/** The three names a part file has in its life: hidden while in progress and pending, plain once finished. */
export type PartStage = 'inprogress' | 'pending' | 'finished';

/**
 * Names part files `part-<job>-<counter><suffix>` in their bucket, with the
 * hidden `.part-….inprogress` and `.part-….pending` forms before they are finished, and
 * recognizes the names of this sink's own files when listing a directory.
 */
export class PartNames {
  private readonly pattern: RegExp;

  constructor(
    private readonly directory: string,
    private readonly prefix: string,
    private readonly suffix: string,
  ) {
    const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    this.pattern = new RegExp(`^(?:(.*)/)?(\\.)?${escape(prefix)}-(\\d+)${escape(suffix)}(?:\\.(inprogress|pending))?$`);
  }

  /**
   * The marker `.<prefix>.committed-<n>` in the sink's directory: n is the
   * newest checkpoint whose parts the committer finished. Without an id, the
   * base the committer appends `-<n>` to.
   */
  committedMarker(checkpointId?: number): string {
    const base = posix.join(this.directory, `.${this.prefix}.committed`);
    return checkpointId === undefined ? base : `${base}-${checkpointId}`;
  }

  /** The checkpoint ids of the committed markers among `relatives` (paths relative to the directory). */
  committedMarkers(relatives: readonly string[]): number[] {
    return committedMarkerIds(this.committedMarker(), this.directory, relatives);
  }

  /** Full path of part `counter` of `bucket` at `stage`. */
  path(bucket: string, counter: number, stage: PartStage): string {
    const base = `${this.prefix}-${counter}${this.suffix}`;
    return posix.join(this.directory, bucket, stage === 'finished' ? base : `.${base}.${stage}`);
  }

  /** What a path relative to the directory is, when it is one of this sink's parts. */
  parse(relative: string): { bucket: string; counter: number; stage: PartStage } | undefined {
    const match = this.pattern.exec(relative);
    if (!match) return undefined;
    const [, bucket = '', dot, counter, stage] = match;
    const hidden = dot === '.';
    if (hidden !== (stage !== undefined)) return undefined;
    return { bucket, counter: Number(counter), stage: (stage as PartStage | undefined) ?? 'finished' };
  }
}

/** The ids of the markers `<base>-<n>` among `relatives`, paths relative to `directory`. */
export function committedMarkerIds(base: string, directory: string, relatives: readonly string[]): number[] {
  const name = `${posix.relative(directory, base)}-`;
  return relatives.flatMap((relative) => (relative.startsWith(name) && /^\d+$/.test(relative.slice(name.length)) ? [Number(relative.slice(name.length))] : []));
}
