/** The two status bar items (official A.12): who is logged in where, and which integration is active. */

import { basename } from "node:path";

import type { StatusParams } from "./protocol";

/** Whether the language server is up; the items say so when it is not. */
export type ServerState = "starting" | "running" | "stopped" | "missing";

export interface StatusItem {
  text: string;
  /** Markdown. */
  tooltip: string;
  command: string;
}

/** `$(account) <organization>` (click: Me), or `Not logged in` (click: Login). */
export function userItem(status: StatusParams | null): StatusItem {
  if (!status?.user) {
    return { text: "$(account) Not logged in", tooltip: "Prismatic: Click to log in", command: "cnikit.login" };
  }
  const lines = [
    `**Name:** ${status.user.name}`,
    `**Email:** ${status.user.email}`,
    `**Organization:** ${status.organization ?? "—"}`,
    `**Endpoint:** ${status.url ?? "—"}`,
  ];
  return {
    text: `$(account) ${status.organization || "Logged in"}`,
    tooltip: lines.join("  \n"),
    command: "cnikit.me",
  };
}

/** The active integration (click: Select Integration), or why there is none. */
export function integrationItem(status: StatusParams | null, server: ServerState): StatusItem {
  if (server === "missing") {
    return {
      text: "$(warning) cnikit not found",
      tooltip: "The cnikit language server could not be found. Click for how to install it.",
      command: "cnikit.restartServer",
    };
  }
  if (server === "stopped") {
    return {
      text: "$(debug-disconnect) cnikit stopped",
      tooltip: "The cnikit language server is not running. Click to restart it.",
      command: "cnikit.restartServer",
    };
  }
  if (server === "starting") {
    return {
      text: "$(sync~spin) cnikit",
      tooltip: "Starting the cnikit language server…",
      command: "cnikit.showOutput",
    };
  }
  if (!status?.activeProject) {
    return {
      text: "$(symbol-namespace) No integration",
      tooltip: "Prismatic: Click to select an integration",
      command: "cnikit.integrations.select",
    };
  }
  const name = status.activeIntegration ?? basename(status.activeProject);
  return {
    text: `$(symbol-namespace) ${name}`,
    tooltip: `**Name:** ${name}  \n**Path:** ${status.activeProject}`,
    command: "cnikit.integrations.select",
  };
}
