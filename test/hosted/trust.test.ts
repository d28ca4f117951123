import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningHosted, startHosted } from "../../src/hosted/serve.js";
import { hashToken } from "../../src/sandbox/secrets.js";
import type { StepView } from "../../src/wizard/steps.js";
import { TOOLS } from "../../tools/index.js";
import { connectHosted, type HostedCaller, hitReplica, TEST_PAGE_KEY } from "../helpers/hosted.js";
import { textOf } from "../helpers/mcp.js";
import { startTestPostgres, type TestPostgres } from "../helpers/postgres.js";
import { startTestSandbox, type TestSandbox } from "../helpers/sandbox.js";

const PUBLIC = "https://webhooks.example";
const PUBLIC_HOST = "webhooks.example";

let postgres: TestPostgres;
let sandbox: TestSandbox;
let database: string;
let hosted: RunningHosted;
let port: number;
const logs: string[] = [];
const callers: HostedCaller[] = [];

beforeAll(async () => {
  [postgres, sandbox] = await Promise.all([startTestPostgres(), startTestSandbox()]);
  database = await postgres.createDatabase();
  hosted = await startHosted(
    { storeUrl: database, publicUrl: PUBLIC, pageKey: TEST_PAGE_KEY, apiUrl: sandbox.url },
    {
      tools: TOOLS,
      secretDelivery: "page",
      readOnly: false,
      version: "0.0.0-test",
      host: "127.0.0.1",
      port: 0,
      log: (line) => logs.push(line),
      requestLog: (line) => logs.push(line),
    },
  );
  port = Number(new URL(hosted.url).port);
});
afterAll(async () => {
  for (const caller of callers) await caller.close().catch(() => {});
  await hosted?.close();
  await sandbox?.stop();
  postgres?.stop();
});

async function caller(token: string): Promise<HostedCaller> {
  const connected = await connectHosted(`http://127.0.0.1:${port}`, token);
  callers.push(connected);
  return connected;
}

/** Every row of every table, as the database's owner (or a stolen backup) sees them. */
async function everyRow(): Promise<string> {
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'",
    );
    const dumped: string[] = [];
    for (const { name } of tables) {
      const { rows } = await client.query(`SELECT row_to_json(t)::text AS row FROM "${name}" t`);
      for (const row of rows) dumped.push(`${name}: ${row.row}`);
    }
    return dumped.join("\n");
  } finally {
    await client.end();
  }
}

async function countRows(table: string): Promise<number> {
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  try {
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM ${table}`);
    return rows[0].n as number;
  } finally {
    await client.end();
  }
}

/** One JSON-RPC request to /mcp as any HTTP client may send it. */
async function rpc(token: string, method: string, params: unknown = {}) {
  const response = await fetch(hosted.url, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

const metrics = async () => (await hitReplica(port, "/metrics", { host: "10.0.0.1" })).text;

function view(result: Awaited<ReturnType<HostedCaller["call"]>>): StepView {
  expect(result.isError, textOf(result)).toBeFalsy();
  return result.structuredContent as StepView;
}

describe("a hosted server's door", () => {
  it("turns 300 unknown tokens away with 401 before any row or tool list, and counts them as such", async () => {
    const junk = Array.from({ length: 300 }, () => `junk-${randomBytes(12).toString("hex")}`);
    for (let i = 0; i < junk.length; i += 20) {
      const answers = await Promise.all(
        junk.slice(i, i + 20).map((token) =>
          rpc(token, "tools/call", {
            name: "start_inbound_webhook_wizard",
            arguments: { workflow_id: sandbox.weekly.id },
          }),
        ),
      );
      for (const answer of answers) {
        expect(answer.status).toBe(401);
        expect(answer.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
        const body = JSON.parse(answer.text) as { jsonrpc: string; error: { message: string } };
        expect(body.jsonrpc).toBe("2.0");
        expect(body.error.message).toMatch(/your bearer token/);
        expect(body.error.message).not.toMatch(/AGENTRUNTIME_TOKEN/);
      }
    }
    const listed = await rpc(junk[0] as string, "tools/list");
    expect(listed.status).toBe(401);
    expect(listed.text).not.toContain("start_inbound_webhook_wizard");
    expect(await countRows("wizards")).toBe(0);
    expect(await countRows("once_pages")).toBe(0);
    const counted = await metrics();
    expect(counted).toMatch(
      /agentruntime_webhooks_mcp_requests_refused_total\{reason="unauthenticated"\} 30[1-9]/,
    );
    expect(counted).not.toMatch(/tool_calls_total\{tool="start_inbound_webhook_wizard"/);
    expect(counted).toMatch(/agentruntime_webhooks_open_setups 0/);
    for (const token of junk.slice(0, 10)) expect(logs.join("\n")).not.toContain(token);
  });

  it("answers an unknown token that sends a large body with 401 too, not a reset", async () => {
    const response = await fetch(hosted.url, {
      method: "POST",
      headers: {
        authorization: "Bearer junk-with-a-big-body",
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: Buffer.alloc(8 * 1024 * 1024, 0x20),
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { jsonrpc: string }).jsonrpc).toBe("2.0");
  });

  it("lets a token AgentRuntime knows through", async () => {
    const model = await caller(sandbox.tokens.contributor);
    const { tools } = await model.client.listTools();
    expect(tools.map((tool) => tool.name)).toContain("start_inbound_webhook_wizard");
  });

  it("tells a viewer at the start of the guided setup that only a contributor can create", async () => {
    const before = await countRows("wizards");
    const viewer = await caller(sandbox.tokens.viewer);
    const result = await viewer.call("start_inbound_webhook_wizard", {
      workflow_id: sandbox.weekly.id,
    });
    expect(result.isError).toBe(true);
    const text = textOf(result);
    expect(text).toMatch(/^forbidden: .*project_viewer.*project_contributor/);
    expect(text).toMatch(/ask .*admin/i);
    expect(text).not.toMatch(/AGENTRUNTIME_TOKEN|operator|this server's token/i);
    expect(await countRows("wizards")).toBe(before);
  });

  it("reports a caller's token that stops working as the caller's, never the operator's", async () => {
    const token = `usr_${randomBytes(16).toString("hex")}`;
    sandbox.store.db
      .prepare(
        "INSERT INTO users (id, project_id, name, role, token_hash, created_at) SELECT ?, project_id, 'Leaving', 'project_contributor', ?, created_at FROM users LIMIT 1",
      )
      .run(crypto.randomUUID(), hashToken(token));
    const leaving = await caller(token);
    expect((await leaving.client.listTools()).tools.length).toBeGreaterThan(0);
    // Signed out (or expired) while the server still holds its short verdict.
    sandbox.store.db.prepare("DELETE FROM users WHERE token_hash = ?").run(hashToken(token));
    const result = await leaving.call("list_inbound_webhooks");
    expect(result.isError).toBe(true);
    const text = textOf(result);
    expect(text).toMatch(/^unauthenticated: .*your AgentRuntime token/i);
    expect(text).toMatch(/sign in again/i);
    expect(text).not.toMatch(/AGENTRUNTIME_TOKEN|operator/);
  });
});

describe("a single-tenant hosted server", () => {
  it("blames its own AGENTRUNTIME_TOKEN, since that is the token AgentRuntime judged", async () => {
    const single = await startHosted(
      {
        storeUrl: await postgres.createDatabase(),
        publicUrl: PUBLIC,
        pageKey: TEST_PAGE_KEY,
        apiUrl: sandbox.url,
        single: { httpToken: "the-http-token-0123456789", token: sandbox.tokens.viewer },
      },
      {
        tools: TOOLS,
        secretDelivery: "page",
        readOnly: false,
        version: "0.0.0-test",
        host: "127.0.0.1",
        port: 0,
        log: () => {},
        requestLog: () => {},
      },
    );
    const model = await connectHosted(
      single.url.replace(/\/mcp$/, ""),
      "the-http-token-0123456789",
    );
    try {
      const result = await model.call("start_inbound_webhook_wizard", {
        workflow_id: sandbox.weekly.id,
      });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/^forbidden: .*operator .*AGENTRUNTIME_TOKEN/);
      expect(textOf(result)).not.toMatch(/your AgentRuntime token/i);
    } finally {
      await model.close();
      await single.close();
    }
  });
});

describe("a hosted server at rest", () => {
  it("keeps no way to open a live page in its database or its logs", async () => {
    const model = await caller(sandbox.tokens.contributor);
    // One setup waits on its reveal page, another on a paste page: both live.
    let step = view(
      await model.call("start_inbound_webhook_wizard", { workflow_id: sandbox.weekly.id }),
    );
    step = view(
      await model.call("answer_inbound_webhook_wizard", {
        wizard_id: step.wizard_id,
        action: "set_name",
        value: `at-rest-${randomBytes(3).toString("hex")}`,
      }),
    );
    const pasting = view(
      await model.call("answer_inbound_webhook_wizard", {
        wizard_id: step.wizard_id,
        action: "choose_api_key",
        value: sandbox.legacyKey.id,
      }),
    );
    expect(pasting.paste_url).toMatch(/\/once\//);
    const created = await model.call("create_inbound_webhook", {
      workflow_id: sandbox.weekly.id,
      name: `at-rest-direct-${randomBytes(3).toString("hex")}`,
      automation_pat_id: sandbox.vaultKey.id,
    });
    const reveal = (created.structuredContent as { reveal_url: string }).reveal_url;
    expect(reveal).toMatch(/\/once\//);
    let revealing = view(
      await model.call("start_inbound_webhook_wizard", { workflow_id: sandbox.weekly.id }),
    );
    for (const [action, value] of [
      ["set_name", `at-rest-wizard-${randomBytes(3).toString("hex")}`],
      ["choose_api_key", sandbox.vaultKey.id],
      ["skip_extras", undefined],
      ["confirm", undefined],
    ] as const) {
      revealing = view(
        await model.call("answer_inbound_webhook_wizard", {
          wizard_id: revealing.wizard_id,
          action,
          ...(value ? { value } : {}),
        }),
      );
    }
    expect(revealing.step).toBe("awaitingReveal");
    const live = [pasting.paste_url, reveal, revealing.reveal_url] as string[];
    for (const url of live)
      expect((await hitReplica(port, new URL(url).pathname, { host: PUBLIC_HOST })).status).toBe(
        200,
      );

    const atRest = `${await everyRow()}\n${logs.join("\n")}`;
    const candidates = new Set(atRest.match(/[A-Za-z0-9_-]{43}/g) ?? []);
    for (const url of live) expect(atRest).not.toContain(new URL(url).pathname.slice(6));
    for (const candidate of candidates) {
      const path = `/once/${candidate}`;
      expect((await hitReplica(port, path, { host: PUBLIC_HOST })).status).not.toBe(200);
      expect(
        (await hitReplica(port, path, { host: PUBLIC_HOST, form: { secret: "x" } })).status,
      ).not.toBe(200);
    }
    // Still live for the person who holds the link.
    for (const url of live)
      expect((await hitReplica(port, new URL(url).pathname, { host: PUBLIC_HOST })).status).toBe(
        200,
      );
    const revealed = await hitReplica(port, new URL(revealing.reveal_url as string).pathname, {
      host: PUBLIC_HOST,
      form: {},
    });
    expect(revealed.text).toMatch(/whsec_/);
  });

  it("refuses a page POST that carries no Origin, and keeps the page", async () => {
    const model = await caller(sandbox.tokens.contributor);
    const created = await model.call("create_inbound_webhook", {
      workflow_id: sandbox.weekly.id,
      name: `no-origin-${randomBytes(3).toString("hex")}`,
      automation_pat_id: sandbox.vaultKey.id,
    });
    const path = new URL((created.structuredContent as { reveal_url: string }).reveal_url).pathname;
    expect(
      (await hitReplica(port, path, { host: PUBLIC_HOST, form: {}, origin: null })).status,
    ).toBe(403);
    expect((await hitReplica(port, path, { host: PUBLIC_HOST, form: {} })).status).toBe(200);
  });
});
