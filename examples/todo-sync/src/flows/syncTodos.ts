import { flow, util } from "@prismatic-io/spectral";
import { crmClient, deleteTask, listTodosChangedSince, todoClient, upsertTask } from "../client";
import { parseFieldMapping, todoToTask } from "../tasks";

/** What one sync did; kept in cross-flow state for the report and the digest. */
export interface SyncSummary {
  at: string;
  changed: number;
  upserted: number;
  deleted: number;
  skipped: number;
}

/**
 * Every 30 minutes: fetch the todos changed since the last run (the cursor lives in cross-flow state, so the
 * report flow can reset it) and mirror them as CRM tasks. Counters live in this flow's instance state.
 */
export const syncTodos = flow({
  name: "Sync Todos",
  stableKey: "sync-todos",
  description: "Mirrors todos changed since the last run as CRM tasks",
  schedule: { value: "*/30 * * * *", timezone: "America/Chicago" },
  onExecution: async (context) => {
    const todos = todoClient(context.configVars["Todo API Connection"]);
    const crm = crmClient(context.configVars["CRM Connection"]);
    const mapping = parseFieldMapping(context.configVars["Field Mapping"]);
    const prefix = context.configVars["Task Subject Prefix"];
    const queue = context.configVars["CRM Queue"];
    const completedAction = context.configVars["Completed Todo Action"];
    const syncCompleted = util.types.toBool(context.configVars["Sync Completed Todos"]);
    const cursor = typeof context.crossFlowState.todoCursor === "string" ? context.crossFlowState.todoCursor : null;

    const changed = await listTodosChangedSince(todos, cursor);
    const summary: SyncSummary = { at: new Date().toISOString(), changed: changed.length, upserted: 0, deleted: 0, skipped: 0 };
    for (const todo of changed) {
      if (todo.completed && !syncCompleted) {
        summary.skipped += 1;
      } else if (todo.completed && completedAction === "Delete task") {
        await deleteTask(crm, todo.id);
        summary.deleted += 1;
      } else {
        const task = todoToTask(todo, mapping, prefix, queue);
        if (todo.completed && completedAction === "Leave open") {
          task.status = "open";
        }
        await upsertTask(crm, task);
        summary.upserted += 1;
      }
    }
    // ISO timestamps of one API compare correctly as strings.
    const nextCursor = changed.reduce((latest, todo) => (todo.updatedAt > latest ? todo.updatedAt : latest), cursor ?? "");
    const runs = util.types.toInt(context.instanceState.runs ?? 0) + 1;
    const totalSynced = util.types.toInt(context.instanceState.totalSynced ?? 0) + summary.upserted + summary.deleted;
    context.logger.info(
      `Synced ${summary.upserted + summary.deleted} of ${changed.length} changed todos; cursor now ${nextCursor || "unset"}`,
    );
    return {
      data: summary,
      crossFlowState: { ...context.crossFlowState, todoCursor: nextCursor || null, lastSync: summary },
      instanceState: { ...context.instanceState, runs, totalSynced },
    };
  },
});
