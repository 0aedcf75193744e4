/**
 * The executions the Execution Results view shows for the active project: a full list from
 * `cnikit.server.listExecutions`, then kept live by `cnikit/executionUpdated` notifications.
 */

import type { ExecutionSummary } from "./protocol";

/** How many executions the view keeps (the official view shows the 20 newest of the active flow). */
export const MAX_EXECUTIONS = 50;

function key(execution: ExecutionSummary): string {
  return `${execution.source}:${execution.id}`;
}

export class ExecutionStore {
  private project: string | null = null;
  private readonly byKey = new Map<string, ExecutionSummary>();

  constructor(private readonly limit = MAX_EXECUTIONS) {}

  /** The project whose executions are held. */
  get activeProject(): string | null {
    return this.project;
  }

  /** Switch to another project's executions (drops the ones held). Returns whether anything changed. */
  setProject(project: string | null): boolean {
    if (project === this.project) return false;
    this.project = project;
    this.byKey.clear();
    return true;
  }

  /** Replace everything with a fresh list for `project`. */
  replace(project: string | null, executions: ExecutionSummary[]): void {
    this.project = project;
    this.byKey.clear();
    for (const execution of executions) this.byKey.set(key(execution), execution);
    this.trim();
  }

  /**
   * Apply one `cnikit/executionUpdated`. Updates for another project are ignored; returns whether the
   * view must redraw.
   */
  apply(project: string, execution: ExecutionSummary): boolean {
    if (this.project !== null && project !== this.project) return false;
    this.project = project;
    this.byKey.set(key(execution), execution);
    this.trim();
    return this.byKey.has(key(execution));
  }

  /** One execution, by source and id. */
  get(source: string, id: string): ExecutionSummary | undefined {
    return this.byKey.get(`${source}:${id}`);
  }

  /** Newest first (by start time). */
  list(): ExecutionSummary[] {
    return [...this.byKey.values()].sort(
      (a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt) || b.id.localeCompare(a.id),
    );
  }

  private trim(): void {
    const sorted = this.list();
    for (const old of sorted.slice(this.limit)) this.byKey.delete(key(old));
  }
}
