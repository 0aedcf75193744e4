// Quiet reporter for node's test runner: silent on success, full detail on failure (with what the failing files
// wrote to stderr), and one closing line "N passed, N failed" (the plain summary CI reads).
export default async function* reporter(source) {
  let passed = 0;
  let failed = 0;
  const stderr = [];
  for await (const event of source) {
    if (event.type === "test:stderr") stderr.push(`[${event.data.file ?? "?"}] ${event.data.message}`);
    if (event.type === "test:pass" && event.data.details?.type !== "suite") passed += 1;
    if (event.type === "test:fail" && event.data.details?.type !== "suite") {
      failed += 1;
      const error = event.data.details?.error;
      const cause = error?.cause ?? error;
      yield `✖ ${event.data.name} (${event.data.file ?? "?"})\n${cause?.stack ?? String(cause)}\n\n`;
    }
  }
  if (failed > 0 && stderr.length > 0) yield `stderr of the test files:\n${stderr.join("")}\n`;
  yield `vscode-client: ${passed} passed, ${failed} failed\n`;
}
