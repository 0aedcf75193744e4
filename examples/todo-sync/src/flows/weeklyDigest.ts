import { flow } from "@prismatic-io/spectral";
import type { SyncSummary } from "./syncTodos";

/** On the customer's chosen schedule, log a short digest of the last sync for the customer's admins. */
export const weeklyDigest = flow({
  name: "Weekly Digest",
  stableKey: "weekly-digest",
  description: "Logs a digest of the last sync on the customer's schedule",
  schedule: { configVar: "Digest Schedule" },
  onExecution: async (context) => {
    const lastSync = context.crossFlowState.lastSync as SyncSummary | undefined;
    if (!lastSync) {
      context.logger.info("No sync has run yet; nothing to report");
      return { data: { synced: false } };
    }
    const digest = {
      synced: true,
      lastSyncAt: lastSync.at,
      tasksChanged: lastSync.upserted + lastSync.deleted,
      todosSkipped: lastSync.skipped,
      queue: context.configVars["CRM Queue"],
    };
    context.logger.info(
      `Last sync at ${digest.lastSyncAt}: ${digest.tasksChanged} CRM tasks changed, ${digest.todosSkipped} todos skipped`,
    );
    return { data: digest };
  },
});
