/**
 * {{name}}: a Prismatic code-native integration.
 *
 * A customer walks through the config wizard (src/configPages.ts), then the flows (src/flows.ts) run.
 * Try it offline: `cnikit check`, then `cnikit run --flow "Example Flow" --payload example`.
 * Publish it: `npm run build`, then `prism integrations:import --open` (or `cnikit import`).
 */

import { integration } from "@prismatic-io/spectral";
import flows from "./flows";
import { configPages } from "./configPages";
import { componentRegistry } from "./componentRegistry";
import documentation from "../documentation.md";

export { configPages } from "./configPages";
export { componentRegistry } from "./componentRegistry";

export default integration({
  name: "{{name}}",
  description: "{{description}}",
  iconPath: "icon.png",
  documentation,
  flows,
  configPages,
  componentRegistry,
});
