import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ApiError,
  ConnectionError,
  createClient,
  InvalidResponseError,
  TimeoutError,
} from "../../src/client/index.js";
import { startTestSandbox, type TestSandbox } from "../helpers/sandbox.js";
import { json, startScriptedServer } from "../helpers/scripted-server.js";

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(() => sandbox.stop());

const fast = { retryBaseMs: 1, timeoutMs: 2000 };
const emptyPage = { subscriptions: [], next_cursor: null };

describe("against a real sandbox", () => {
  it("lists, creates, gets, updates and deletes, parsing every answer", async () => {
    const client = createClient({ baseUrl: sandbox.url, token: sandbox.tokens.contributor });
    const workflows = await client.workflows.list();
    expect(workflows.workflows).toHaveLength(3);
    expect((await client.workflows.get(sandbox.shopify.id)).name).toBe("Fulfil Shopify order");
    expect((await client.apiKeys.list({ limit: 1 })).next_cursor).toEqual(expect.any(String));
    const created = await client.inboundWebhooks.create({
      workflow_id: sandbox.shopify.id,
      name: "client-made",
      automation_pat_id: sandbox.vaultKey.id,
    });
    expect(created.signing_secret).toMatch(/^whsec_/);
    const id = created.subscription.id;
    expect((await client.inboundWebhooks.get(id)).name).toBe("client-made");
    const page = await client.inboundWebhooks.list({ workflow_id: sandbox.shopify.id });
    expect(page.subscriptions.map((s) => s.id)).toContain(id);
    const updated = await client.inboundWebhooks.update(id, {
      extras: { trigger_payload: { a: 1 } },
    });
    expect(updated.extras.trigger_payload).toEqual({ a: 1 });
    expect((await client.deliveries.list(id)).deliveries).toEqual([]);
    expect((await client.runs.list({ subscription_id: id })).runs).toEqual([]);
    await client.inboundWebhooks.delete(id);
    await expect(client.inboundWebhooks.get(id)).rejects.toMatchObject({
      status: 404,
      code: "subscription_not_found",
    });
  });

  it("turns contract errors into ApiError with status, code, message and request id", async () => {
    const client = createClient({ baseUrl: sandbox.url, token: sandbox.tokens.contributor });
    const error = await client.inboundWebhooks
      .create({ workflow_id: sandbox.draft.id, name: "x", automation_pat_id: sandbox.vaultKey.id })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 409, code: "workflow_is_draft", retryable: false });
    expect((error as ApiError).requestId).toMatch(/^req_/);
    expect((error as ApiError).message).toMatch(/save it in Workflow Studio/);
  });

  it("never puts the token in an error", async () => {
    const token = "usr_this-token-must-not-leak-0000000000000";
    const client = createClient({ baseUrl: sandbox.url, token });
    const error = await client.workflows.list().catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 401, code: "unauthenticated" });
    const shown = `${String(error)} ${(error as Error).stack} ${JSON.stringify(error)}`;
    expect(shown).not.toContain(token);
  });

  it("retries a create with an Idempotency-Key whose answer was lost, creating one subscription", async () => {
    let dropped = false;
    const proxy = await startScriptedServer((req, res, seen) => {
      const upstream = httpRequest(
        `${sandbox.url}${seen.url}`,
        { method: seen.method, headers: { ...seen.headers, host: new URL(sandbox.url).host } },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on("data", (chunk: Buffer) => parts.push(chunk));
          answer.on("end", () => {
            if (seen.method === "POST" && !dropped) {
              dropped = true;
              req.socket.destroy(); // the subscription exists, but the caller never hears of it
              return;
            }
            res.writeHead(answer.statusCode ?? 500, answer.headers);
            res.end(Buffer.concat(parts));
          });
        },
      );
      upstream.end(seen.body);
    });
    try {
      const client = createClient({
        baseUrl: proxy.url,
        token: sandbox.tokens.contributor,
        ...fast,
      });
      const created = await client.inboundWebhooks.create(
        {
          workflow_id: sandbox.weekly.id,
          name: "lost-answer",
          automation_pat_id: sandbox.vaultKey.id,
        },
        { idempotencyKey: "lost-answer-1" },
      );
      expect(dropped).toBe(true);
      const posts = proxy.requests.filter((r) => r.method === "POST");
      expect(posts).toHaveLength(2);
      expect(posts.map((p) => p.headers["idempotency-key"])).toEqual([
        "lost-answer-1",
        "lost-answer-1",
      ]);
      const all = await client.inboundWebhooks.list({ workflow_id: sandbox.weekly.id, limit: 200 });
      expect(all.subscriptions.filter((s) => s.name === "lost-answer")).toHaveLength(1);
      expect(all.subscriptions.find((s) => s.name === "lost-answer")?.id).toBe(
        created.subscription.id,
      );
    } finally {
      await proxy.close();
    }
  });
});

describe("against a failing server", () => {
  it("raises ConnectionError when nothing listens, after retrying reads", async () => {
    const gone = await startScriptedServer(() => {});
    await gone.close();
    const client = createClient({ baseUrl: gone.url, token: "usr_x", ...fast });
    const error = await client.workflows.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ code: "connection_failed" });
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
    expect((error as Error).message).toContain(gone.url);
  });

  it("raises TimeoutError for a server that never answers, after the retries", async () => {
    const slow = await startScriptedServer(() => {});
    try {
      const client = createClient({
        baseUrl: slow.url,
        token: "usr_x",
        timeoutMs: 150,
        retryBaseMs: 1,
        maxRetries: 2,
      });
      const error = await client.workflows.list().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TimeoutError);
      expect(error).toMatchObject({ code: "timeout" });
      expect(slow.requests).toHaveLength(3);
    } finally {
      await slow.close();
    }
  });

  it("retries reads on 5xx until one succeeds", async () => {
    const flaky = await startScriptedServer((_req, res, _seen, index) => {
      if (index < 2) json(res, 503, { error: { code: "unavailable", message: "try later" } });
      else json(res, 200, emptyPage);
    });
    try {
      const client = createClient({ baseUrl: flaky.url, token: "usr_x", ...fast });
      expect(await client.inboundWebhooks.list()).toEqual(emptyPage);
      expect(flaky.requests).toHaveLength(3);
    } finally {
      await flaky.close();
    }
  });

  it("gives up after maxRetries and reports the last error", async () => {
    const down = await startScriptedServer((_req, res) => json(res, 502, { nope: true }));
    try {
      const client = createClient({ baseUrl: down.url, token: "usr_x", ...fast, maxRetries: 1 });
      const error = await client.inboundWebhooks.list().catch((e: unknown) => e);
      expect(error).toMatchObject({ status: 502, code: "http_502", retryable: true });
      expect(down.requests).toHaveLength(2);
    } finally {
      await down.close();
    }
  });

  it("honours Retry-After on 429, and gives up at once when it asks too much", async () => {
    const throttled = await startScriptedServer((_req, res, _seen, index) => {
      if (index === 0)
        json(
          res,
          429,
          { error: { code: "rate_limited", message: "slow down" } },
          { "retry-after": "1" },
        );
      else json(res, 200, emptyPage);
    });
    try {
      const client = createClient({ baseUrl: throttled.url, token: "usr_x", ...fast });
      const started = Date.now();
      expect(await client.inboundWebhooks.list()).toEqual(emptyPage);
      expect(Date.now() - started).toBeGreaterThanOrEqual(900); // it waited as asked, not a speed claim
      expect(throttled.requests).toHaveLength(2);
    } finally {
      await throttled.close();
    }
    const patient = await startScriptedServer((_req, res) =>
      json(
        res,
        429,
        { error: { code: "rate_limited", message: "come back tomorrow" } },
        { "retry-after": "86400" },
      ),
    );
    try {
      const client = createClient({ baseUrl: patient.url, token: "usr_x", ...fast });
      await expect(client.inboundWebhooks.list()).rejects.toMatchObject({
        status: 429,
        code: "rate_limited",
      });
      expect(patient.requests).toHaveLength(1);
    } finally {
      await patient.close();
    }
  });

  it("never retries a create without an Idempotency-Key, and retries one with it", async () => {
    const failing = await startScriptedServer((_req, res) =>
      json(res, 503, { error: { code: "unavailable", message: "down" } }),
    );
    try {
      const client = createClient({ baseUrl: failing.url, token: "usr_x", ...fast });
      const body = {
        workflow_id: "00000000-0000-4000-8000-000000000001",
        name: "n",
        automation_pat_id: "00000000-0000-4000-8000-000000000002",
      };
      await expect(client.inboundWebhooks.create(body)).rejects.toMatchObject({ status: 503 });
      expect(failing.requests).toHaveLength(1);
      await expect(
        client.inboundWebhooks.create(body, { idempotencyKey: "k-1" }),
      ).rejects.toMatchObject({ status: 503 });
      expect(failing.requests).toHaveLength(4);
      expect(failing.requests.slice(1).every((r) => r.headers["idempotency-key"] === "k-1")).toBe(
        true,
      );
    } finally {
      await failing.close();
    }
  });

  it("does not retry a 4xx", async () => {
    const refusing = await startScriptedServer((_req, res) =>
      json(res, 404, { error: { code: "workflow_not_found", message: "no such workflow" } }),
    );
    try {
      const client = createClient({ baseUrl: refusing.url, token: "usr_x", ...fast });
      await expect(client.workflows.get("w")).rejects.toMatchObject({ code: "workflow_not_found" });
      expect(refusing.requests).toHaveLength(1);
    } finally {
      await refusing.close();
    }
  });

  it("raises InvalidResponseError for a 2xx that breaks the contract", async () => {
    const odd = await startScriptedServer((_req, res) => json(res, 200, { subscriptions: "many" }));
    try {
      const client = createClient({ baseUrl: odd.url, token: "usr_x", ...fast });
      const error = await client.inboundWebhooks.list().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidResponseError);
      expect(error).toMatchObject({ code: "invalid_response", status: 200 });
    } finally {
      await odd.close();
    }
  });

  it("sends the token as a bearer and nothing else that identifies it", async () => {
    const recorder = await startScriptedServer((_req, res) => json(res, 200, emptyPage));
    try {
      const client = createClient({ baseUrl: recorder.url, token: "usr_abc", ...fast });
      await client.inboundWebhooks.list({ workflow_id: "w-1", limit: 5 });
      expect(recorder.requests[0]?.headers.authorization).toBe("Bearer usr_abc");
      expect(recorder.requests[0]?.url).toBe("/v1/inbound-webhooks?workflow_id=w-1&limit=5");
    } finally {
      await recorder.close();
    }
  });
});
