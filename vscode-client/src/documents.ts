/**
 * Read-only virtual documents for execution logs and step outputs. Their text comes from the server on every
 * read; `cnikit/executionLog` and `cnikit/executionUpdated` make open documents re-read, so logs tail live.
 */

import * as vscode from "vscode";

import { ServerCommand } from "./protocol";
import type { ServerApi } from "./handlers";
import { LOGS_SCHEME, STEP_SCHEME, parseLogsQuery, parseStepQuery } from "./uris";

/** Coalesce bursts of log lines into one re-read per document. */
const REFRESH_DELAY_MS = 150;

export class ExecutionDocuments implements vscode.TextDocumentContentProvider {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly pending = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(private readonly server: () => ServerApi | undefined) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const server = this.server();
    if (uri.scheme === LOGS_SCHEME) {
      const ref = parseLogsQuery(uri.query);
      if (!ref) return `// Invalid logs URI: ${uri.toString()}`;
      if (!server) return "// cnikit is not running: start it to see these logs.";
      try {
        const result = await server.execute<{ text: string }>(ServerCommand.getExecutionLogs, ref);
        return result.text.length > 0 ? result.text : "<no logs yet>";
      } catch (error) {
        return `// Could not load the logs of ${ref.executionId}: ${reason(error)}`;
      }
    }
    const ref = parseStepQuery(uri.query);
    if (!ref) return `// Invalid step URI: ${uri.toString()}`;
    if (!server) return "// cnikit is not running: start it to see this step output.";
    try {
      const result = await server.execute<{ json: string }>(ServerCommand.getStepOutput, ref);
      return result.json;
    } catch (error) {
      return `// Step output is not available: ${reason(error)}`;
    }
  }

  /** Re-read every open document of `executionId` (logs always; step outputs when `steps`). */
  executionChanged(executionId: string, steps: boolean): void {
    for (const document of vscode.workspace.textDocuments) {
      const uri = document.uri;
      const ref =
        uri.scheme === LOGS_SCHEME
          ? parseLogsQuery(uri.query)
          : steps && uri.scheme === STEP_SCHEME
            ? parseStepQuery(uri.query)
            : null;
      if (ref?.executionId === executionId) this.schedule(uri);
    }
  }

  private schedule(uri: vscode.Uri): void {
    const key = uri.toString();
    if (this.pending.has(key)) return;
    this.pending.set(
      key,
      setTimeout(() => {
        this.pending.delete(key);
        this.changed.fire(uri);
      }, REFRESH_DELAY_MS),
    );
  }

  dispose(): void {
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.changed.dispose();
  }
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
