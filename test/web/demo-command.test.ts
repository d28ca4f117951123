import { rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { type CliProcess, runCli, spawnCli } from "../helpers/cli.js";
import { tempDir } from "../helpers/sandbox.js";

const dirs: string[] = [];
const running: CliProcess[] = [];
afterAll(async () => {
  for (const cli of running) cli.child.kill("SIGTERM");
  await Promise.all(running.map((cli) => cli.exit()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("agentruntime-webhooks demo", () => {
  it("always uses the embedded sandbox, even with an AgentRuntime configured, and says it is scripted", async () => {
    const dir = tempDir("arw-demo-cmd-");
    dirs.push(dir);
    const cli = spawnCli(["demo", "--json", "--no-browser"], {
      AGENTRUNTIME_SANDBOX_DIR: dir,
      AGENTRUNTIME_API_URL: "http://127.0.0.1:9/never",
      AGENTRUNTIME_TOKEN: "tok_real_deployment",
    });
    running.push(cli);
    const info = JSON.parse(await cli.firstLine()) as {
      url: string;
      sandbox_url: string;
      api_keys: { pat: string }[];
    };
    expect(info.sandbox_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.sandbox_url).not.toContain(":9/");
    expect(info.api_keys.length).toBeGreaterThan(0);
    const page = await fetch(info.url);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toMatch(/script-src 'nonce-/);
    const html = await page.text();
    expect(html).toContain("Scripted demo, not a model.");
    for (const key of info.api_keys) expect(html).not.toContain(key.pat);
    const card = await fetch(new URL("/card", info.url));
    expect(card.headers.get("content-security-policy")).toContain("frame-ancestors 'self'");
    expect(await card.text()).toContain('<main id="card"');
    // The demo has no model: a chat message is refused, not sent anywhere.
    const message = await fetch(new URL("/api/message", info.url), {
      method: "POST",
      headers: { "content-type": "application/json", origin: new URL(info.url).origin },
      body: JSON.stringify({ text: "hello" }),
    });
    expect(message.status).toBe(409);
    expect(((await message.json()) as { error: string }).error).toMatch(/scripted demo/);
  });

  it("prints the demo PATs also when the sandbox runs in another process", async () => {
    const dir = tempDir("arw-demo-cmd-");
    dirs.push(dir);
    const sandbox = spawnCli(["sandbox", "--json", "--port", "0", "--quiet"], {
      AGENTRUNTIME_SANDBOX_DIR: dir,
      AGENTRUNTIME_SANDBOX_PORT: undefined,
    });
    running.push(sandbox);
    const held = JSON.parse(await sandbox.firstLine()) as {
      url: string;
      api_keys: { name: string; pat: string }[];
    };
    const demo = spawnCli(["demo", "--json", "--no-browser"], {
      AGENTRUNTIME_SANDBOX_DIR: dir,
      AGENTRUNTIME_SANDBOX_PORT: undefined,
    });
    running.push(demo);
    const info = JSON.parse(await demo.firstLine()) as {
      sandbox_url: string;
      api_keys: { name: string; pat: string }[];
    };
    expect(info.sandbox_url).toBe(held.url);
    expect(held.api_keys.length).toBeGreaterThan(0);
    expect(info.api_keys.map((key) => [key.name, key.pat])).toEqual(
      held.api_keys.map((key) => [key.name, key.pat]),
    );
  });

  it("refuses a port that is not a number, as a usage error", async () => {
    const result = await runCli(["demo", "--port", "http"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--port/);
  });
});
