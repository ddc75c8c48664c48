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
