import { afterAll, describe, expect, it } from "vitest";
import { type CliProcess, runCli, spawnCli } from "../helpers/cli.js";
import { tempDir } from "../helpers/sandbox.js";

const running: CliProcess[] = [];
afterAll(async () => {
  for (const cli of running) cli.child.kill("SIGTERM");
  await Promise.all(running.map((cli) => cli.exit()));
});

describe("`sandbox` while the folder's sandbox runs in another process", () => {
  it("prints its user tokens and demo PATs, and says where it runs", async () => {
    const dir = tempDir();
    const first = spawnCli(["sandbox", "--json", "--port", "0", "--quiet"], {
      AGENTRUNTIME_SANDBOX_DIR: dir,
      AGENTRUNTIME_SANDBOX_PORT: undefined,
    });
    running.push(first);
    const info = JSON.parse(await first.firstLine()) as {
      url: string;
      tokens: { contributor: string };
      api_keys: { name: string; pat: string }[];
    };
    const second = await runCli(["sandbox", "--quiet"], {
      AGENTRUNTIME_SANDBOX_DIR: dir,
      AGENTRUNTIME_SANDBOX_PORT: undefined,
    });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`already runs at ${info.url}`);
    expect(info.api_keys.length).toBeGreaterThan(0);
    for (const key of info.api_keys) {
      expect(second.stdout).toContain(key.name);
      expect(second.stdout).toContain(key.pat);
    }
    expect(second.stdout).toContain(info.tokens.contributor);
    expect(second.stdout).not.toContain("Press Ctrl+C");
    // The refusal itself (stderr) carries no secret.
    for (const key of info.api_keys) expect(second.stderr).not.toContain(key.pat);
  });
});
