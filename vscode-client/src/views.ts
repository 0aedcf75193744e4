/** The sidebar trees: VS Code adapters over the specs that trees.ts builds. */

import * as vscode from "vscode";

import type { NodeSpec } from "./trees";

/** A NodeSpec as VS Code draws it. */
export function toTreeItem(spec: NodeSpec): vscode.TreeItem {
  const state =
    spec.children.length === 0
      ? vscode.TreeItemCollapsibleState.None
      : spec.expanded
        ? vscode.TreeItemCollapsibleState.Expanded
        : vscode.TreeItemCollapsibleState.Collapsed;
  const item = new vscode.TreeItem(spec.label, state);
  item.id = spec.id;
  item.description = spec.description;
  item.contextValue = spec.contextValue;
  if (spec.tooltip) item.tooltip = new vscode.MarkdownString(spec.tooltip);
  if (spec.icon) {
    item.iconPath = new vscode.ThemeIcon(
      spec.icon.id,
      spec.icon.color ? new vscode.ThemeColor(spec.icon.color) : undefined,
    );
  }
  if (spec.resourcePath) {
    const uri = vscode.Uri.file(spec.resourcePath);
    item.resourceUri = uri;
    item.command = { command: "vscode.open", title: "Open", arguments: [uri] };
  }
  if (spec.command) item.command = spec.command;
  return item;
}

/**
 * A tree whose roots come from `load` (usually a server request). A failed load shows one explanatory item
 * instead of an empty tree, so the user sees why.
 */
export class SpecTree implements vscode.TreeDataProvider<NodeSpec> {
  private readonly changed = new vscode.EventEmitter<NodeSpec | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly load: () => Promise<NodeSpec[]>) {}

  /** Redraw from a fresh load. */
  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(element: NodeSpec): vscode.TreeItem {
    return toTreeItem(element);
  }

  async getChildren(element?: NodeSpec): Promise<NodeSpec[]> {
    if (element) return element.children;
    try {
      return await this.load();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return [messageNode(reason)];
    }
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** A lone informational item (errors, "cnikit is not running"). */
export function messageNode(text: string): NodeSpec {
  return {
    id: `message:${text}`,
    label: text,
    icon: { id: "info" },
    contextValue: "message",
    children: [],
    data: { kind: "message" },
  };
}
