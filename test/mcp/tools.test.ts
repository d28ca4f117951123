import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createInboundWebhook } from "../../tools/create-inbound-webhook.js";
import { listApiKeys } from "../../tools/list-api-keys.js";
import { listInboundWebhooks } from "../../tools/list-inbound-webhooks.js";
import { listWorkflows } from "../../tools/list-workflows.js";
import { updateInboundWebhook } from "../../tools/update-inbound-webhook.js";
import { type ConnectedMcp, connectMcp, structuredOf, textOf } from "../helpers/mcp.js";
import { sendSigned, startTestSandbox, type TestSandbox } from "../helpers/sandbox.js";

let sandbox: TestSandbox;
let mcp: ConnectedMcp;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  mcp = await connectMcp(sandbox);
});
afterAll(async () => {
  await mcp.close();
  await sandbox.stop();
});

/** Everything a model could read of a result. */
const seen = (result: unknown) => JSON.stringify(result);

function expectNoSecrets(text: string, extra: string[] = []) {
  expect(text).not.toMatch(/whsec_[A-Za-z0-9_-]{16,}/);
  expect(text).not.toMatch(/pat_[A-Za-z0-9_-]{16,}/);
  for (const secret of [
    sandbox.vaultKey.pat,
    sandbox.legacyKey.pat,
    sandbox.tokens.contributor,
    ...extra,
  ]) {
    expect(text).not.toContain(secret);
  }
}

describe("read tools", () => {
  it("list_workflows shows status and the input fields the steps read", async () => {
    const result = await mcp.call("list_workflows");
    expect(result.isError).toBeFalsy();
    const { workflows } = structuredOf(listWorkflows, result);
    expect(
      workflows.find((w) => w.name === "<untrusted>Fulfil Shopify order</untrusted>"),
    ).toMatchObject({
      status: "saved",
      input_fields: [
        "<untrusted>order_id</untrusted>",
        "<untrusted>quantity</untrusted>",
        "<untrusted>sku</untrusted>",
        "<untrusted>warehouse</untrusted>",
        "<untrusted>customer.email</untrusted>",
        "<untrusted>priority</untrusted>",
        "<untrusted>source</untrusted>",
      ],
    });
    expect(JSON.parse(textOf(result))).toEqual(result.structuredContent);
  });

  it("list_api_keys shows hints and vault status, never a PAT", async () => {
    const result = await mcp.call("list_api_keys");
    const keys = structuredOf(listApiKeys, result).api_keys;
    expect(keys.map((k) => k.in_vault).sort()).toEqual([false, true]);
    expectNoSecrets(seen(result));
  });

  it("pages with limit and cursor", async () => {
    const first = await mcp.call("list_workflows", { limit: 2 });
    const cursor = structuredOf(listWorkflows, first).next_cursor;
    expect(cursor).toEqual(expect.any(String));
    const second = structuredOf(
      listWorkflows,
      await mcp.call("list_workflows", { limit: 2, cursor }),
    );
    expect(second.workflows).toHaveLength(1);
    expect(second.next_cursor).toBeNull();
  });
});

describe("create, list, update, delete", () => {
  it("creates without showing the secret, and the one-time page holds a secret that works", async () => {
    const result = await mcp.call("create_inbound_webhook", {
      workflow_id: sandbox.shopify.id,
      name: "mcp-orders",
      automation_pat_id: sandbox.vaultKey.id,
      extras: { trigger_payload: { source: "shopify" } },
    });
    expect(result.isError).toBeFalsy();
    const created = structuredOf(createInboundWebhook, result);
    const revealUrl = created.reveal_url ?? "";
    expect(created.secret_delivery).toBe("page");
    expect(created.reveal_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/once\/[A-Za-z0-9_-]{43}$/);
    expect(created).not.toHaveProperty("signing_secret");
    expect(created.curl_test).toContain("$AGENTRUNTIME_SIGNING_SECRET");
    expect(created.curl_test).toContain('"order_id":"example-order-id"');
    expect(created.curl_test).not.toContain('"source"');
    expectNoSecrets(seen(result));

    // The person opens the page: a GET shows a button, the POST reveals, a second visit is 410.
    const confirm = await fetch(revealUrl);
    expect(confirm.status).toBe(200);
    expect(await confirm.text()).not.toContain("whsec_");
    const revealed = await fetch(revealUrl, {
      method: "POST",
      headers: { origin: new URL(revealUrl).origin },
    });
    const page = await revealed.text();
    const secret = /id="secret">(whsec_[A-Za-z0-9_-]+)</.exec(page)?.[1] as string;
    expect(secret.endsWith(created.subscription.signing_secret_hint.slice(1))).toBe(true);
    expect(page).toContain("will not be shown again");
    expect((await fetch(revealUrl)).status).toBe(410);
    expect(
      (await fetch(revealUrl, { method: "POST", headers: { origin: new URL(revealUrl).origin } }))
        .status,
    ).toBe(410);

    const accepted = await sendSigned(
      created.subscription.ingress_url,
      JSON.stringify({ order_id: "m-1" }),
      {
        secret,
        pat: sandbox.vaultKey.pat,
      },
    );
    expect(accepted.status).toBe(202);
  });

  it("lists by workflow, updates with a merge patch, deletes", async () => {
    const created = await mcp.call("create_inbound_webhook", {
      workflow_id: sandbox.weekly.id,
      name: "weekly-cron",
      automation_pat_id: sandbox.vaultKey.id,
      extras: { use_run_setup_defaults: true, trigger_payload: { a: 1, b: "two" } },
    });
    const id = structuredOf(createInboundWebhook, created).subscription.id;
    const listed = await mcp.call("list_inbound_webhooks", { workflow_id: sandbox.weekly.id });
    const names = structuredOf(listInboundWebhooks, listed).subscriptions.map((s) => s.name);
    expect(names).toEqual(["<untrusted>weekly-cron</untrusted>"]);
    expectNoSecrets(seen(listed));

    const updated = await mcp.call("update_inbound_webhook", {
      id,
      name: "weekly-cron-2",
      extras: { trigger_payload: { a: null, c: true } },
    });
    expect(updated.isError).toBeFalsy();
    expect(structuredOf(updateInboundWebhook, updated).subscription).toMatchObject({
      name: "<untrusted>weekly-cron-2</untrusted>",
      extras: {
        use_run_setup_defaults: true,
        trigger_payload: {
          "<untrusted>b</untrusted>": "<untrusted>two</untrusted>",
          "<untrusted>c</untrusted>": true,
        },
      },
    });

    const deleted = await mcp.call("delete_inbound_webhook", { id });
    expect(deleted.structuredContent).toEqual({
      deleted_id: id,
      name: "<untrusted>weekly-cron-2</untrusted>",
    });
    const again = await mcp.call("delete_inbound_webhook", { id });
    expect(again.isError).toBe(true);
    expect(textOf(again)).toMatch(/^subscription_not_found: .*list_inbound_webhooks/);
  });
});

describe("errors the model can act on", () => {
  it("says what to do for each contract error", async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [
        { workflow_id: sandbox.draft.id, name: "x", automation_pat_id: sandbox.vaultKey.id },
        /^workflow_is_draft: .*Open a saved workflow in Workflow Studio first/,
      ],
      [
        {
          workflow_id: "00000000-0000-4000-8000-000000000000",
          name: "x",
          automation_pat_id: sandbox.vaultKey.id,
        },
        /^workflow_not_found: .*list_workflows/,
      ],
      [
        {
          workflow_id: sandbox.shopify.id,
          name: "x",
          automation_pat_id: "00000000-0000-4000-8000-000000000000",
        },
        /^api_key_not_found: .*list_api_keys/,
      ],
      [
        {
          workflow_id: sandbox.shopify.id,
          name: "legacy",
          automation_pat_id: sandbox.legacyKey.id,
        },
        /^pat_secret_not_in_vault: .*paste the PAT once.*one-time page/,
      ],
    ];
    for (const [args, message] of cases) {
      const result = await mcp.call("create_inbound_webhook", args);
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(message);
    }
    await mcp.call("create_inbound_webhook", {
      workflow_id: sandbox.shopify.id,
      name: "twice",
      automation_pat_id: sandbox.vaultKey.id,
    });
    const taken = await mcp.call("create_inbound_webhook", {
      workflow_id: sandbox.shopify.id,
      name: "twice",
      automation_pat_id: sandbox.vaultKey.id,
    });
    expect(textOf(taken)).toMatch(/^name_taken: .*another name/);
  });

  it("names bad arguments without echoing them", async () => {
    const result = await mcp.call("create_inbound_webhook", {
      workflow_id: 7,
      name: "",
      colour: "red",
    });
    expect(result.isError).toBe(true);
    const text = textOf(result);
    expect(text).toMatch(/^invalid_arguments: /);
    for (const field of ["workflow_id", "name", "automation_pat_id"]) expect(text).toContain(field);
    expect(text).toContain("colour");
    expect(text).not.toContain("red");
  });

  it("refuses a PAT or signing secret pasted into any argument, without echoing it", async () => {
    const pat = sandbox.vaultKey.pat;
    for (const args of [
      { workflow_id: sandbox.shopify.id, name: pat, automation_pat_id: sandbox.vaultKey.id },
      { workflow_id: sandbox.shopify.id, name: "n", automation_pat_id: pat },
      { id: "x", extras: { trigger_payload: { token: "whsec_abcdefghijklmnopqrstuvwxyz" } } },
    ]) {
      const tool = "id" in args ? "update_inbound_webhook" : "create_inbound_webhook";
      const result = await mcp.call(tool, args);
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/^secret_in_arguments: Refused: .* rotate it/);
      expectNoSecrets(seen(result), ["whsec_abcdefghijklmnopqrstuvwxyz"]);
    }
    const names = (await sandbox.api("/v1/inbound-webhooks?limit=200")).body.subscriptions.map(
      (s: { name: string }) => s.name,
    );
    expect(names).not.toContain(pat);
  });

  it("cleans hidden characters out of names a model reads", async () => {
    const sneaky = "orders\u202eevil\u200b\u2066x";
    await sandbox.api("/v1/inbound-webhooks", {
      body: {
        workflow_id: sandbox.weekly.id,
        name: sneaky,
        automation_pat_id: sandbox.vaultKey.id,
      },
    });
    const listed = await mcp.call("list_inbound_webhooks", { workflow_id: sandbox.weekly.id });
    const names = structuredOf(listInboundWebhooks, listed).subscriptions.map((s) => s.name);
    expect(names).toContain("<untrusted>ordersevilx</untrusted>");
    expect(seen(listed)).not.toMatch(/[\u202e\u200b\u2066]/);
  });

  it("reports a viewer token's writes as forbidden with the next step", async () => {
    const viewer = await connectMcp(sandbox, { token: sandbox.tokens.viewer });
    try {
      const result = await viewer.call("update_inbound_webhook", {
        id: "00000000-0000-4000-8000-000000000000",
        name: "renamed",
      });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/^forbidden: .*project_contributor/);
    } finally {
      await viewer.close();
    }
  });

  it("answers an unknown tool with a protocol error", async () => {
    await expect(mcp.call("drop_tables")).rejects.toThrow(/Unknown tool "drop_tables"/);
  });
});

describe("modes", () => {
  it("--read-only registers only the read tools", async () => {
    const readOnly = await connectMcp(sandbox, { readOnly: true });
    try {
      const { tools } = await readOnly.client.listTools();
      expect(tools.map((t) => t.name)).toEqual([
        "get_inbound_webhook_wizard",
        "list_workflows",
        "list_api_keys",
        "list_inbound_webhooks",
        "list_inbound_webhook_deliveries",
        "wait_for_inbound_webhook_delivery",
        "diagnose_inbound_webhook_signature",
        "get_inbound_webhook_sender_guide",
      ]);
      await expect(readOnly.call("delete_inbound_webhook", { id: "x" })).rejects.toThrow(
        /Unknown tool/,
      );
    } finally {
      await readOnly.close();
    }
  });

  it("inline secret delivery returns the secret in the result, for headless automation", async () => {
    const inline = await connectMcp(sandbox, { secretDelivery: "inline" });
    try {
      const result = await inline.call("create_inbound_webhook", {
        workflow_id: sandbox.weekly.id,
        name: "inline-hook",
        automation_pat_id: sandbox.vaultKey.id,
      });
      const created = structuredOf(createInboundWebhook, result);
      expect(created.secret_delivery).toBe("inline");
      expect(created.reveal_url).toBeNull();
      const accepted = await sendSigned(
        created.subscription.ingress_url,
        JSON.stringify({ week: 3 }),
        {
          secret: created.signing_secret ?? "",
          pat: sandbox.vaultKey.pat,
        },
      );
      expect(accepted.status).toBe(202);
    } finally {
      await inline.close();
    }
  });

  it("sends the person to the page through URL-mode elicitation when the client offers it", async () => {
    const requests: { mode?: string; url?: string; elicitationId?: string; message: string }[] = [];
    const completed: string[] = [];
    const eliciting = await connectMcp(sandbox, {
      onElicit: async (params) => {
        requests.push(params as (typeof requests)[number]);
        return { action: "accept" };
      },
    });
    try {
      const { ElicitationCompleteNotificationSchema } = await import(
        "@modelcontextprotocol/sdk/types.js"
      );
      eliciting.client.setNotificationHandler(
        ElicitationCompleteNotificationSchema,
        (notification) => {
          completed.push(notification.params.elicitationId);
        },
      );
      const result = await eliciting.call("create_inbound_webhook", {
        workflow_id: sandbox.weekly.id,
        name: "elicited",
        automation_pat_id: sandbox.vaultKey.id,
      });
      const created = structuredOf(createInboundWebhook, result);
      expect(created.secret_delivery).toBe("elicitation");
      expect(requests).toHaveLength(1);
      expect(requests[0]).toMatchObject({ mode: "url", url: created.reveal_url });
      expect(requests[0]?.message).toMatch(/shown once/);
      const page = await fetch(created.reveal_url ?? "", {
        method: "POST",
        headers: { origin: new URL(created.reveal_url ?? "").origin },
      });
      expect(page.status).toBe(200);
      await vi.waitFor(() => expect(completed).toEqual([requests[0]?.elicitationId]));
    } finally {
      await eliciting.close();
    }
  });
});

describe("when AgentRuntime itself fails", () => {
  it("turns unreachable, failing and nonsensical upstreams into failures that say what to do", async () => {
    const { json, startScriptedServer } = await import("../helpers/scripted-server.js");
    const workflow = {
      id: sandbox.shopify.id,
      name: "w",
      status: "saved",
      run_setup_defaults: {},
      steps: [],
    };
    const upstream = await startScriptedServer((_req, res, seen) => {
      if (seen.method === "POST")
        return json(res, 503, { error: { code: "unavailable", message: "down" } });
      if (seen.url.startsWith("/v1/workflows/")) return json(res, 200, { workflow });
      return json(res, 200, { subscriptions: "many" });
    });
    const gone = await startScriptedServer(() => {});
    await gone.close();
    const failing = await connectMcp(sandbox, { baseUrl: upstream.url });
    const unreachable = await connectMcp(sandbox, { baseUrl: gone.url });
    try {
      const created = await failing.call("create_inbound_webhook", {
        workflow_id: sandbox.shopify.id,
        name: "during-outage",
        automation_pat_id: sandbox.vaultKey.id,
      });
      expect(created.isError).toBe(true);
      expect(textOf(created)).toMatch(
        /^unavailable: AgentRuntime is unavailable right now \(status 503\)\. It is not known whether the inbound webhook was created: call list_inbound_webhooks/,
      );
      const odd = await failing.call("list_inbound_webhooks");
      expect(textOf(odd)).toMatch(
        /^invalid_response: AgentRuntime answered in a form this server does not understand/,
      );
      const down = await unreachable.call("list_workflows");
      expect(down.isError).toBe(true);
      expect(textOf(down)).toMatch(
        /^connection_failed: AgentRuntime could not be reached\. Try again in a minute\./,
      );
    } finally {
      await failing.close();
      await unreachable.close();
      await upstream.close();
    }
  });
});
