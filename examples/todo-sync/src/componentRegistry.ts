import { componentManifests } from "@prismatic-io/spectral";

/**
 * Existing Prismatic components this integration references (none yet). Add manifests generated with
 * `npx cni-component-manifest <component>` here to use their actions, triggers, connections or data sources.
 */
export const componentRegistry = componentManifests({});
