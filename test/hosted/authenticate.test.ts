import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callerGate, createVerdicts } from "../../src/hosted/authenticate.js";
import { startMcpHttp } from "../../src/mcp/http-transport.js";
import { hashToken } from "../../src/sandbox/secrets.js";
import { startTestSandbox, type TestSandbox } from "../helpers/sandbox.js";

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(() => sandbox?.stop());

/** A user AgentRuntime knows until `revoke` is called. */
function temporaryUser() {
  const token = `usr_${randomBytes(16).toString("hex")}`;
  sandbox.store.db
    .prepare(
      "INSERT INTO users (id, project_id, name, role, token_hash, created_at) SELECT ?, project_id, 'Brief', 'project_contributor', ?, created_at FROM users LIMIT 1",
    )
    .run(crypto.randomUUID(), hashToken(token));
  return {
    token,
    revoke: () =>
      sandbox.store.db.prepare("DELETE FROM users WHERE token_hash = ?").run(hashToken(token)),
  };
}

describe("verdicts on bearers", () => {
  it("asks AgentRuntime, keeps a verdict briefly, then asks again", async () => {
    let now = 1_000_000;
    const verdictOf = createVerdicts({ apiUrl: sandbox.url, now: () => now });
    const user = temporaryUser();
    expect(await verdictOf(user.token)).toBe("known");
    expect(await verdictOf(sandbox.tokens.viewer)).toBe("known");
    expect(await verdictOf("junk-token")).toBe("unknown");
    user.revoke();
    now += 29_000;
    expect(await verdictOf(user.token)).toBe("known");
    now += 2_000;
    expect(await verdictOf(user.token)).toBe("unknown");
  });

  it("does not keep 'unavailable': the next request asks again", async () => {
    // AgentRuntime answers 503 once, then as itself.
    let outages = 1;
    const flaky = createServer(async (req, res) => {
      if (outages-- > 0) return void res.writeHead(503).end();
      const upstream = await fetch(`${sandbox.url}${req.url}`, {
        headers: { authorization: req.headers.authorization ?? "" },
      });
      res.writeHead(upstream.status, { "content-type": "application/json" });
      res.end(await upstream.text());
    });
    flaky.listen(0, "127.0.0.1");
    await once(flaky, "listening");
    try {
      const verdictOf = createVerdicts({
        apiUrl: `http://127.0.0.1:${(flaky.address() as AddressInfo).port}`,
        client: { maxRetries: 0 },
      });
      expect(await verdictOf(sandbox.tokens.contributor)).toBe("unavailable");
      expect(await verdictOf(sandbox.tokens.contributor)).toBe("known");
    } finally {
      flaky.close();
    }
  });
});

describe("the door of a hosted /mcp", () => {
  it("answers 503 with Retry-After when AgentRuntime cannot be asked, and counts it", async () => {
    const refused: string[] = [];
    const http = await startMcpHttp({
      host: "127.0.0.1",
      port: 0,
      perRequest: () => {
        throw new Error("never reached without a verdict");
      },
      authenticate: callerGate({
        apiUrl: "http://127.0.0.1:9",
        client: { maxRetries: 0, timeoutMs: 2000 },
        refused: (reason) => refused.push(reason),
      }),
    });
    try {
      const response = await fetch(http.url, {
        method: "POST",
        headers: {
          authorization: "Bearer some-token",
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
      });
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("5");
      const body = (await response.json()) as { error: { message: string } };
      expect(body.error.message).toMatch(/could not be reached/);
      expect(refused).toEqual(["unavailable"]);
    } finally {
      await http.close();
    }
  });
});
