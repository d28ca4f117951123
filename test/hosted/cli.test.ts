import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import {
  connectHosted,
  hitReplica,
  type Replica,
  startReplica,
  TEST_PAGE_KEY,
} from "../helpers/hosted.js";
import { textOf } from "../helpers/mcp.js";
import { startTestSandbox, type TestSandbox, tempDir } from "../helpers/sandbox.js";

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(() => sandbox?.stop());

const hosted = ["mcp", "--transport", "http", "--port", "0"];

describe("mcp in hosted mode, from the command line", () => {
  it.each([
    [
      "without AGENTRUNTIME_PAGE_KEY",
      [
        ...hosted,
        "--store",
        "postgres://db.invalid/x",
        "--public-url",
        "https://w.example",
        "--api-url",
        "http://127.0.0.1:9",
      ],
      {},
      /AGENTRUNTIME_PAGE_KEY/,
    ],
    [
      "with a short page key",
      [
        ...hosted,
        "--store",
        "postgres://db.invalid/x",
        "--public-url",
        "https://w.example",
        "--api-url",
        "http://127.0.0.1:9",
      ],
      { AGENTRUNTIME_PAGE_KEY: "too-short" },
      /at least 32 bytes of random key material; this one has 6 .*openssl rand -base64 32/,
    ],
    [
      "without a public URL",
      [...hosted, "--store", "postgres://db.invalid/x", "--api-url", "http://127.0.0.1:9"],
      { AGENTRUNTIME_PAGE_KEY: TEST_PAGE_KEY },
      /needs --public-url/,
    ],
    [
      "with DATABASE_URL and a public URL but no page key",
      [...hosted, "--public-url", "https://w.example", "--api-url", "http://127.0.0.1:9"],
      { DATABASE_URL: "postgres://db.invalid/x" },
      /AGENTRUNTIME_PAGE_KEY/,
    ],
    [
      "with a public URL that has a path",
      [
        ...hosted,
        "--store",
        "x.db",
        "--public-url",
        "https://w.example/hooks",
        "--api-url",
        "http://127.0.0.1:9",
      ],
      { AGENTRUNTIME_PAGE_KEY: TEST_PAGE_KEY },
      /drop "\/hooks"/,
    ],
    [
      "over stdio",
      ["mcp", "--store", "x.db", "--public-url", "https://w.example"],
      { AGENTRUNTIME_PAGE_KEY: TEST_PAGE_KEY },
      /--public-url needs --transport http/,
    ],
    [
      "without an AgentRuntime API URL",
      [...hosted, "--store", "x.db", "--public-url", "https://w.example"],
      { AGENTRUNTIME_PAGE_KEY: TEST_PAGE_KEY },
      /needs --api-url/,
    ],
  ])("refuses to start %s", async (_case, args, env, message) => {
    const { code, stderr, stdout } = await runCli(args, env);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stdout).toBe("");
    expect(stderr).not.toContain(TEST_PAGE_KEY);
  });

  it.each([
    ["of 32 spaces", " ".repeat(32), /holds whitespace/],
    ["with a space inside", `${TEST_PAGE_KEY} x`, /holds whitespace/],
    ["of one repeated character", "a".repeat(64), /too few different bytes/],
    ["of one repeated byte, in hex", "ab".repeat(40), /too few different bytes/],
    ["of a short pattern, repeated", "abcdefgh".repeat(8), /too few different bytes/],
  ])("refuses to start with a page key %s, saying how to make one", async (_case, key, problem) => {
    const { code, stderr, stdout } = await runCli(
      [
        ...hosted,
        "--store",
        "postgres://db.invalid/x",
        "--public-url",
        "https://w.example",
        "--api-url",
        "http://127.0.0.1:9",
      ],
      { AGENTRUNTIME_PAGE_KEY: key },
    );
    expect(code).toBe(2);
    expect(stderr).toMatch(problem);
    expect(stderr).toContain("openssl rand -base64 32");
    expect(stdout).toBe("");
    if (key.trim()) expect(stderr).not.toContain(key);
  });

  it("says why when the database cannot be reached", async () => {
    const { code, stderr } = await runCli(
      [
        ...hosted,
        "--store",
        "postgres://postgres:pw-not-shown@127.0.0.1:1/none",
        "--public-url",
        "https://w.example",
        "--api-url",
        sandbox.url,
      ],
      { AGENTRUNTIME_PAGE_KEY: TEST_PAGE_KEY },
    );
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/cannot prepare the store/);
    expect(stderr).not.toContain("pw-not-shown");
  });

  describe("single-tenant, with --http-token", () => {
    let replica: Replica;
    beforeAll(async () => {
      replica = await startReplica({
        store: join(tempDir(), "hosted.db"),
        publicUrl: "https://w.example",
        apiUrl: sandbox.url,
        extraArgs: ["--http-token", "mcp-token-for-the-one-tenant"],
        env: { AGENTRUNTIME_TOKEN: sandbox.tokens.contributor },
      });
    });
    afterAll(() => replica?.stop());

    it("takes only the MCP token and calls AgentRuntime with its own", async () => {
      const base = `http://127.0.0.1:${replica.port}`;
      const caller = await connectHosted(base, "mcp-token-for-the-one-tenant");
      const listed = await caller.call("list_workflows", {});
      expect(listed.isError, textOf(listed)).toBeFalsy();
      expect(JSON.stringify(listed.structuredContent)).toContain(sandbox.weekly.id);
      await caller.close();
      await expect(connectHosted(base, sandbox.tokens.contributor)).rejects.toThrow();
      const stopped = replica.stop();
      await stopped;
      expect(replica.cli.child.exitCode).toBe(0);
      expect(replica.logs()).not.toContain(sandbox.tokens.contributor);
      expect(replica.logs()).not.toContain("mcp-token-for-the-one-tenant");
    });
  });
});

describe("mcp with DATABASE_URL set for another program", () => {
  it("stays the single-process server over stdio", async () => {
    const { code, stderr } = await runCli(["mcp", "--api-url", sandbox.url], {
      DATABASE_URL: "postgres://db.invalid/other-app",
      AGENTRUNTIME_TOKEN: sandbox.tokens.contributor,
    });
    expect(code).toBe(0);
    expect(stderr).not.toMatch(/hosted/);
  });
});

describe("mcp --public-url without a store", () => {
  it("serves one-time pages on the MCP server's own port, at the public origin", async () => {
    const { spawnCli } = await import("../helpers/cli.js");
    const cli = spawnCli(
      [
        "mcp",
        "--transport",
        "http",
        "--port",
        "0",
        "--json",
        "--public-url",
        "https://one.example",
        "--api-url",
        sandbox.url,
      ],
      { AGENTRUNTIME_TOKEN: sandbox.tokens.contributor },
    );
    try {
      const { url } = JSON.parse(await cli.firstLine()) as { url: string };
      const caller = await connectHosted(url.replace(/\/mcp$/, ""), "unused");
      const created = await caller.call("create_inbound_webhook", {
        workflow_id: sandbox.weekly.id,
        name: "public-origin-page",
        automation_pat_id: sandbox.vaultKey.id,
      });
      const reveal = (created.structuredContent as { reveal_url: string }).reveal_url;
      expect(reveal.startsWith("https://one.example/once/")).toBe(true);
      const port = Number(new URL(url).port);
      const path = new URL(reveal).pathname;
      expect((await hitReplica(port, path, { host: "one.example" })).status).toBe(200);
      expect((await hitReplica(port, path, { host: "one.example", form: {} })).status).toBe(200);
      expect((await hitReplica(port, path, { host: "one.example", form: {} })).status).toBe(410);
      await caller.close();
    } finally {
      cli.child.kill("SIGTERM");
      await cli.exit();
    }
  });
});
