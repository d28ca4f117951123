import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, spawnCli } from "../helpers/cli.js";
import { tempDir } from "../helpers/sandbox.js";

/** The CLI with its embedded sandbox: no AgentRuntime URL, everything in a fresh folder. */
function embeddedArgs(dir: string): string[] {
  return ["--sandbox-db", join(dir, "sandbox.db"), "--wizard-db", ":memory:", "--page-port", "0"];
}

describe("defect 5: a refusal to start leaves nothing running", () => {
  it("refusing 0.0.0.0 without a token exits 1 at once, embedded sandbox included", async () => {
    const dir = tempDir();
    const result = await runCli(
      ["mcp", "--transport", "http", "--host", "0.0.0.0", "--port", "0", ...embeddedArgs(dir)],
      { HOME: dir },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/without a bearer token/);
  }, 15_000);

  it("one SIGTERM stops a serving MCP server with an embedded sandbox, exit code 0", async () => {
    const dir = tempDir();
    const cli = spawnCli(
      ["mcp", "--transport", "http", "--port", "0", "--json", ...embeddedArgs(dir)],
      { HOME: dir },
    );
    const { url } = JSON.parse(await cli.firstLine()) as { url: string };
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
    cli.child.kill("SIGTERM");
    expect(await cli.exit()).toEqual({ code: 0, signal: null });
  }, 15_000);
});
