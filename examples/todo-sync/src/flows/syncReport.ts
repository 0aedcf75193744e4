import { flow, util } from "@prismatic-io/spectral";
import { bodyObject } from "../tasks";

/**
 * Answers (synchronously) with where the sync stands: the cursor and last sync from cross-flow state, and how often
 * this report was asked for (its own instance state). POST `{"resetCursor": true}` to make the next sync start over.
 */
export const syncReport = flow({
  name: "Sync Report",
  stableKey: "sync-report",
  description: "Reports the sync cursor and counters; can reset the cursor",
  isSynchronous: true,
  onExecution: async (context, params) => {
    const request = bodyObject(params.onTrigger.results.body.data);
    const reset = util.types.toBool(request.resetCursor ?? false);
    const requests = util.types.toInt(context.instanceState.requests ?? 0) + 1;
    const report = {
      cursor: reset ? null : (context.crossFlowState.todoCursor ?? null),
      lastSync: context.crossFlowState.lastSync ?? null,
      cursorReset: reset,
      requests,
    };
    if (reset) {
      context.logger.warn("Sync cursor reset: the next sync mirrors every todo again");
    }
    return {
      data: report,
      // null deletes the key from cross-flow state.
      crossFlowState: reset ? { ...context.crossFlowState, todoCursor: null } : context.crossFlowState,
      instanceState: { ...context.instanceState, requests },
    };
  },
});
