import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Every external command a pasted snippet may run; each is wrapped to log its arguments. */
const COMMANDS = ["python3", "openssl", "awk", "od", "tr", "sed", "curl", "cat", "head", "xxd"];

/** The argument lists of every process visible in /proc right now. */
function processArguments(): string[] {
  const seen: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      seen.push(readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " "));
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return seen;
}

/** What a watched snippet printed, and every argument list seen while it ran. */
export interface WatchedRun {
  code: number | null;
  stdout: string;
  /** The argv each wrapped command was started with, one line each. */
  wrapped: string;
  /** Argument lists of all processes, sampled from /proc until the snippet ended. */
  listings: string[];
}

/**
 * Runs a bash snippet as if pasted, with `env`, while recording the arguments of every
 * command it starts (through wrappers ahead on PATH) and listing all processes until it ends.
 */
export async function runWatched(script: string, env: Record<string, string>): Promise<WatchedRun> {
  const dir = mkdtempSync(join(tmpdir(), "arw-argv-"));
  const log = join(dir, "argv.log");
  writeFileSync(log, "");
  for (const name of COMMANDS) {
    const path = join(dir, name);
    writeFileSync(
      path,
      `#!/bin/bash\nprintf '%s ' "$0" "$@" >> ${JSON.stringify(log)}\nprintf '\\n' >> ${JSON.stringify(log)}\nexec /usr/bin/${name} "$@"\n`,
    );
    chmodSync(path, 0o755);
  }
  const listings = new Set<string>();
  const child = spawn("/usr/bin/bash", [], {
    env: { PATH: `${dir}:/usr/bin:/bin`, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
  });
  let running = true;
  const ended = new Promise<number | null>((resolve) =>
    child.on("close", (code) => {
      running = false;
      resolve(code);
    }),
  );
  child.stdin.end(script, "utf8");
  while (running) {
    for (const line of processArguments()) listings.add(line);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { code: await ended, stdout, wrapped: readFileSync(log, "utf8"), listings: [...listings] };
}
