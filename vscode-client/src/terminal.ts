/** Running the `{command}` the server hands back (`cnikit tui --screen …`) in an integrated terminal. */

export interface TerminalSpec {
  shellPath: string;
  shellArgs: string[];
}

/**
 * The program and arguments for `argv`. A bare `cnikit` is replaced by the executable this client resolved, so
 * the terminal runs the same cnikit as the language server even when it is not on PATH; a path is kept as given.
 */
export function terminalSpec(argv: string[], cnikitPath: string | undefined): TerminalSpec {
  if (argv.length === 0) throw new Error("the server returned an empty command to run");
  const [program, ...args] = argv;
  return { shellPath: program === "cnikit" && cnikitPath ? cnikitPath : program, shellArgs: args };
}
