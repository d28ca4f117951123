import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPEN_SAVED_WORKFLOW } from "../../src/wizard/machine.js";
import type { StepView } from "../../src/wizard/steps.js";
import { getInboundWebhookWizard } from "../../tools/get-inbound-webhook-wizard.js";
import { connectMcp, structuredOf, textOf } from "../helpers/mcp.js";
import {
  type ConnectOptions,
  hostedMode,
  localMode,
  type ModeConnection,
  type ServerMode,
} from "../helpers/modes.js";
import { startTestPostgres, type TestPostgres } from "../helpers/postgres.js";
import { startTestSandbox, type TestSandbox, tempDir } from "../helpers/sandbox.js";
import { json, startScriptedServer } from "../helpers/scripted-server.js";

const run = promisify(execFile);

let sandbox: TestSandbox;
let postgres: TestPostgres;
beforeAll(async () => {
  [sandbox, postgres] = await Promise.all([startTestSandbox(), startTestPostgres()]);
});
afterAll(async () => {
  await sandbox?.stop();
  postgres?.stop();
});

const modes: [string, () => Promise<ServerMode>][] = [
  ["local mode (SQLite)", () => localMode(sandbox)],
  ["hosted mode (PostgreSQL)", () => hostedMode(sandbox, postgres)],
];

/** A tool call as a model makes it, keeping everything the model would read. */
function modelSession(mcp: ModeConnection) {
  const transcript: CallToolResult[] = [];
  const call = async (name: string, args: Record<string, unknown>) => {
    const result = await mcp.call(name, args);
    transcript.push(result);
    return result;
  };
  return {
    transcript,
    calls: () => transcript.length,
    start: async (args: Record<string, unknown>) =>
      view(await call("start_inbound_webhook_wizard", args)),
    answer: async (wizard: StepView, action: string, extra: Record<string, unknown> = {}) =>
      call("answer_inbound_webhook_wizard", { wizard_id: wizard.wizard_id, action, ...extra }),
  };
}

function view(result: CallToolResult): StepView {
  expect(result.isError, textOf(result)).toBeFalsy();
  return structuredOf(getInboundWebhookWizard, result);
}

/** What the person does on the paste page in their browser. */
async function pastePat(url: string, value: string) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: new URL(url).origin },
    body: new URLSearchParams({ secret: value }),
  });
  return { status: response.status, text: await response.text() };
}

/** What the person does on the reveal page: click, copy the secret. */
async function revealSecret(url: string): Promise<string> {
  const page = await (
    await fetch(url, { method: "POST", headers: { origin: new URL(url).origin } })
  ).text();
  const secret = /id="secret">(whsec_[A-Za-z0-9_-]+)</.exec(page)?.[1];
  expect(secret).toBeDefined();
  return secret as string;
}

function expectNothingSecret(text: string, extra: string[] = []) {
  for (const secret of [
    sandbox.vaultKey.pat,
    sandbox.legacyKey.pat,
    sandbox.tokens.contributor,
    ...extra,
  ]) {
    expect(text).not.toContain(secret);
  }
  expect(text).not.toMatch(/whsec_[A-Za-z0-9_-]{16,}/);
}

let counter = 0;
const uniqueName = (prefix: string) => `${prefix}-${++counter}`;

describe.each(modes)("%s", (_name, openMode) => {
  let mode: ServerMode;
  beforeAll(async () => {
    mode = await openMode();
  });
  afterAll(() => mode?.close());
  const connect = (options?: ConnectOptions) => mode.connect(options);

  describe("the wizard over MCP", () => {
    it("walks the happy path in one call per decision, and its curl test starts a run", async () => {
      const mcp = await connect();
      const model = modelSession(mcp);
      let step = await model.start({ workflow_id: sandbox.shopify.id, sender: "Shopify" });
      expect(step.step).toBe("naming");
      expect(step.say).toContain("Fulfil Shopify order");
      expect(step.answers.map((a) => a.action)).toEqual(["set_name", "back", "cancel"]);
      expect(step.answers[0]?.options?.[0]?.value).toBe("shopify-events");
      const name = uniqueName("shopify-orders");

      step = view(await model.answer(step, "set_name", { value: name }));
      expect(step.step).toBe("choosingKey");
      const keyOptions = step.answers.find((a) => a.action === "choose_api_key")?.options ?? [];
      expect(keyOptions.map((o) => o.value).sort()).toEqual(
        [sandbox.legacyKey.id, sandbox.vaultKey.id].sort(),
      );

      step = view(await model.answer(step, "choose_api_key", { value: sandbox.vaultKey.id }));
      expect(step.step).toBe("extras");
      step = view(
        await model.answer(step, "set_extras", {
          use_run_setup_defaults: true,
          trigger_payload: { source: "shopify" },
        }),
      );
      expect(step.step).toBe("confirming");
      expect(step.say).toContain(name);
      expect(step.card.fields).toMatchObject({
        name: `<untrusted>${name}</untrusted>`,
        use_run_setup_defaults: true,
        paste_pat: false,
      });

      step = view(await model.answer(step, "confirm"));
      expect(step.step).toBe("awaitingReveal");
      expect(step.reveal_url).toMatch(/\/once\//);
      expect(step.card.curl_test).toContain("--data-binary @-");

      const secret = await revealSecret(step.reveal_url as string);
      step = view(await model.answer(step, "finish"));
      expect(step).toMatchObject({ step: "done", status: "done", answers: [] });
      expect(step.card.fields.secret_revealed).toBe(true);
      expect(model.calls()).toBe(6);

      // The hand-over really works: bash runs the curl test with the secret and PAT in the environment.
      const { stdout } = await run("bash", ["-c", step.card.curl_test as string], {
        env: {
          PATH: process.env.PATH,
          AGENTRUNTIME_SIGNING_SECRET: secret,
          AGENTRUNTIME_PAT: sandbox.vaultKey.pat,
        },
      });
      expect(stdout).toContain("HTTP 202");
      const runId = JSON.parse(stdout.split("\n")[0] as string).run_id;
      const started = (await sandbox.api(`/v1/runs/${runId}`)).body.run;
      expect(started.input).toMatchObject({
        order_id: "example-order-id",
        source: "shopify",
        warehouse: "berlin-1",
      });

      expectNothingSecret(JSON.stringify(model.transcript), [secret]);
      const stored = await mcp.dump();
      // the check below means something only if the setup was stored at all
      expect(stored).toContain(name);
      expectNothingSecret(stored, [secret]);
      expectNothingSecret(mcp.logs(), [secret]);
    });

    it("collects a PAT that is not in Vault on the one-time paste page, checking it first", async () => {
      const mcp = await connect();
      const model = modelSession(mcp);
      let step = await model.start({ workflow_id: sandbox.weekly.id });
      step = view(await model.answer(step, "set_name", { value: uniqueName("legacy") }));
      step = view(await model.answer(step, "choose_api_key", { value: sandbox.legacyKey.id }));
      expect(step.step).toBe("pastingPat");
      expect(step.paste_url).toMatch(/\/once\//);
      expect(step.say).toMatch(/paste_url/);

      const pasteUrl = step.paste_url as string;
      const page = await fetch(pasteUrl);
      expect(await page.text()).toContain('type="password"');
      expect((await pastePat(pasteUrl, "not a token")).status).toBe(422);
      const wrongKey = await pastePat(pasteUrl, sandbox.vaultKey.pat);
      expect(wrongKey.status).toBe(422);
      expect(wrongKey.text).toContain("is not the PAT of");
      expect(wrongKey.text).not.toContain(sandbox.vaultKey.pat);
      // nothing accepted yet: the wizard is still waiting
      expect(view(await model.answer(step, "continue")).step).toBe("pastingPat");
      const accepted = await pastePat(pasteUrl, sandbox.legacyKey.pat);
      expect(accepted.status).toBe(200);
      expect((await fetch(pasteUrl)).status).toBe(410);

      step = view(await model.answer(step, "continue"));
      expect(step.step).toBe("extras");
      step = view(await model.answer(step, "skip_extras"));
      expect(step.card.fields.paste_pat).toBe(true);
      step = view(await model.answer(step, "confirm"));
      expect(step.step).toBe("awaitingReveal");
      const created = (await sandbox.api(`/v1/inbound-webhooks?workflow_id=${sandbox.weekly.id}`))
        .body.subscriptions[0];
      expect(created.automation_pat_id).toBe(sandbox.legacyKey.id);

      expectNothingSecret(JSON.stringify(model.transcript));
      expectNothingSecret(await mcp.dump());
    });

    it("asks for a paste when create says the secret is not in Vault, then returns to the summary", async () => {
      const mcp = await connect();
      const model = modelSession(mcp);
      let step = await model.start({ workflow_id: sandbox.weekly.id });
      step = view(await model.answer(step, "set_name", { value: uniqueName("vault-gone") }));
      step = view(await model.answer(step, "choose_api_key", { value: sandbox.vaultKey.id }));
      step = view(await model.answer(step, "skip_extras"));
      const sealed = sandbox.store.db
        .prepare("SELECT vault_secret FROM api_keys WHERE id = ?")
        .get(sandbox.vaultKey.id) as { vault_secret: string };
      sandbox.store.db
        .prepare("UPDATE api_keys SET vault_secret = NULL WHERE id = ?")
        .run(sandbox.vaultKey.id);
      try {
        step = view(await model.answer(step, "confirm"));
        expect(step.step).toBe("pastingPat");
        expect(step.say).toMatch(/not in Vault/);
        await pastePat(step.paste_url as string, sandbox.vaultKey.pat);
        step = view(await model.answer(step, "continue"));
        expect(step.step).toBe("confirming");
        step = view(await model.answer(step, "confirm"));
        expect(step.step).toBe("awaitingReveal");
      } finally {
        sandbox.store.db
          .prepare("UPDATE api_keys SET vault_secret = ? WHERE id = ?")
          .run(sealed.vault_secret, sandbox.vaultKey.id);
      }
    });

    it("answers a draft workflow with the documentation's sentence and a pick of saved ones", async () => {
      const mcp = await connect();
      const model = modelSession(mcp);
      const step = await model.start({ workflow_id: sandbox.draft.id });
      expect(step.step).toBe("choosingWorkflow");
      expect(step.say).toContain(OPEN_SAVED_WORKFLOW);
      const offered = step.answers[0]?.options?.map((o) => o.value) ?? [];
      expect(offered.sort()).toEqual([sandbox.shopify.id, sandbox.weekly.id].sort());
      const refused = await model.answer(step, "pick_workflow", { value: sandbox.draft.id });
      expect(refused.isError).toBe(true);
      expect(textOf(refused)).toMatch(
        /^answer_not_accepted: value must be one of the listed option values\. .*Legal answers: pick_workflow \(value: /,
      );
      const picked = view(await model.answer(step, "pick_workflow", { value: sandbox.weekly.id }));
      expect(picked.step).toBe("naming");
    });

    it("refuses out-of-order and invalid answers with the legal ones, changing nothing", async () => {
      const mcp = await connect();
      const model = modelSession(mcp);
      const step = await model.start({ workflow_id: sandbox.shopify.id });
      const early = await model.answer(step, "confirm");
      expect(early.isError).toBe(true);
      expect(textOf(early)).toMatch(
        /confirm is not an answer at step naming\. .*Legal answers: set_name .*back, cancel/,
      );
      const empty = await model.answer(step, "set_name", { value: "  " });
      expect(textOf(empty)).toMatch(/value: name must not be empty/);
      await sandbox.api("/v1/inbound-webhooks", {
        body: {
          workflow_id: sandbox.shopify.id,
          name: "Already-There",
          automation_pat_id: sandbox.vaultKey.id,
        },
      });
      const fresh = await model.start({ workflow_id: sandbox.shopify.id });
      const taken = await model.answer(fresh, "set_name", { value: "already-there" });
      expect(textOf(taken)).toMatch(/already the name of an inbound webhook on this workflow/);
      const leaked = await model.answer(fresh, "set_name", { value: sandbox.vaultKey.pat });
      expect(textOf(leaked)).toMatch(/^secret_in_arguments/);
      expectNothingSecret(JSON.stringify(model.transcript));
      expect(
        view(await mcp.call("get_inbound_webhook_wizard", { wizard_id: fresh.wizard_id })).step,
      ).toBe("naming");
      const unknown = await mcp.call("get_inbound_webhook_wizard", { wizard_id: "no-such-wizard" });
      expect(textOf(unknown)).toMatch(/^wizard_not_found: .*start_inbound_webhook_wizard/);
    });

    it("survives an AgentRuntime failure at create: retry creates exactly one webhook", async () => {
      let failures = 3; // more than the client's own two retries
      const proxy = await startScriptedServer((_req, res, seen) => {
        if (seen.method === "POST" && seen.url === "/v1/inbound-webhooks" && failures > 0) {
          failures -= 1;
          return json(res, 503, {
            error: { code: "unavailable", message: "Down for maintenance." },
          });
        }
        fetch(`${sandbox.url}${seen.url}`, {
          method: seen.method,
          headers: Object.fromEntries(
            Object.entries(seen.headers).filter(
              ([k, v]) => typeof v === "string" && k !== "host" && k !== "content-length",
            ),
          ) as Record<string, string>,
          body: seen.method === "GET" ? undefined : seen.body,
        }).then(async (answer) => {
          res.writeHead(answer.status, { "content-type": "application/json" });
          res.end(await answer.text());
        });
      });
      try {
        const mcp = await connect({ baseUrl: proxy.url });
        const model = modelSession(mcp);
        const name = uniqueName("flaky");
        let step = await model.start({ workflow_id: sandbox.weekly.id });
        step = view(await model.answer(step, "set_name", { value: name }));
        step = view(await model.answer(step, "choose_api_key", { value: sandbox.vaultKey.id }));
        step = view(await model.answer(step, "skip_extras"));
        step = view(await model.answer(step, "confirm"));
        expect(step.step).toBe("createFailed");
        expect(step.answers.map((a) => a.action)).toEqual(["retry", "back", "cancel"]);
        expect(step.say).toMatch(/safe, it never creates a second webhook/);
        step = view(await model.answer(step, "retry"));
        expect(step.step).toBe("awaitingReveal");
        const list = (
          await sandbox.api(`/v1/inbound-webhooks?workflow_id=${sandbox.weekly.id}&limit=200`)
        ).body.subscriptions;
        expect(list.filter((s: { name: string }) => s.name === name)).toHaveLength(1);
      } finally {
        await proxy.close();
      }
    });

    it("resumes after a restart, from the stored snapshot, and still reveals the secret once", async () => {
      const wizardDb = join(tempDir(), "wizards.db");
      const first = await connect({ wizardDb });
      let step = await modelSession(first).start({ workflow_id: sandbox.weekly.id });
      const id = step.wizard_id;
      step = view(
        await first.call("answer_inbound_webhook_wizard", {
          wizard_id: id,
          action: "set_name",
          value: uniqueName("restarted"),
        }),
      );
      step = view(
        await first.call("answer_inbound_webhook_wizard", {
          wizard_id: id,
          action: "choose_api_key",
          value: sandbox.vaultKey.id,
        }),
      );
      step = view(
        await first.call("answer_inbound_webhook_wizard", { wizard_id: id, action: "skip_extras" }),
      );
      step = view(
        await first.call("answer_inbound_webhook_wizard", { wizard_id: id, action: "confirm" }),
      );
      expect(step.step).toBe("awaitingReveal");
      const lostPage = step.reveal_url as string;
      await first.close();

      // A new server process (hosted: another replica): in-memory state is gone, the snapshot is not.
      const second = await connect({ wizardDb });
      const resumed = view(await second.call("get_inbound_webhook_wizard", { wizard_id: id }));
      expect(resumed.step).toBe("awaitingReveal");
      // Local pages live in memory and are issued anew; hosted ones are sealed in the shared store and outlive a replica.
      if (mode.hosted) expect(resumed.reveal_url).toBe(lostPage);
      else expect(resumed.reveal_url).not.toBe(lostPage);
      const secret = await revealSecret(resumed.reveal_url as string);
      const done = view(
        await second.call("answer_inbound_webhook_wizard", { wizard_id: id, action: "finish" }),
      );
      expect(done.step).toBe("done");
      // the secret from the new page is the webhook's secret
      const hint = done.card.fields.signing_secret_hint as string;
      expect(secret.endsWith(hint.slice(1))).toBe(true);
      expectNothingSecret(await second.dump(), [secret]);
    });
  });

  describe("the wizard's last step over MCP", () => {
    it("waits for the person's own request: a badly signed one is explained, the fixed one reports the run", async () => {
      const mcp = await connect();
      const model = modelSession(mcp);
      let step = await model.start({ workflow_id: sandbox.weekly.id });
      step = view(await model.answer(step, "set_name", { value: uniqueName("tested") }));
      step = view(await model.answer(step, "choose_api_key", { value: sandbox.vaultKey.id }));
      step = view(await model.answer(step, "skip_extras"));
      step = view(await model.answer(step, "confirm"));
      const secret = await revealSecret(step.reveal_url as string);
      step = view(await model.answer(step, "continue"));
      expect(step.step).toBe("handingOver");
      expect(step.answers.map((a) => a.action)).toEqual(["wait_for_test", "send_test", "finish"]);

      // The person runs the curl test with a wrong secret first.
      const curl = step.card.curl_test as string;
      const env = { PATH: process.env.PATH, AGENTRUNTIME_PAT: sandbox.vaultKey.pat };
      await run("bash", ["-c", curl], {
        env: { ...env, AGENTRUNTIME_SIGNING_SECRET: "whsec_not-the-right-one" },
      });
      step = view(await model.answer(step, "wait_for_test"));
      expect(step.step).toBe("testReported");
      expect(step.say).toMatch(/rejected with 401 invalid_signature\. Fix: Sign the exact bytes/);

      const waiting = model.answer(step, "wait_for_test");
      await new Promise((resolve) => setTimeout(resolve, 300));
      await run("bash", ["-c", curl], { env: { ...env, AGENTRUNTIME_SIGNING_SECRET: secret } });
      step = view(await waiting);
      expect(step.say).toMatch(/accepted and started run/);
      expect(step.card.test).toMatchObject({
        accepted: true,
        run: {
          status: "succeeded",
          input: { "<untrusted>week</untrusted>": "<untrusted>example-week</untrusted>" },
        },
      });

      step = view(await model.answer(step, "send_test"));
      expect(step.card.test).toMatchObject({ accepted: true, status: 202 });
      step = view(await model.answer(step, "finish"));
      expect(step.status).toBe("done");
      expectNothingSecret(JSON.stringify(model.transcript), [secret]);
    });
  });
});

describe("the local wizard store", () => {
  it("answers a stored row that is not a wizard snapshot as a wizard it does not know", async () => {
    const mcp = await connectMcp(sandbox, { wizardDb: join(tempDir(), "wizards.db") });
    try {
      mcp.wizardStore.save("damaged-wizard", { value: "naming" });
      const damaged = await mcp.call("get_inbound_webhook_wizard", { wizard_id: "damaged-wizard" });
      expect(textOf(damaged)).toMatch(/^wizard_not_found: .*start_inbound_webhook_wizard/);
    } finally {
      await mcp.close();
    }
  });
});
