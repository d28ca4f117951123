import { request } from "node:http";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOOLS } from "../../tools/index.js";
import { listApiKeys } from "../../tools/list-api-keys.js";
import { listWorkflows } from "../../tools/list-workflows.js";
import { CLI, type CliProcess, runCli, spawnCli } from "../helpers/cli.js";
import { structuredOf } from "../helpers/mcp.js";
import { startTestSandbox, type TestSandbox, tempDir } from "../helpers/sandbox.js";

let sandbox: TestSandbox;
const running: CliProcess[] = [];
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(async () => {
  for (const cli of running) cli.child.kill("SIGKILL");
  await sandbox.stop();
});

const backendEnv = () => ({
  AGENTRUNTIME_API_URL: sandbox.url,
  AGENTRUNTIME_TOKEN: sandbox.tokens.contributor,
});

async function stdioClient(args: string[], env: Record<string, string>) {
  const stderr: string[] = [];
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, "mcp", ...args],
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stderr: "pipe",
  });
  transport.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk.toString("utf8")));
  const client = new Client({ name: "stdio-test", version: "1.0.0" });
  await client.connect(transport);
  return { client, stderr: () => stderr.join("") };
}

async function startHttp(args: string[] = [], env: Record<string, string> = backendEnv()) {
  const cli = spawnCli(["mcp", "--transport", "http", "--port", "0", "--json", ...args], env);
  running.push(cli);
  const { url } = JSON.parse(await cli.firstLine()) as { url: string };
  return { cli, url };
}

describe("stdio", () => {
  it("lists and calls tools through a real child process, keeping stdout for the protocol", async () => {
    const { client, stderr } = await stdioClient([], backendEnv());
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain("list_inbound_webhooks");
      const listed = (await client.callTool({
        name: "list_inbound_webhooks",
        arguments: {},
      })) as CallToolResult;
      expect(listed.isError).toBeFalsy();
      const created = (await client.callTool({
        name: "create_inbound_webhook",
        arguments: {
          workflow_id: sandbox.weekly.id,
          name: "over-stdio",
          automation_pat_id: sandbox.vaultKey.id,
        },
      })) as CallToolResult;
      expect(created.isError).toBeFalsy();
      expect(JSON.stringify(created)).not.toMatch(/whsec_[A-Za-z0-9_-]{16,}/);
      expect(stderr()).not.toContain(sandbox.tokens.contributor);
    } finally {
      await client.close();
    }
  });

  it("starts an embedded sandbox when no API URL is set, and says so on stderr", async () => {
    const dir = tempDir();
    const { client, stderr } = await stdioClient([], {
      AGENTRUNTIME_SANDBOX_DIR: dir,
      AGENTRUNTIME_SANDBOX_PORT: "0",
    });
    try {
      const result = (await client.callTool({
        name: "list_workflows",
        arguments: {},
      })) as CallToolResult;
      const names = structuredOf(listWorkflows, result).workflows.map((w) => w.name);
      expect(names).toContain("<untrusted>Fulfil Shopify order</untrusted>");
      expect(stderr()).toMatch(/embedded AgentRuntime sandbox at http:\/\/127\.0\.0\.1:\d+/);
      expect(stderr()).toContain(dir);
    } finally {
      await client.close();
    }
  });

  it("registers only the chosen toolsets, and explains an unknown one", async () => {
    const { client } = await stdioClient(["--toolsets", "wizard"], backendEnv());
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual([
        "start_inbound_webhook_wizard",
        "answer_inbound_webhook_wizard",
        "get_inbound_webhook_wizard",
      ]);
    } finally {
      await client.close();
    }
    const wrong = await runCli(["mcp", "--toolsets", "wizard,everything"], backendEnv());
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(
      /--toolsets takes a comma-separated list of wizard, webhooks, operations, not "everything"/,
    );
  });

  it("registers only read tools with --read-only", async () => {
    const { client } = await stdioClient(["--read-only"], backendEnv());
    try {
      const { tools } = await client.listTools();
      expect(tools.every((t) => t.annotations?.readOnlyHint === true)).toBe(true);
      expect(tools.map((t) => t.name)).not.toContain("delete_inbound_webhook");
    } finally {
      await client.close();
    }
  });
});

describe("Streamable HTTP", () => {
  it("serves stateful sessions to real clients", async () => {
    const { url } = await startHttp();
    const first = new Client({ name: "a", version: "1" });
    const second = new Client({ name: "b", version: "1" });
    const firstTransport = new StreamableHTTPClientTransport(new URL(url));
    const secondTransport = new StreamableHTTPClientTransport(new URL(url));
    await first.connect(firstTransport);
    await second.connect(secondTransport);
    try {
      expect(firstTransport.sessionId).toEqual(expect.any(String));
      expect(firstTransport.sessionId).not.toBe(secondTransport.sessionId);
      const result = (await first.callTool({
        name: "list_api_keys",
        arguments: {},
      })) as CallToolResult;
      expect(structuredOf(listApiKeys, result).api_keys).toHaveLength(2);
      expect((await second.listTools()).tools).toHaveLength(TOOLS.length);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it("refuses foreign Host and Origin headers (DNS rebinding) and unknown sessions", async () => {
    const { url } = await startHttp();
    const initialize = {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "raw", version: "1" },
      },
    };
    // node:http, because fetch does not let a caller choose the Host header.
    const post = (headers: Record<string, string>, body: unknown = initialize) =>
      new Promise<{ status: number; text: () => Promise<string> }>((resolve, reject) => {
        const req = request(
          url,
          {
            method: "POST",
            headers: {
              "content-type": "application/json",
              accept: "application/json, text/event-stream",
              ...headers,
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (chunk: Buffer) => chunks.push(chunk));
            res.on("end", () =>
              resolve({
                status: res.statusCode ?? 0,
                text: async () => Buffer.concat(chunks).toString(),
              }),
            );
          },
        );
        req.on("error", reject);
        req.end(JSON.stringify(body));
      });
    const evilHost = await post({ host: "evil.example:80" });
    expect(evilHost.status).toBe(403);
    expect(await evilHost.text()).toMatch(/DNS rebinding/);
    expect((await post({ origin: "http://evil.example" })).status).toBe(403);
    expect((await post({ origin: new URL(url).origin })).status).toBe(200);
    expect(
      (
        await post(
          { "mcp-session-id": "no-such-session" },
          { jsonrpc: "2.0", id: 2, method: "tools/list" },
        )
      ).status,
    ).toBe(404);
    expect((await post({}, { jsonrpc: "2.0", id: 3, method: "tools/list" })).status).toBe(400);
  });

  it("requires the bearer token when one is set", async () => {
    const { url } = await startHttp(["--http-token", "s3cret-token-for-test"]);
    const anonymous = new Client({ name: "anon", version: "1" });
    await expect(
      anonymous.connect(new StreamableHTTPClientTransport(new URL(url))),
    ).rejects.toThrow();
    const authorized = new Client({ name: "auth", version: "1" });
    await authorized.connect(
      new StreamableHTTPClientTransport(new URL(url), {
        requestInit: { headers: { authorization: "Bearer s3cret-token-for-test" } },
      }),
    );
    expect((await authorized.listTools()).tools.length).toBeGreaterThan(0);
    await authorized.close();
  });

  it("refuses to listen beyond loopback without a bearer token", async () => {
    const result = await runCli(
      ["mcp", "--transport", "http", "--host", "0.0.0.0", "--port", "0"],
      backendEnv(),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/without a bearer token.*AGENTRUNTIME_MCP_HTTP_TOKEN/);
  });
});

describe("configuration errors", () => {
  it("explains a missing token and bad flags", async () => {
    const noToken = await runCli(["mcp"], { AGENTRUNTIME_API_URL: sandbox.url });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/AGENTRUNTIME_TOKEN is not/);
    const badTransport = await runCli(["mcp", "--transport", "carrier-pigeon"]);
    expect(badTransport.code).toBe(2);
    expect(badTransport.stderr).toMatch(/--transport must be one of stdio, http/);
    const help = await runCli(["mcp", "--help"]);
    expect(help.code).toBe(0);
    for (const flag of [
      "--transport",
      "--read-only",
      "--secret-delivery",
      "--http-token",
      "--api-url",
    ]) {
      expect(help.stdout).toContain(flag);
    }
  });
});
