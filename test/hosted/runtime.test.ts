import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ownerOf } from "../../src/hosted/identity.js";
import { createHostedMetrics } from "../../src/hosted/metrics.js";
import { hostedRoutes } from "../../src/hosted/operations.js";
import { createHostedRuntime } from "../../src/hosted/runtime.js";
import { type RunningMcpHttp, startMcpHttp } from "../../src/mcp/http-transport.js";
import { openPostgresStore } from "../../src/store/postgres-store.js";
import { createSealer } from "../../src/store/seal.js";
import { openSqliteStore } from "../../src/store/sqlite-store.js";
import type { SharedStore } from "../../src/store/store.js";
import type { StepView } from "../../src/wizard/steps.js";
import { TOOLS } from "../../tools/index.js";
import { connectHosted, type HostedCaller, hitReplica, TEST_PAGE_KEY } from "../helpers/hosted.js";
import { textOf } from "../helpers/mcp.js";
import { startTestPostgres, type TestPostgres } from "../helpers/postgres.js";
import { sendSigned, startTestSandbox, type TestSandbox, tempDir } from "../helpers/sandbox.js";

const PUBLIC = "https://webhooks.example";
const PUBLIC_HOST = "webhooks.example";

let postgres: TestPostgres;
let sandbox: TestSandbox;
beforeAll(async () => {
  [postgres, sandbox] = await Promise.all([startTestPostgres(), startTestSandbox()]);
});
afterAll(async () => {
  await sandbox?.stop();
  postgres?.stop();
});

interface Hosted {
  store: SharedStore;
  http: RunningMcpHttp;
  port: number;
  logs: string[];
  caller(token?: string): Promise<HostedCaller>;
  close(): Promise<void>;
}

/** A hosted server in this process over a store, as one replica of many would run. */
async function startHostedServer(store: SharedStore, apiUrl = sandbox.url): Promise<Hosted> {
  await store.migrate();
  const metrics = createHostedMetrics(() => store.countOpenWizards());
  const logs: string[] = [];
  const runtime = createHostedRuntime({
    store,
    sealer: createSealer(TEST_PAGE_KEY),
    publicUrl: PUBLIC,
    apiUrl,
    tools: TOOLS,
    version: "0.0.0-test",
    metrics,
    log: (line) => logs.push(line),
    client: { retryBaseMs: 1 },
  });
  const http = await startMcpHttp({
    host: "127.0.0.1",
    port: 0,
    publicUrl: PUBLIC,
    perRequest: (bearer) => runtime.serverFor(bearer),
    routes: hostedRoutes({
      pages: runtime.pages,
      ready: () => store.ready(),
      metrics: async () => ({
        contentType: metrics.registry.contentType,
        body: await metrics.registry.metrics(),
      }),
    }),
    requestLog: (line) => logs.push(line),
  });
  const port = Number(new URL(http.url).port);
  const callers: HostedCaller[] = [];
  return {
    store,
    http,
    port,
    logs,
    async caller(token = sandbox.tokens.contributor) {
      const caller = await connectHosted(`http://127.0.0.1:${port}`, token);
      callers.push(caller);
      return caller;
    },
    async close() {
      for (const caller of callers) await caller.close().catch(() => {});
      await http.close();
      await store.close();
    },
  };
}

function view(result: CallToolResult): StepView {
  expect(result.isError, textOf(result)).toBeFalsy();
  return result.structuredContent as StepView;
}

const answer = (caller: HostedCaller, step: StepView, action: string, extra = {}) =>
  caller.call("answer_inbound_webhook_wizard", { wizard_id: step.wizard_id, action, ...extra });
const pathOf = (url: string) => new URL(url).pathname;
let counter = 0;
const uniqueName = (prefix: string) => `${prefix}-${++counter}`;

const stores: [string, () => Promise<SharedStore>][] = [
  ["sqlite", async () => openSqliteStore({ path: join(tempDir(), "hosted.db") })],
  [
    "postgres",
    async () => openPostgresStore({ connectionString: await postgres.createDatabase() }),
  ],
];

describe.each(stores)("a hosted server on %s", (_name, open) => {
  let hosted: Hosted;
  beforeAll(async () => {
    hosted = await startHostedServer(await open());
  });
  afterAll(() => hosted?.close());

  const page = (url: string, options: Parameters<typeof hitReplica>[2] = { host: PUBLIC_HOST }) =>
    hitReplica(hosted.port, pathOf(url), options);

  it("runs the wizard with its pages at the public origin: each once, checked, then 410", async () => {
    const model = await hosted.caller();
    let step = view(
      await model.call("start_inbound_webhook_wizard", { workflow_id: sandbox.weekly.id }),
    );
    step = view(await answer(model, step, "set_name", { value: uniqueName("legacy") }));
    step = view(await answer(model, step, "choose_api_key", { value: sandbox.legacyKey.id }));
    const paste = step.paste_url as string;
    expect(paste.startsWith(`${PUBLIC}/once/`)).toBe(true);
    const form = await page(paste);
    expect(form.status).toBe(200);
    expect(form.text).toContain('type="password"');
    expect((await page(paste, { host: "127.0.0.1" })).status).toBe(421);
    expect(
      (
        await page(paste, {
          host: PUBLIC_HOST,
          origin: "http://webhooks.example",
          form: { secret: "x" },
        })
      ).status,
    ).toBe(403);
    expect((await page(paste, { host: PUBLIC_HOST, method: "PUT" })).status).toBe(405);
    expect((await page(paste, { host: PUBLIC_HOST, form: { secret: "not a token" } })).status).toBe(
      422,
    );
    expect(
      (
        await page(paste, {
          host: PUBLIC_HOST,
          origin: PUBLIC,
          form: { secret: sandbox.legacyKey.pat },
        })
      ).status,
    ).toBe(200);
    expect((await page(paste)).status).toBe(410);
    // The PAT waits, sealed, for create; nothing holds it in plain text.
    expect(await hosted.store.dump()).not.toContain(sandbox.legacyKey.pat);

    step = view(await answer(model, step, "continue"));
    expect(step.step).toBe("extras");
    step = view(await answer(model, step, "skip_extras"));
    step = view(await answer(model, step, "confirm"));
    expect(step.step).toBe("awaitingReveal");
    // create used the pasted PAT, so it is gone from the store too.
    expect(await hosted.store.dump()).not.toMatch(/"pat:/);
    const reveal = step.reveal_url as string;
    const confirm = await page(reveal);
    expect(confirm.status).toBe(200);
    expect(confirm.text).not.toMatch(/whsec_/);
    const shown = await page(reveal, { host: PUBLIC_HOST, form: {} });
    expect(shown.status).toBe(200);
    const secret = /id="secret">(whsec_[A-Za-z0-9_-]+)</.exec(shown.text)?.[1] as string;
    expect(secret).toMatch(/^whsec_/);
    expect((await page(reveal, { host: PUBLIC_HOST, form: {} })).status).toBe(410);
    expect((await page(`${PUBLIC}/once/${"A".repeat(43)}`)).status).toBe(404);

    step = view(await answer(model, step, "continue"));
    expect(step).toMatchObject({ step: "handingOver" });
    expect(step.card.fields.secret_revealed).toBe(true);

    const dump = await hosted.store.dump();
    for (const plain of [secret, sandbox.legacyKey.pat, sandbox.tokens.contributor])
      expect(dump).not.toContain(plain);
    const logs = hosted.logs.join("\n");
    for (const plain of [secret, sandbox.legacyKey.pat, sandbox.tokens.contributor, pathOf(reveal)])
      expect(logs).not.toContain(plain);
  });

  it("asks for a paste when create says the secret is not in Vault, then creates with it", async () => {
    const model = await hosted.caller();
    let step = view(
      await model.call("start_inbound_webhook_wizard", { workflow_id: sandbox.weekly.id }),
    );
    step = view(await answer(model, step, "set_name", { value: uniqueName("vault-gone") }));
    step = view(await answer(model, step, "choose_api_key", { value: sandbox.vaultKey.id }));
    step = view(await answer(model, step, "skip_extras"));
    const sealed = sandbox.store.db
      .prepare("SELECT vault_secret FROM api_keys WHERE id = ?")
      .get(sandbox.vaultKey.id) as { vault_secret: string };
    sandbox.store.db
      .prepare("UPDATE api_keys SET vault_secret = NULL WHERE id = ?")
      .run(sandbox.vaultKey.id);
    try {
      step = view(await answer(model, step, "confirm"));
      expect(step.step).toBe("pastingPat");
      expect(step.say).toMatch(/not in Vault/);
      const pasted = await page(step.paste_url as string, {
        host: PUBLIC_HOST,
        form: { secret: sandbox.vaultKey.pat },
      });
      expect(pasted.status).toBe(200);
      step = view(await answer(model, step, "continue"));
      expect(step.step).toBe("confirming");
      step = view(await answer(model, step, "confirm"));
      expect(step.step).toBe("awaitingReveal");
      expect(await hosted.store.dump()).not.toContain(sandbox.vaultKey.pat);
    } finally {
      sandbox.store.db
        .prepare("UPDATE api_keys SET vault_secret = ? WHERE id = ?")
        .run(sealed.vault_secret, sandbox.vaultKey.id);
    }
  });

  it("refuses an answer the step does not take, listing the legal ones, and changes nothing", async () => {
    const model = await hosted.caller();
    const step = view(
      await model.call("start_inbound_webhook_wizard", { workflow_id: sandbox.draft.id }),
    );
    expect(step.step).toBe("choosingWorkflow");
    const refused = await answer(model, step, "pick_workflow", { value: sandbox.draft.id });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/^answer_not_accepted: .*Legal answers: pick_workflow/);
    const again = view(
      await model.call("get_inbound_webhook_wizard", { wizard_id: step.wizard_id }),
    );
    expect(again.step).toBe("choosingWorkflow");
    expect(
      view(await answer(model, step, "pick_workflow", { value: sandbox.weekly.id })).step,
    ).toBe("naming");
  });

  it("reveals a rotated secret from a tool on a page at the public origin, once", async () => {
    const model = await hosted.caller();
    const created = await model.call("create_inbound_webhook", {
      workflow_id: sandbox.weekly.id,
      name: uniqueName("direct"),
      automation_pat_id: sandbox.vaultKey.id,
    });
    expect(created.isError, textOf(created)).toBeFalsy();
    const structured = created.structuredContent as {
      reveal_url: string;
      subscription: { id: string };
    };
    expect(structured.reveal_url.startsWith(`${PUBLIC}/once/`)).toBe(true);
    expect(JSON.stringify(created)).not.toMatch(/whsec_[A-Za-z0-9_-]{16,}/);
    expect((await page(structured.reveal_url, { host: PUBLIC_HOST, form: {} })).status).toBe(200);
    expect((await page(structured.reveal_url, { host: PUBLIC_HOST, form: {} })).status).toBe(410);
  });

  it("answers another identity's setup as not found, and counts calls and pages", async () => {
    const owner = await hosted.caller();
    const stranger = await hosted.caller(sandbox.tokens.viewer);
    const step = view(
      await owner.call("start_inbound_webhook_wizard", { workflow_id: sandbox.weekly.id }),
    );
    const stolen = await stranger.call("get_inbound_webhook_wizard", { wizard_id: step.wizard_id });
    expect(stolen.isError).toBe(true);
    expect(textOf(stolen)).toMatch(/^wizard_not_found:/);
    const metrics = (await hitReplica(hosted.port, "/metrics", { host: "10.1.2.3" })).text;
    expect(metrics).toMatch(
      /agentruntime_webhooks_tool_calls_total\{tool="start_inbound_webhook_wizard",outcome="ok"\} [1-9]/,
    );
    expect(metrics).toMatch(
      /agentruntime_webhooks_tool_calls_total\{tool="get_inbound_webhook_wizard",outcome="failed"\} 1/,
    );
    expect(metrics).toMatch(
      /agentruntime_webhooks_pages_total\{kind="reveal",event="used"\} [1-9]/,
    );
    expect(metrics).toMatch(/agentruntime_webhooks_open_setups [1-9]/);
    expect(metrics).toContain('agentruntime_webhooks_tool_call_seconds_bucket{le="0.1",tool=');
  });
});

/** In front of the sandbox: holds every API-key listing until the test lets it through. */
async function startHoldingProxy() {
  const held: (() => void)[] = [];
  const server = createServer(async (req, res) => {
    if (req.url?.startsWith("/v1/api-keys")) await new Promise<void>((go) => held.push(go));
    const upstream = await fetch(`${sandbox.url}${req.url}`, {
      method: req.method,
      headers: { authorization: req.headers.authorization ?? "" },
    });
    res.writeHead(upstream.status, { "content-type": "application/json" });
    res.end(await upstream.text());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("two calls answering one setup at the same moment", () => {
  it("keep one answer and tell the other to re-read the step", async () => {
    const proxy = await startHoldingProxy();
    const store = openPostgresStore({ connectionString: await postgres.createDatabase() });
    const hosted = await startHostedServer(store, proxy.url);
    try {
      const model = await hosted.caller();
      const owner = ownerOf(sandbox.tokens.contributor);
      const step = view(
        await model.call("start_inbound_webhook_wizard", { workflow_id: sandbox.weekly.id }),
      );
      const naming = await store.loadWizard(step.wizard_id, owner);
      const named = answer(model, step, "set_name", { value: uniqueName("raced") });
      while (proxy.held.length < 1) await new Promise((resolve) => setTimeout(resolve, 10));
      // Meanwhile another replica takes the setup back to naming (as its own answer would).
      const loading = await store.loadWizard(step.wizard_id, owner);
      expect(loading.state === "found" && naming.state === "found").toBe(true);
      if (loading.state !== "found" || naming.state !== "found") return;
      expect(await store.saveWizard(step.wizard_id, owner, naming.snapshot, loading.version)).toBe(
        true,
      );
      for (const go of proxy.held.splice(0)) go();
      const result = await named;
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/^setup_changed: .*get_inbound_webhook_wizard/);
      const now = view(
        await model.call("get_inbound_webhook_wizard", { wizard_id: step.wizard_id }),
      );
      expect(now.step).toBe("naming");
    } finally {
      for (const go of proxy.held.splice(0)) go();
      await hosted.close();
      await proxy.close();
    }
  });

  it("both stand when the second builds on where the first left the setup", async () => {
    const proxy = await startHoldingProxy();
    const hosted = await startHostedServer(
      openPostgresStore({ connectionString: await postgres.createDatabase() }),
      proxy.url,
    );
    try {
      const [first, second] = [await hosted.caller(), await hosted.caller()];
      const step = view(
        await first.call("start_inbound_webhook_wizard", { workflow_id: sandbox.weekly.id }),
      );
      const named = answer(first, step, "set_name", { value: uniqueName("serial") });
      while (proxy.held.length < 1) await new Promise((resolve) => setTimeout(resolve, 10));
      const cancelled = answer(second, step, "cancel");
      while (proxy.held.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
      for (const go of proxy.held.splice(0)) go();
      const results = await Promise.all([named, cancelled]);
      expect(results.map((result) => result.isError ?? false)).toEqual([false, false]);
      const now = view(
        await first.call("get_inbound_webhook_wizard", { wizard_id: step.wizard_id }),
      );
      expect(now.status).toBe("cancelled");
    } finally {
      for (const go of proxy.held.splice(0)) go();
      await hosted.close();
      await proxy.close();
    }
  });
});

describe("a caller that hangs up in the middle of a call", () => {
  it("leaves the setup where the call took it, and the server answering", async () => {
    const hosted = await startHostedServer(
      openPostgresStore({ connectionString: await postgres.createDatabase() }),
    );
    try {
      const model = await hosted.caller();
      let step = view(
        await model.call("start_inbound_webhook_wizard", { workflow_id: sandbox.weekly.id }),
      );
      step = view(await answer(model, step, "set_name", { value: uniqueName("hangup") }));
      step = view(await answer(model, step, "choose_api_key", { value: sandbox.vaultKey.id }));
      step = view(await answer(model, step, "skip_extras"));
      step = view(await answer(model, step, "confirm"));
      const shown = await hitReplica(hosted.port, pathOf(step.reveal_url as string), {
        host: PUBLIC_HOST,
        form: {},
      });
      const secret = /id="secret">(whsec_[A-Za-z0-9_-]+)</.exec(shown.text)?.[1] as string;
      step = view(await answer(model, step, "continue"));
      const hangsUp = await hosted.caller();
      const gone = new AbortController();
      const waiting = hangsUp.client
        .callTool(
          {
            name: "answer_inbound_webhook_wizard",
            arguments: { wizard_id: step.wizard_id, action: "wait_for_test" },
          },
          undefined,
          { signal: gone.signal },
        )
        .catch((error: unknown) => error);
      while (hosted.http.inFlight() === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      gone.abort();
      expect(await waiting).toBeInstanceOf(Error);
      const sent = await sendSigned(
        step.card.fields.ingress_url as string,
        JSON.stringify({ week: "2026-49" }),
        { secret, pat: sandbox.vaultKey.pat },
      );
      expect(sent.status).toBe(202);
      step = view(await answer(model, step, "continue"));
      expect(step.step).toBe("testReported");
      expect(step.card.test).toMatchObject({ accepted: true });
      expect(hosted.logs.join("\n")).not.toMatch(/bug in tool|database connection is not open/);
    } finally {
      await hosted.close();
    }
  });
});

describe("a hosted server's operations", () => {
  it("wipes expired pages on its sweep and counts them", async () => {
    const store = openPostgresStore({ connectionString: await postgres.createDatabase() });
    await store.migrate();
    const metrics = createHostedMetrics(() => store.countOpenWizards());
    const runtime = createHostedRuntime({
      store,
      sealer: createSealer(TEST_PAGE_KEY),
      publicUrl: PUBLIC,
      apiUrl: sandbox.url,
      tools: TOOLS,
      version: "0.0.0-test",
      metrics,
    });
    const sealer = createSealer(TEST_PAGE_KEY);
    await store.putPage({
      id: "p".repeat(43),
      kind: "reveal",
      owner: "someone",
      wizardId: null,
      payload: sealer.seal('{"secret":"whsec_expired_one_0123456789"}', "p".repeat(43)),
      expiresAt: Date.now() - 1,
    });
    expect(await runtime.sweep()).toBe(1);
    expect(await store.dump()).not.toContain("v1.");
    expect(await metrics.registry.metrics()).toMatch(
      /agentruntime_webhooks_pages_total\{kind="any",event="expired"\} 1/,
    );
    expect(await runtime.sweep()).toBe(0);
    await store.close();
  });

  it("is not ready while its database is unreachable", async () => {
    const down = openPostgresStore({ connectionString: "postgres://postgres@127.0.0.1:1/none" });
    const http = await startMcpHttp({
      host: "127.0.0.1",
      port: 0,
      perRequest: () => {
        throw new Error("not called");
      },
      routes: hostedRoutes({
        pages: { answer: async () => false },
        ready: () => down.ready(),
        metrics: async () => ({ contentType: "text/plain", body: "" }),
      }),
    });
    const port = Number(new URL(http.url).port);
    expect((await hitReplica(port, "/readyz", { host: "x" })).status).toBe(503);
    expect((await hitReplica(port, "/healthz", { host: "x" })).status).toBe(200);
    await http.close();
    await down.close();
  });

  it("finishes a call in flight when it shuts down, and takes no new one", async () => {
    const hosted = await startHostedServer(
      openPostgresStore({ connectionString: await postgres.createDatabase() }),
    );
    const model = await hosted.caller();
    const created = await model.call("create_inbound_webhook", {
      workflow_id: sandbox.shopify.id,
      name: uniqueName("drain"),
      automation_pat_id: sandbox.vaultKey.id,
      extras: { use_run_setup_defaults: true },
    });
    expect(created.isError, textOf(created)).toBeFalsy();
    const { subscription, reveal_url } = created.structuredContent as {
      subscription: { id: string; ingress_url: string };
      reveal_url: string;
    };
    const shown = await hitReplica(hosted.port, pathOf(reveal_url), {
      host: PUBLIC_HOST,
      form: {},
    });
    const secret = /id="secret">(whsec_[A-Za-z0-9_-]+)</.exec(shown.text)?.[1] as string;

    const waiting = model.call("wait_for_inbound_webhook_delivery", {
      id: subscription.id,
      timeout_seconds: 60,
    });
    // Shut down only once the wait is being answered.
    while (hosted.http.inFlight() === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const closing = hosted.http.close();
    await expect(hitReplica(hosted.port, "/healthz", { host: "x" })).rejects.toThrow();
    const sent = await sendSigned(subscription.ingress_url, JSON.stringify({ order_id: "o-1" }), {
      secret,
      pat: sandbox.vaultKey.pat,
    });
    expect(sent.status).toBe(202);
    const result = await waiting;
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ timed_out: false, accepted: true });
    await closing;
    await hosted.store.close();
  });
});
