import { request } from "node:http";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { type CliProcess, spawnCli } from "../helpers/cli.js";
import { tempDir } from "../helpers/sandbox.js";

const running: CliProcess[] = [];
afterEach(() => {
  for (const cli of running.splice(0)) cli.child.kill("SIGKILL");
});

/**
 * A POST whose headers are sent and whose body never ends: the server cannot finish it, so
 * a graceful close waits for it. `closed` resolves when its socket closes.
 */
function holdOpen(url: string): { sent: Promise<void>; closed: Promise<"closed"> } {
  const req = request(url, {
    method: "POST",
    headers: { "content-type": "application/json", "content-length": "100000" },
  });
  req.on("error", () => {});
  const closed = new Promise<"closed">((resolve) => req.on("close", () => resolve("closed")));
  const sent = new Promise<void>((resolve) => req.write("{", () => resolve()));
  return { sent, closed };
}

describe("SIGTERM against a close that hangs", () => {
  it("exits within the bound while a wait is in flight and a request body never ends", async () => {
    const dir = tempDir();
    const cli = spawnCli(
      [
        "mcp",
        "--transport",
        "http",
        "--port",
        "0",
        "--json",
        "--sandbox-db",
        join(dir, "sandbox.db"),
        "--wizard-db",
        ":memory:",
        "--page-port",
        "0",
      ],
      { HOME: dir },
    );
    running.push(cli);
    const { url } = JSON.parse(await cli.firstLine()) as { url: string };

    const client = new Client({ name: "sigterm", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    const call = async (name: string, args: Record<string, unknown> = {}) =>
      (await client.callTool({ name, arguments: args })) as CallToolResult;
    const workflows = (await call("list_workflows")).structuredContent as {
      workflows: { id: string; status: string }[];
    };
    const keys = (await call("list_api_keys")).structuredContent as {
      api_keys: { id: string; in_vault: boolean }[];
    };
    const created = await call("create_inbound_webhook", {
      workflow_id: workflows.workflows.find((w) => w.status === "saved")?.id,
      name: "sigterm-bound",
      automation_pat_id: keys.api_keys.find((k) => k.in_vault)?.id,
    });
    expect(created.isError, JSON.stringify(created.content)).toBeFalsy();
    const id = (created.structuredContent as { subscription: { id: string } }).subscription.id;

    // A wait of up to two minutes, in flight once its first progress arrives.
    let inFlight: () => void = () => {};
    const waiting = new Promise<void>((resolve) => {
      inFlight = resolve;
    });
    const wait = client
      .callTool(
        { name: "wait_for_inbound_webhook_delivery", arguments: { id, timeout_seconds: 120 } },
        undefined,
        {
          onprogress: () => inFlight(),
          timeout: 180_000,
        },
      )
      .then(
        () => "answered" as const,
        () => "cut" as const,
      );
    await waiting;
    const hung = holdOpen(url);
    await hung.sent;

    cli.child.kill("SIGTERM");
    // The wait lasts two minutes, the body never ends and the transport drains for 25 s, all
    // past this test's 20 s: only the 2 s bound can end the process in time.
    expect(await cli.exit()).toEqual({ code: 0, signal: null });
    expect(await hung.closed).toBe("closed");
    // The wait was never answered: the process ended under it (the client may still be waiting).
    expect(await Promise.race([wait, Promise.resolve("unanswered")])).not.toBe("answered");
    await client.close();
  }, 20_000);
});
