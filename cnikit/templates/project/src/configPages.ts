/**
 * The config wizard a customer walks through when they deploy an instance of this integration.
 * Connections, if there are any, go on the first page.
 * See https://prismatic.io/docs/integrations/code-native/config-wizard/
 */

import { configPage, configVar } from "@prismatic-io/spectral";

export const configPages = {
  Settings: configPage({
    tagline: "How the integration greets",
    elements: {
      Greeting: configVar({
        stableKey: "greeting",
        dataType: "string",
        description: "The word the example flow greets with.",
        defaultValue: "Hello",
      }),
    },
  }),
};
