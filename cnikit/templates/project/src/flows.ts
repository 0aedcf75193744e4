/**
 * The integration's flows. When a flow is invoked, its onTrigger function runs first (here: pass the
 * webhook's payload on), then onExecution with the trigger's results.
 */

import { flow } from "@prismatic-io/spectral";

export const exampleFlow = flow({
  name: "Example Flow",
  stableKey: "example-flow",
  description: "Greets whoever the webhook names",
  onTrigger: async (context, payload) => {
    return Promise.resolve({ payload });
  },
  onExecution: async (context, params) => {
    const body = params.onTrigger.results.body.data as { name?: string };
    const message = `${context.configVars.Greeting}, ${body.name ?? "world"}!`;
    context.logger.info(message);
    return { data: { message } };
  },
});

export default [exampleFlow];
