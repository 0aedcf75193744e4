"""The definition as spectral itself produces it, in three modules by job.

- `cnikit.definition.build`: build the project with its own `build` script, the way `prism integrations:import`
  does (official-tooling.md C.1), into `dist/index.js`.
- `cnikit.definition.loading`: `require` the bundle in Node (`cnikit/node/loader.js`, `DEBUG` stripped: spectral
  prints its whole YAML when `DEBUG=true`) and read `codeNativeIntegrationYAML` and the exports the YAML leaves out.
- `cnikit.definition.models`: the `Built*` models every face uses (the emulator reads flows, triggers and schedules
  from them) and `parse_definition_yaml`.

`cnikit check --built` (CNI9xx: load errors, static-vs-built disagreements) is a check family like the others:
`cnikit.analysis.checks.built`.
"""
