/** When to restart a crashed language server: a few times, but not forever in a crash loop. */

export interface CrashDecision {
  restart: boolean;
  /** Said to the user when the server is not restarted. */
  message?: string;
}

export class CrashPolicy {
  private crashes: number[] = [];

  constructor(
    private readonly maxCrashes = 5,
    private readonly windowMs = 3 * 60_000,
  ) {}

  /** Record a crash at `now` (ms) and decide. */
  onCrash(now: number): CrashDecision {
    this.crashes = this.crashes.filter((at) => now - at < this.windowMs);
    this.crashes.push(now);
    if (this.crashes.length < this.maxCrashes) return { restart: true };
    const minutes = Math.round(this.windowMs / 60_000);
    return {
      restart: false,
      message:
        `cnikit lsp stopped ${this.crashes.length} times in ${minutes} minutes and will not be restarted. ` +
        'Its last output is in the "cnikit" output channel; fix the cause, then run "cnikit: Restart Language Server".',
    };
  }

  /** Forget past crashes (after a manual restart). */
  reset(): void {
    this.crashes = [];
  }
}
