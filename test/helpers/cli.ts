import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

// The bundle package.json's `bin` ships, built by the test setup from source.
export const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

export interface CliProcess {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the first stdout line, failing with stderr if the process exits first. */
  firstLine(): Promise<string>;
  exit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts the built CLI as a real child process, keeping everything it prints. An embedded
 * sandbox gets a free port unless the test says otherwise: tests run in parallel, and 8787
 * may be in use. A variable set to `undefined` is left out.
 */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AGENTRUNTIME_SANDBOX_PORT: "0",
      ...env,
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    out += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    err += chunk;
  });
  const exited = once(child, "exit").then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    firstLine: () =>
      new Promise((resolve, reject) => {
        const check = () => {
          const end = out.indexOf("\n");
          if (end >= 0) {
            child.stdout.off("data", check);
            resolve(out.slice(0, end));
          }
        };
        child.stdout.on("data", check);
        check();
        exited.then(() => reject(new Error(`the CLI exited before printing a line:\n${err}`)));
      }),
    exit: () => exited,
  };
}

/** Runs the CLI to completion. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const cli = spawnCli(args, env);
  cli.child.stdin.end();
  const { code } = await cli.exit();
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}
