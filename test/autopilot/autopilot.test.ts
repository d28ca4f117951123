import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Autopilot, systemPrompt } from "../../src/autopilot/autopilot.js";
import { openAiProvider } from "../../src/autopilot/provider.js";
import {
  type ChatRequest,
  lastToolResult,
  type ScriptedTurn,
  startFakeOpenAi,
} from "../helpers/fake-openai.js";
import { type ConnectedMcp, connectMcp } from "../helpers/mcp.js";
import { startTestSandbox, type TestSandbox } from "../helpers/sandbox.js";

const run = promisify(execFile);

let sandbox: TestSandbox;
const everythingSent: ChatRequest[] = [];
const closers: (() => Promise<void>)[] = [];
const revealedSecrets: string[] = [];
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(async () => {
  for (const close of closers) await close();
  // Everything any scripted model was ever sent, across all tests: no secret, no PAT.
  const sent = JSON.stringify(everythingSent);
  expect(everythingSent.length).toBeGreaterThan(20);
  for (const secret of [
    ...revealedSecrets,
    sandbox.vaultKey.pat,
    sandbox.legacyKey.pat,
    sandbox.tokens.contributor,
  ]) {
    expect(sent).not.toContain(secret);
  }
  expect(sent).not.toMatch(/whsec_[A-Za-z0-9_-]{16,}/);
  expect(sent).not.toMatch(/pat_[A-Za-z0-9_-]{16,}/);
  await sandbox.stop();
});

/** An Autopilot on the real openai SDK, against a fake model server that plays `script`. */
async function autopilotWith(
  script: (request: ChatRequest, index: number) => ScriptedTurn,
  maxToolRounds?: number,
) {
  const fake = await startFakeOpenAi(script);
  const mcp: ConnectedMcp = await connectMcp(sandbox);
  closers.push(async () => {
    everythingSent.push(...fake.requests);
    await mcp.close();
    await fake.close();
  });
  const autopilot = new Autopilot({
    provider: openAiProvider({
      model: "scripted-model",
      baseUrl: fake.baseUrl,
      apiKey: "sk-test",
      maxRetries: 3,
    }),
    mcp: mcp.client,
    systemPrompt: systemPrompt({ workflowId: sandbox.shopify.id }),
    maxToolRounds,
  });
  return { autopilot, fake, mcp };
}

/** The wizard id from the first wizard result the model was sent. */
function wizardIdOf(request: ChatRequest): string {
  for (const message of request.messages) {
    if (message.role !== "tool" || !message.content) continue;
    const match = /"wizard_id":"([0-9a-f-]{36})"/.exec(message.content);
    if (match) return match[1] as string;
  }
  throw new Error("no wizard id in the conversation yet");
}

const answer = (
  request: ChatRequest,
  action: string,
  value: string | null = null,
): ScriptedTurn => ({
  tool: "answer_inbound_webhook_wizard",
  // strict mode: every field present, null for "not given"
  args: {
    wizard_id: wizardIdOf(request),
    action,
    value,
    use_run_setup_defaults: null,
    trigger_payload: null,
  },
});

async function revealFrom(url: string): Promise<string> {
  return (await revealPage(url)).secret;
}

/** The secret page after the person's click: the secret and the curl test it hands them. */
async function revealPage(url: string): Promise<{ secret: string; curl: string }> {
  const page = await (
    await fetch(url, { method: "POST", headers: { origin: new URL(url).origin } })
  ).text();
  const secret = /id="secret">(whsec_[A-Za-z0-9_-]+)</.exec(page)?.[1] as string;
  revealedSecrets.push(secret);
  const escaped = /<pre[^>]* id="curl">([^<]*)<\/pre>/.exec(page)?.[1] ?? "";
  const curl = escaped.replace(/&#(\d+);/g, (_all, code: string) =>
    String.fromCharCode(Number(code)),
  );
  return { secret, curl };
}

describe("Autopilot over the real openai SDK and a scripted model", () => {
  it("runs the whole wizard in conversation, and the curl test the person is handed starts a run", async () => {
    const turns: ((request: ChatRequest) => ScriptedTurn)[] = [
      () => ({
        tool: "start_inbound_webhook_wizard",
        args: { workflow_id: sandbox.shopify.id, sender: "Shopify" },
      }),
      () => ({ text: "What should the webhook be called? I suggest shopify-events." }),
      (r) => answer(r, "set_name", "shopify-orders-chat"),
      () => ({ text: "Which API key will Shopify use?" }),
      (r) => answer(r, "choose_api_key", sandbox.vaultKey.id),
      () => ({ text: "Any extras? Most people skip them." }),
      (r) => answer(r, "skip_extras"),
      () => ({ text: "Shall I create it?" }),
      (r) => answer(r, "confirm"),
      (r) => ({
        text: `Created. Open ${String(lastToolResult(r).json?.reveal_url)} to copy the signing secret.`,
      }),
      (r) => answer(r, "finish"),
      () => ({ text: "All set. The curl test is on the secret page." }),
    ];
    const { autopilot, fake } = await autopilotWith((request, index) =>
      (turns[index] as (r: ChatRequest) => ScriptedTurn)(request),
    );
    const streamed: string[] = [];
    const say = (text: string) => autopilot.send(text, { onText: (delta) => streamed.push(delta) });

    expect((await say("Start my workflow whenever Shopify sends an order")).text).toMatch(
      /I suggest/,
    );
    await say("call it shopify-orders-chat");
    await say("the automation key");
    await say("no extras");
    const created = await say("yes, create it");
    const revealUrl = /Open (\S+) to copy/.exec(created.text)?.[1] as string;
    expect(revealUrl).toMatch(/\/once\//);
    const { secret, curl } = await revealPage(revealUrl);
    expect((await say("I stored it")).text).toBe("All set. The curl test is on the secret page.");
    expect(streamed.join("")).toContain("All set.");

    // What the model was offered: strict function tools, one call at a time.
    const first = fake.requests[0] as ChatRequest;
    expect(first.parallel_tool_calls).toBe(false);
    expect(first.messages[0]?.content).toContain("start_inbound_webhook_wizard");
    for (const tool of first.tools ?? []) {
      expect(tool.function.strict).toBe(true);
      expect(tool.function.parameters.additionalProperties).toBe(false);
      const properties = Object.keys(tool.function.parameters.properties as object);
      expect(tool.function.parameters.required).toEqual(properties);
    }

    const finished = lastToolResult(fake.requests.at(-1) as ChatRequest).json as {
      step: string;
      say: string;
    };
    expect(finished.step).toBe("done");
    // The person already holds the curl test from the secret page, so done points to it.
    expect(finished.say).toContain("on the card and on the secret page");
    const { stdout } = await run("bash", ["-c", curl], {
      env: {
        PATH: process.env.PATH,
        AGENTRUNTIME_SIGNING_SECRET: secret,
        AGENTRUNTIME_PAT: sandbox.vaultKey.pat,
      },
    });
    expect(stdout).toContain("HTTP 202");
    const runId = JSON.parse(stdout.split("\n")[0] as string).run_id;
    expect((await sandbox.api(`/v1/runs/${runId}`)).body.run.status).toBe("succeeded");
  });

  it("takes the PAT paste fallback through the one-time page", async () => {
    const turns: ((request: ChatRequest) => ScriptedTurn)[] = [
      () => ({
        tool: "start_inbound_webhook_wizard",
        args: { workflow_id: sandbox.weekly.id, sender: null },
      }),
      (r) => answer(r, "set_name", "legacy-chat"),
      (r) => answer(r, "choose_api_key", sandbox.legacyKey.id),
      (r) => ({
        text: `Paste the PAT at ${String(lastToolResult(r).json?.paste_url)} and tell me when done.`,
      }),
      (r) => answer(r, "continue"),
      (r) => answer(r, "skip_extras"),
      (r) => answer(r, "confirm"),
      (r) => ({ text: `Created; the secret is at ${String(lastToolResult(r).json?.reveal_url)}` }),
    ];
    const { autopilot } = await autopilotWith((request, index) =>
      (turns[index] as (r: ChatRequest) => ScriptedTurn)(request),
    );
    const asked = await autopilot.send(
      "Set up a webhook for the weekly report with the legacy key",
    );
    const pasteUrl = /at (\S+) and tell/.exec(asked.text)?.[1] as string;
    const pasted = await fetch(pasteUrl, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin: new URL(pasteUrl).origin,
      },
      body: new URLSearchParams({ secret: sandbox.legacyKey.pat }),
    });
    expect(pasted.status).toBe(200);
    const done = await autopilot.send("done");
    expect(done.text).toMatch(/the secret is at http/);
    await revealFrom(/at (\S+)$/.exec(done.text)?.[1] as string);
    const hooks = (await sandbox.api(`/v1/inbound-webhooks?workflow_id=${sandbox.weekly.id}`)).body
      .subscriptions;
    expect(hooks.find((h: { name: string }) => h.name === "legacy-chat")?.automation_pat_id).toBe(
      sandbox.legacyKey.id,
    );
  });

  it("hands an out-of-order call's isError back to the model, which recovers", async () => {
    const turns: ((request: ChatRequest) => ScriptedTurn)[] = [
      () => ({
        tool: "start_inbound_webhook_wizard",
        args: { workflow_id: sandbox.shopify.id, sender: null },
      }),
      (r) => answer(r, "confirm"),
      (r) => {
        expect(lastToolResult(r).text).toMatch(
          /^Error: answer_not_accepted: confirm is not an answer at step naming/,
        );
        return answer(r, "set_name", "recovered-hook");
      },
      (r) => ({ text: `Now at ${String(lastToolResult(r).json?.step)}.` }),
    ];
    const { autopilot } = await autopilotWith((request, index) =>
      (turns[index] as (r: ChatRequest) => ScriptedTurn)(request),
    );
    expect((await autopilot.send("hook up my shop")).text).toBe("Now at choosingKey.");
  });

  it("stops a model that keeps calling tools at the round cap", async () => {
    const { autopilot, fake } = await autopilotWith(
      () => ({ tool: "list_workflows", args: { limit: null, cursor: null } }),
      3,
    );
    const notices: string[] = [];
    const outcome = await autopilot.send("list things forever", {
      onNotice: (text) => notices.push(text),
    });
    expect(outcome).toMatchObject({ capped: true, toolRounds: 3 });
    expect(fake.requests).toHaveLength(4);
    expect(notices.join(" ")).toMatch(/stopped after 3 tool rounds/);
    const last = autopilot.messages.at(-1);
    expect(last).toMatchObject({
      role: "tool",
      content: expect.stringMatching(/^Not run: this turn reached its limit/),
    });
  });

  it("retries a 429 and a 5xx from the model server", async () => {
    const { autopilot, fake } = await autopilotWith((_request, index) =>
      index === 0
        ? { fail: 429, retryAfterMs: 10 }
        : index === 1
          ? { fail: 503, retryAfterMs: 10 }
          : { text: "Hello again." },
    );
    expect((await autopilot.send("hi")).text).toBe("Hello again.");
    expect(fake.requests).toHaveLength(3);
  });

  it("catches a PAT typed into the chat before anything reaches the model", async () => {
    const { autopilot, fake } = await autopilotWith(() => ({
      text: "Please use the private page instead.",
    }));
    const notices: string[] = [];
    const outcome = await autopilot.send(
      `my key is ${sandbox.vaultKey.pat} and the secret whsec_abcdefghijklmnop`,
      {
        onNotice: (text) => notices.push(text),
      },
    );
    expect(outcome.secretRemoved).toBe(true);
    expect(notices[0]).toMatch(/removed before anything was sent to the model.*rotate/);
    const sent = JSON.stringify(fake.requests);
    expect(sent).toContain("my key is [secret removed] and the secret [secret removed]");
    expect(sent).not.toContain(sandbox.vaultKey.pat);
  });
});
