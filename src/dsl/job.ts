import type { Flow } from '../contracts/element.js';
import type { Guarantee } from '../contracts/guarantee.js';
import type { PipelineSettings } from '../runtime/settings.js';
import type { Sink } from '../contracts/sink.js';
import type { Wiring } from '../runtime/wiring.js';
import { startJob } from '../runtime/job-runner.js';
import type { JobHandle, JobResult } from '../runtime/job-runner.js';

/**
 * A complete pipeline, typed with the guarantee `G` it delivers end to end.
 * Nothing runs until {@link start} or {@link run}.
 */
export class Job<G extends Guarantee> {
  /** @internal Created by `Stream.to()`. */
  constructor(
    /** @internal */ readonly settings: PipelineSettings,
    /** The end-to-end guarantee. */
    readonly guarantee: G,
    /** @internal */ readonly plan: (wiring: Wiring) => Flow<unknown>,
    /** @internal */ readonly sink: Sink<unknown, Guarantee, Guarantee, boolean, unknown, unknown>,
  ) {}

  /** The job's id, under which its checkpoints are stored. */
  get id(): string {
    return this.settings.id;
  }

  /** Start the job and get a handle to watch, drain or stop it. */
  start(): JobHandle {
    return startJob(this);
  }

  /** Run the job to its end. */
  run(): Promise<JobResult> {
    return this.start().done;
  }
}
