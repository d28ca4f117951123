import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOOLS } from "../../tools/index.js";
import { CLI, type CliProcess, spawnCli } from "../helpers/cli.js";
import { startTestSandbox, type TestSandbox } from "../helpers/sandbox.js";

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const inspectorCli = join(
  dirname(require.resolve("@modelcontextprotocol/inspector-cli/package.json")),
  "build",
  "index.js",
);
const conformance = join(
  dirname(require.resolve("@modelcontextprotocol/conformance/package.json")),
  "dist",
  "index.js",
);

let sandbox: TestSandbox;
const running: CliProcess[] = [];
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(async () => {
  for (const cli of running) cli.child.kill("SIGKILL");
  await sandbox.stop();
});

const env = () => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  AGENTRUNTIME_API_URL: sandbox.url,
  AGENTRUNTIME_TOKEN: sandbox.tokens.contributor,
});

describe("the MCP inspector CLI against the stdio server", () => {
  // inspector-cli 1.0.3 finds its own package.json through the working folder's parent,
  // so it runs from test/, whose parent holds this project's package.json.
  const inspect = (args: string[]) =>
    run(process.execPath, [inspectorCli, ...args, process.execPath, CLI, "mcp"], {
      cwd: join(here, ".."),
      env: env(),
    });

  it("lists the tools", async () => {
    const { stdout } = await inspect(["--method", "tools/list"]);
    const names = (JSON.parse(stdout) as { tools: { name: string }[] }).tools.map(
      (tool) => tool.name,
    );
    expect(names).toEqual(TOOLS.map((tool) => tool.name));
    expect(names).toContain("list_inbound_webhooks");
  });

  it("calls list_inbound_webhooks", async () => {
    await sandbox.api("/v1/inbound-webhooks", {
      body: {
        workflow_id: sandbox.weekly.id,
        name: "seen-by-inspector",
        automation_pat_id: sandbox.vaultKey.id,
      },
    });
    const { stdout } = await inspect([
      "--method",
      "tools/call",
      "--tool-name",
      "list_inbound_webhooks",
    ]);
    const result = JSON.parse(stdout) as {
      structuredContent: { subscriptions: { name: string }[] };
    };
    expect(result.structuredContent.subscriptions.map((s) => s.name)).toContain(
      "<untrusted>seen-by-inspector</untrusted>",
    );
  });
});

describe("the MCP conformance suite against the HTTP server", () => {
  it("passes every scenario except the listed ones for features this server does not offer", async () => {
    const cli = spawnCli(["mcp", "--transport", "http", "--port", "0", "--json"], {
      AGENTRUNTIME_API_URL: sandbox.url,
      AGENTRUNTIME_TOKEN: sandbox.tokens.contributor,
    });
    running.push(cli);
    const { url } = JSON.parse(await cli.firstLine()) as { url: string };
    const outcome = await run(
      process.execPath,
      [
        conformance,
        "server",
        "--url",
        url,
        "--expected-failures",
        join(here, "conformance", "expected-failures.yml"),
      ],
      { env: env(), maxBuffer: 16 * 1024 * 1024 },
    ).catch((error: { code: number; stdout: string; stderr: string }) => error);
    const output = `${outcome.stdout}\n${outcome.stderr}`;
    expect(output, output.slice(-3000)).toContain(
      "Baseline check passed: all failures are expected.",
    );
    expect(output).toMatch(/✓ server-initialize/);
    expect(output).toMatch(/✓ tools-list/);
    expect(output).toMatch(/✓ dns-rebinding-protection/);
  }, 240_000);
});
