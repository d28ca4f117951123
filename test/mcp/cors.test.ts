import { createServer, type IncomingHttpHeaders, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOOLS } from "../../tools/index.js";
import { launchChromium } from "../helpers/browser.js";
import { type CliProcess, runCli, spawnCli } from "../helpers/cli.js";
import { startTestSandbox, type TestSandbox } from "../helpers/sandbox.js";

let sandbox: TestSandbox;
let browser: Browser;
const running: CliProcess[] = [];
const pageServers: Server[] = [];
beforeAll(async () => {
  sandbox = await startTestSandbox();
  browser = await launchChromium();
});
afterAll(async () => {
  for (const cli of running) cli.child.kill("SIGKILL");
  for (const server of pageServers) server.close();
  await browser?.close();
  await sandbox?.stop();
});

/** `mcp --transport http` as a person starts it, with the flags given. */
async function startMcp(args: string[]): Promise<string> {
  const cli = spawnCli(["mcp", "--transport", "http", "--port", "0", "--json", ...args], {
    AGENTRUNTIME_API_URL: sandbox.url,
    AGENTRUNTIME_TOKEN: sandbox.tokens.contributor,
  });
  running.push(cli);
  return (JSON.parse(await cli.firstLine()) as { url: string }).url;
}

const INITIALIZE = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "browser-host", version: "1" },
  },
};

/** One raw request, so the test sees every header the browser would. */
function send(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const preflight = (url: string, origin: string) =>
  send(url, "OPTIONS", {
    origin,
    "access-control-request-method": "POST",
    "access-control-request-headers": "content-type, mcp-protocol-version",
  });

const post = (url: string, headers: Record<string, string>) =>
  send(
    url,
    "POST",
    {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...headers,
    },
    INITIALIZE,
  );

/** A page a browser-based MCP host serves: it connects with fetch() alone and lists the tools. */
const HOST_PAGE = `<!doctype html><meta charset="utf-8"><title>host</title><script>
async function rpc(url, session, message) {
  const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };
  if (session) Object.assign(headers, { "mcp-session-id": session, "mcp-protocol-version": "2025-06-18" });
  const response = await fetch(url, { method: "POST", headers, body: JSON.stringify(message) });
  const text = await response.text();
  const data = text.split("\\n").find((line) => line.startsWith("data: "));
  return { session: response.headers.get("mcp-session-id"), status: response.status, json: data ? JSON.parse(data.slice(6)) : undefined };
}
window.listTools = async (url) => {
  const init = await rpc(url, undefined, ${JSON.stringify(INITIALIZE)});
  await rpc(url, init.session, { jsonrpc: "2.0", method: "notifications/initialized" });
  const listed = await rpc(url, init.session, { jsonrpc: "2.0", id: 2, method: "tools/list" });
  return { session: init.session, tools: listed.json.result.tools.map((tool) => tool.name) };
};
</script>`;

/** A second local site on its own port: the origin a browser-based host runs at. */
async function startHostSite(): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(HOST_PAGE);
  });
  pageServers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("--allowed-origin: browser-based MCP hosts on other origins", { timeout: 60_000 }, () => {
  it("lets a real page on an allowed origin initialize and list tools with fetch(), and no other", async () => {
    const allowedSite = await startHostSite();
    const otherSite = await startHostSite();
    const url = await startMcp(["--allowed-origin", allowedSite]);
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${allowedSite}/`);
      const listed = await page.evaluate<{ session: string | null; tools: string[] }>(
        `window.listTools(${JSON.stringify(url)})`,
      );
      expect(listed.session).toEqual(expect.any(String));
      expect(listed.tools).toHaveLength(TOOLS.length);
      expect(listed.tools).toContain("start_inbound_webhook_wizard");

      const stranger = await context.newPage();
      await stranger.goto(`${otherSite}/`);
      await expect(stranger.evaluate(`window.listTools(${JSON.stringify(url)})`)).rejects.toThrow(
        /Failed to fetch/,
      );
    } finally {
      await context.close();
    }
  });

  it("answers the allowed origin's preflight with that origin, never *, and refuses others as before", async () => {
    const allowed = "http://127.0.0.1:5173";
    const url = await startMcp([
      "--allowed-origin",
      allowed,
      "--allowed-origin",
      "https://host.example",
    ]);
    const answered = await preflight(url, allowed);
    expect(answered.status).toBe(204);
    expect(answered.headers["access-control-allow-origin"]).toBe(allowed);
    expect(answered.headers.vary).toMatch(/Origin/);
    expect(answered.headers["access-control-allow-methods"]).toMatch(/POST/);
    const headers = (answered.headers["access-control-allow-headers"] ?? "").split(/,\s*/);
    for (const header of [
      "content-type",
      "authorization",
      "mcp-session-id",
      "mcp-protocol-version",
      "last-event-id",
    ]) {
      expect(headers).toContain(header);
    }
    expect(
      (await preflight(url, "https://host.example")).headers["access-control-allow-origin"],
    ).toBe("https://host.example");

    const stranger = await preflight(url, "http://127.0.0.1:5174");
    expect(stranger.status).toBe(403);
    expect(stranger.headers["access-control-allow-origin"]).toBeUndefined();

    const initialized = await post(url, { origin: allowed });
    expect(initialized.status).toBe(200);
    expect(initialized.headers["access-control-allow-origin"]).toBe(allowed);
    expect(initialized.headers["access-control-expose-headers"]).toMatch(/Mcp-Session-Id/i);
    expect(initialized.headers["mcp-session-id"]).toEqual(expect.any(String));

    const refused = await post(url, { origin: "https://evil.example" });
    expect(refused.status).toBe(403);
    expect(refused.headers["access-control-allow-origin"]).toBeUndefined();
    // A client that is not a browser sends no Origin and needs no CORS headers.
    const plainClient = await post(url, {});
    expect(plainClient.status).toBe(200);
    expect(plainClient.headers["access-control-allow-origin"]).toBeUndefined();
    // DNS rebinding: an allowed Origin does not make a foreign Host acceptable.
    expect((await post(url, { origin: allowed, host: "evil.example:80" })).status).toBe(403);
  });

  it("answers the preflight without the bearer token, which the request itself still needs", async () => {
    const allowed = "https://host.example";
    const url = await startMcp(["--allowed-origin", allowed, "--http-token", "tok-for-cors-test"]);
    expect((await preflight(url, allowed)).status).toBe(204);
    const anonymous = await post(url, { origin: allowed });
    expect(anonymous.status).toBe(401);
    // Readable by the page, so a host can tell its person the token is missing.
    expect(anonymous.headers["access-control-allow-origin"]).toBe(allowed);
    const authorized = await post(url, {
      origin: allowed,
      authorization: "Bearer tok-for-cors-test",
    });
    expect(authorized.status).toBe(200);
  });

  it("takes only exact http(s) origins, never *, and only with --transport http", async () => {
    for (const [value, said] of [
      ["*", /never \*/],
      ["https://host.example/chat", /no path.*https:\/\/host\.example/],
      ["host.example", /an origin such as/],
      ["ftp://host.example", /http or https/],
    ] as const) {
      const result = await runCli(["mcp", "--transport", "http", "--allowed-origin", value]);
      expect(result.code, value).toBe(2);
      expect(result.stderr, value).toMatch(said);
    }
    const stdio = await runCli(["mcp", "--allowed-origin", "https://host.example"]);
    expect(stdio.code).toBe(2);
    expect(stdio.stderr).toMatch(/--allowed-origin needs --transport http/);
    expect((await runCli(["mcp", "--help"])).stdout).toContain("--allowed-origin <origin>");
  });
});
