/**
 * Type hinting for this integration (scaffolded by `prism integrations:init`).
 *
 * It teaches spectral the shape of this project's config pages and component registry, so
 * `context.configVars["Todo API Connection"]` is typed as a connection, `context.configVars["Sync Completed Todos"]`
 * as a string, and a misspelt name is a type error. Projects that export `userLevelConfigPages` or
 * `scopedConfigVars` from src/index.ts augment `IntegrationDefinitionUserLevelConfigPages` and
 * `IntegrationDefinitionScopedConfigVars` the same way.
 */
import type { componentRegistry, configPages } from "../src";

type TConfigPages = typeof configPages;
type TComponentRegistry = typeof componentRegistry;

declare module "@prismatic-io/spectral" {
  interface IntegrationDefinitionConfigPages extends TConfigPages {}

  interface IntegrationDefinitionComponentRegistry extends TComponentRegistry {}
}
