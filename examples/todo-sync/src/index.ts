import { integration } from "@prismatic-io/spectral";
import { componentRegistry } from "./componentRegistry";
import { configPages } from "./configPages";
import flows from "./flows";

// Exported for .spectral/index.ts, which derives the config var types from them.
export { componentRegistry } from "./componentRegistry";
export { configPages } from "./configPages";

export default integration({
  name: "Todo Sync",
  description: "Keep CRM tasks in step with your team's todo lists",
  category: "Productivity",
  labels: ["todo", "crm", "sync"],
  version: "1.0.0",
  iconPath: "icon.png",
  flows,
  configPages,
  componentRegistry,
});
