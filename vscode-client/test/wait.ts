/** Waiting on the in-memory VS Code: re-check on every change it reports, never on a clock. */

import { mock } from "./vscode.mock";

const TIMEOUT_MS = 60_000;

/** Resolve once `check` returns something truthy, re-checking on every change the mock reports. */
export function waitFor<T>(
  what: string,
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    let running = false;
    let again = false;
    const finish = (error: Error | null, value?: T): void => {
      if (done) return;
      done = true;
      subscription.dispose();
      clearTimeout(guard);
      if (error) reject(error);
      else resolve(value as T);
    };
    const attempt = async (): Promise<void> => {
      if (done) return;
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        const value = await check();
        if (value) finish(null, value);
      } catch (error) {
        finish(error as Error);
      } finally {
        running = false;
        if (again && !done) {
          again = false;
          void attempt();
        }
      }
    };
    const subscription = mock.onChange(() => void attempt());
    // A guard against a hang, not a wait: every success path is an event.
    const guard = setTimeout(() => finish(new Error(`timed out waiting for ${what}`)), TIMEOUT_MS);
    void attempt();
  });
}
