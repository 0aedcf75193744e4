/**
 * The palette commands this extension contributes. package.json must list exactly these (a unit test checks it);
 * the "Prismatic" ones carry the official extension's titles so its users find them under the same names.
 */

export interface CommandInfo {
  id: string;
  category: "Prismatic" | "cnikit";
  title: string;
  icon?: string;
  /** Hidden from the command palette (tree clicks only). */
  hidden?: boolean;
}

export const COMMANDS = [
  { id: "cnikit.configWizard", category: "Prismatic", title: "Config Wizard", icon: "$(settings)" },
  { id: "cnikit.integrations.import", category: "Prismatic", title: "Import Integration", icon: "$(cloud-upload)" },
  { id: "cnikit.integrations.test", category: "Prismatic", title: "Test Integration", icon: "$(play)" },
  { id: "cnikit.flows.createPayload", category: "Prismatic", title: "Create Flow Payload", icon: "$(add)" },
  { id: "cnikit.login", category: "Prismatic", title: "Login" },
  { id: "cnikit.logout", category: "Prismatic", title: "Logout" },
  { id: "cnikit.prismaticUrl", category: "Prismatic", title: "Prismatic URL" },
  {
    id: "cnikit.integrations.openInBrowser",
    category: "Prismatic",
    title: "Open Integration in Browser",
    icon: "$(globe)",
  },
  { id: "cnikit.me", category: "Prismatic", title: "Me" },
  { id: "cnikit.refreshToken", category: "Prismatic", title: "Refresh Token" },
  { id: "cnikit.switchTenant", category: "Prismatic", title: "Switch Tenant" },
  {
    id: "cnikit.integrationDetails.refresh",
    category: "Prismatic",
    title: "Refresh Integration Details",
    icon: "$(refresh)",
  },
  { id: "cnikit.integrations.select", category: "Prismatic", title: "Select Integration" },
  {
    id: "cnikit.integrations.revealInExplorer",
    category: "Prismatic",
    title: "Reveal in Explorer",
    icon: "$(folder-opened)",
  },
  { id: "cnikit.integrations.refresh", category: "Prismatic", title: "Refresh Integrations", icon: "$(refresh)" },
  { id: "cnikit.flows.refresh", category: "Prismatic", title: "Refresh Test Payloads", icon: "$(refresh)" },
  {
    id: "cnikit.executionResults.refresh",
    category: "Prismatic",
    title: "Refresh Execution Results",
    icon: "$(refresh)",
  },
  { id: "cnikit.executionResults.openLogs", category: "Prismatic", title: "Open Execution Logs", hidden: true },
  { id: "cnikit.executionResults.openStep", category: "Prismatic", title: "Open Step Output", hidden: true },
  { id: "cnikit.runLocally", category: "cnikit", title: "Run Flow Locally", icon: "$(run)" },
  { id: "cnikit.replayExecution", category: "cnikit", title: "Replay Execution", icon: "$(debug-rerun)" },
  { id: "cnikit.startServer", category: "cnikit", title: "Start Local Server", icon: "$(server-process)" },
  { id: "cnikit.stopServer", category: "cnikit", title: "Stop Local Server", icon: "$(debug-stop)" },
  {
    id: "cnikit.openResultsBrowser",
    category: "cnikit",
    title: "Browse Execution Results in Terminal",
    icon: "$(terminal)",
  },
  { id: "cnikit.restartServer", category: "cnikit", title: "Restart Language Server" },
  { id: "cnikit.showOutput", category: "cnikit", title: "Show Output" },
] as const satisfies readonly CommandInfo[];

export type ClientCommandId = (typeof COMMANDS)[number]["id"];

/**
 * The view's own focus command. VS Code registers it for every view (`<viewId>.focus`, titled "Focus on <name>
 * View" in the container's category); package.json declares it too so the palette entry reads exactly
 * "Prismatic: Focus on Execution Results View", and no handler of ours is needed.
 */
export const FOCUS_EXECUTION_RESULTS = {
  id: "cnikit.executionResultsView.focus",
  category: "Prismatic",
  title: "Focus on Execution Results View",
} as const;
