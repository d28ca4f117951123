import { spawn } from "node:child_process";
import { chmodSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCurlTemplate, CURL_ENV } from "../../src/signing/curl.js";
import { startTestSandbox, type TestSandbox, tempDir } from "../helpers/sandbox.js";
import { createHook, deliveriesOf } from "./kit.js";

/** Every external command a pasted snippet may run; each is wrapped to log its arguments. */
const COMMANDS = ["openssl", "awk", "od", "tr", "sed", "curl", "cat", "head", "xxd"];

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(() => sandbox?.stop());

/** A folder of wrappers that append their argv to `log`, then run the real command. */
function argvShims(log: string): string {
  const dir = tempDir("arw-argv-");
  for (const name of COMMANDS) {
    const path = join(dir, name);
    writeFileSync(
      path,
      `#!/bin/bash\nprintf '%s ' "$0" "$@" >> ${JSON.stringify(log)}\nprintf '\\n' >> ${JSON.stringify(log)}\nexec /usr/bin/${name} "$@"\n`,
    );
    chmodSync(path, 0o755);
  }
  return dir;
}

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

/** Runs the snippet in bash as pasted, listing processes until it ends. */
async function runWatched(script: string, env: Record<string, string>, shims: string) {
  const listings = new Set<string>();
  const child = spawn("/usr/bin/bash", [], {
    env: { PATH: `${shims}:/usr/bin:/bin`, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
  });
  const ended = new Promise<number | null>((resolve) => child.on("close", resolve));
  let running = true;
  ended.then(() => {
    running = false;
  });
  child.stdin.end(script, "utf8");
  while (running) {
    for (const line of processArguments()) listings.add(line);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { code: await ended, stdout, listings: [...listings] };
}

describe("defect 9: the curl test shows neither secret nor PAT in any process's arguments", () => {
  it("signs and sends a delivery that starts a run, with no secret in argv", async () => {
    const hook = await createHook(sandbox);
    const dir = tempDir("arw-argv-log-");
    const log = join(dir, "argv.log");
    writeFileSync(log, "");
    const script = buildCurlTemplate({ ingressUrl: hook.url, body: '{"order_id":"argv-1"}' });
    const result = await runWatched(
      script,
      { [CURL_ENV.signingSecret]: hook.secret, [CURL_ENV.pat]: hook.pat },
      argvShims(log),
    );
    expect(result.stdout).toMatch(/\nHTTP 202\n$/);
    expect(result.code).toBe(0);
    const [delivery] = await deliveriesOf(sandbox, hook.id);
    expect(delivery).toMatchObject({ status: 202, outcome: "accepted" });

    const logged = readFileSync(log, "utf8");
    // The wrappers saw the commands ran, so a clean log means clean arguments.
    expect(logged).toMatch(/openssl dgst -sha256/);
    expect(logged).toMatch(/curl -sS -X POST/);
    expect(result.listings.length).toBeGreaterThan(0);
    for (const text of [logged, ...result.listings]) {
      expect(text).not.toContain(hook.secret);
      expect(text).not.toContain(hook.pat);
    }
  });
});
