import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectMcp, textOf } from "../helpers/mcp.js";
import { startTestSandbox, type TestSandbox } from "../helpers/sandbox.js";
import { json, type SeenRequest, startScriptedServer } from "../helpers/scripted-server.js";

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(() => sandbox.stop());

/** Passes a request on to the sandbox and its answer back. */
async function forward(seen: SeenRequest) {
  const headers = Object.fromEntries(
    Object.entries(seen.headers).filter(
      (entry): entry is [string, string] =>
        typeof entry[1] === "string" &&
        !["host", "content-length", "connection"].includes(entry[0]),
    ),
  );
  const response = await fetch(sandbox.url + seen.url, {
    method: seen.method,
    headers,
    body: seen.body === "" ? undefined : seen.body,
  });
  return { status: response.status, body: await response.json() };
}

const isWorkflowRead = (seen: SeenRequest) =>
  seen.method === "GET" && seen.url.startsWith("/v1/workflows/");
const isCreate = (seen: SeenRequest) =>
  seen.method === "POST" && seen.url === "/v1/inbound-webhooks";

describe("create_inbound_webhook upstream", () => {
  it("reads the workflow and creates the webhook at the same time", async () => {
    let createSeen: () => void = () => {};
    const created = new Promise<void>((resolve) => {
      createSeen = resolve;
    });
    let overlapped: boolean | undefined;
    const proxy = await startScriptedServer((_req, res, seen) => {
      void (async () => {
        if (isCreate(seen)) createSeen();
        if (isWorkflowRead(seen)) {
          // Held until the create arrives: called one after the other, it never would.
          overlapped = await Promise.race([
            created.then(() => true),
            new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 3000)),
          ]);
        }
        const answer = await forward(seen);
        json(res, answer.status, answer.body);
      })();
    });
    const mcp = await connectMcp(sandbox, { baseUrl: proxy.url });
    try {
      const result = await mcp.call("create_inbound_webhook", {
        workflow_id: sandbox.shopify.id,
        name: "concurrent upstream",
        automation_pat_id: sandbox.vaultKey.id,
      });
      expect(result.isError).toBeFalsy();
      expect(overlapped).toBe(true);
      expect(proxy.requests.filter(isCreate)).toHaveLength(1);
      expect(proxy.requests.filter(isWorkflowRead)).toHaveLength(1);
    } finally {
      await mcp.close();
      await proxy.close();
    }
  });

  it("still hands over the secret when only the workflow read fails", async () => {
    const proxy = await startScriptedServer((_req, res, seen) => {
      if (isWorkflowRead(seen)) {
        json(res, 404, { error: { code: "workflow_not_found", message: "gone" } });
        return;
      }
      void forward(seen).then((answer) => json(res, answer.status, answer.body));
    });
    const mcp = await connectMcp(sandbox, { baseUrl: proxy.url });
    try {
      const result = await mcp.call("create_inbound_webhook", {
        workflow_id: sandbox.shopify.id,
        name: "workflow read fails",
        automation_pat_id: sandbox.vaultKey.id,
      });
      expect(result.isError, textOf(result)).toBeFalsy();
      const structured = result.structuredContent as { reveal_url?: string; curl_test: string };
      expect(structured.reveal_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
      expect(structured.curl_test).toContain("/v1/inbound-webhooks/");
    } finally {
      await mcp.close();
      await proxy.close();
    }
  });

  it("fails as the create fails, whatever the workflow read answered", async () => {
    const proxy = await startScriptedServer((_req, res, seen) => {
      if (isCreate(seen)) {
        json(res, 404, { error: { code: "workflow_not_found", message: "no such workflow" } });
        return;
      }
      void forward(seen).then((answer) => json(res, answer.status, answer.body));
    });
    const mcp = await connectMcp(sandbox, { baseUrl: proxy.url });
    try {
      const result = await mcp.call("create_inbound_webhook", {
        workflow_id: sandbox.shopify.id,
        name: "create fails",
        automation_pat_id: sandbox.vaultKey.id,
      });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/^workflow_not_found: /);
    } finally {
      await mcp.close();
      await proxy.close();
    }
  });
});
