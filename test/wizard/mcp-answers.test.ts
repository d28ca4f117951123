import { join } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StepView } from "../../src/wizard/steps.js";
import { runCli } from "../helpers/cli.js";
import { type ConnectedMcp, connectMcp, textOf } from "../helpers/mcp.js";
import { startTestSandbox, type TestSandbox, tempDir } from "../helpers/sandbox.js";

let sandbox: TestSandbox;
const connections: ConnectedMcp[] = [];
const stopped: TestSandbox[] = [];
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(async () => {
  for (const connection of connections) await connection.close().catch(() => {});
  await sandbox.stop();
  for (const other of stopped) await other.stop().catch(() => {});
});

async function connect(on: TestSandbox, options: Parameters<typeof connectMcp>[1] = {}) {
  const connection = await connectMcp(on, options);
  connections.push(connection);
  return connection;
}

function view(result: CallToolResult): StepView {
  expect(result.isError, textOf(result)).toBeFalsy();
  return StepView.parse(result.structuredContent);
}

async function answer(mcp: ConnectedMcp, step: StepView, args: Record<string, unknown>) {
  return mcp.call("answer_inbound_webhook_wizard", { wizard_id: step.wizard_id, ...args });
}

describe("the wizard's answers over MCP", () => {
  it("refuses a PAT given as an answer's value and still lists the step's legal answers", async () => {
    const mcp = await connect(sandbox);
    const step = view(
      await mcp.call("start_inbound_webhook_wizard", { workflow_id: sandbox.shopify.id }),
    );
    expect(step.step).toBe("naming");
    const refused = await answer(mcp, step, { action: "set_name", value: sandbox.vaultKey.pat });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(
      /^secret_in_arguments: .*The wizard stays at step naming\. Legal answers: set_name .*back, cancel\.$/s,
    );
    expect(textOf(refused)).not.toContain(sandbox.vaultKey.pat);
  });

  it("says which name rule failed and suggests a free name, over MCP and in script mode", async () => {
    await sandbox.api("/v1/inbound-webhooks", {
      body: {
        workflow_id: sandbox.weekly.id,
        name: "Taken-Name",
        automation_pat_id: sandbox.vaultKey.id,
      },
    });
    const mcp = await connect(sandbox);
    const step = view(
      await mcp.call("start_inbound_webhook_wizard", { workflow_id: sandbox.weekly.id }),
    );
    const free = step.answers[0]?.options?.[0]?.value;
    expect(free).toBeDefined();
    const taken = await answer(mcp, step, { action: "set_name", value: "taken-name" });
    expect(textOf(taken)).toContain(
      `value is already the name of an inbound webhook on this workflow; pick another (letter case is ignored). A free name: ${free}.`,
    );
    const long = await answer(mcp, step, { action: "set_name", value: "x".repeat(65) });
    expect(textOf(long)).toContain(
      `value: name must be at most 64 characters. A free name: ${free}.`,
    );
    const script = await runCli(
      [
        "wizard",
        "--workflow",
        "Weekly report",
        "--name",
        "taken-name",
        "--api-key",
        "Automation key",
        "--yes",
      ],
      {
        AGENTRUNTIME_API_URL: sandbox.url,
        AGENTRUNTIME_TOKEN: sandbox.tokens.contributor,
        AGENTRUNTIME_SANDBOX_DIR: tempDir(),
      },
    );
    expect(script.code).toBe(2);
    expect(script.stderr).toContain(
      `"taken-name" is already the name of an inbound webhook on "Weekly report" (letter case is ignored). A free name: ${free}.`,
    );
  });

  it("gives the model the step, what to say and the same legal answers, leaving the card to the UI", async () => {
    const mcp = await connect(sandbox);
    const result = await mcp.call("start_inbound_webhook_wizard", {
      workflow_id: sandbox.shopify.id,
    });
    const structured = view(result);
    const read = JSON.parse(textOf(result)) as {
      step: string;
      say: string;
      card?: unknown;
      answers: { action: string; options?: { value: string }[] }[];
    };
    expect(read.step).toBe(structured.step);
    expect(read.say).toBe(structured.say);
    expect(read.card).toBeUndefined();
    expect(read.answers.map((a) => a.action)).toEqual(structured.answers.map((a) => a.action));
    expect(read.answers[0]?.options?.map((o) => o.value)).toEqual(
      structured.answers[0]?.options?.map((o) => o.value),
    );
  });

  it("never lists finish before the secret page was opened, and its refusal says why", async () => {
    const mcp = await connect(sandbox);
    let step = view(
      await mcp.call("start_inbound_webhook_wizard", { workflow_id: sandbox.weekly.id }),
    );
    step = view(await answer(mcp, step, { action: "set_name", value: "no-early-finish" }));
    step = view(await answer(mcp, step, { action: "choose_api_key", value: sandbox.vaultKey.id }));
    step = view(await answer(mcp, step, { action: "skip_extras" }));
    step = view(await answer(mcp, step, { action: "confirm" }));
    expect(step.step).toBe("awaitingReveal");
    expect(step.answers.map((a) => a.action)).not.toContain("finish");
    const early = await answer(mcp, step, { action: "finish" });
    expect(textOf(early)).toMatch(/has not opened reveal_url yet.*Legal answers: continue\.$/);
  });

  it("edits one answer at confirm and comes back to confirm", async () => {
    const mcp = await connect(sandbox);
    let step = view(
      await mcp.call("start_inbound_webhook_wizard", { workflow_id: sandbox.weekly.id }),
    );
    step = view(await answer(mcp, step, { action: "set_name", value: "before-edit" }));
    step = view(await answer(mcp, step, { action: "choose_api_key", value: sandbox.vaultKey.id }));
    step = view(await answer(mcp, step, { action: "skip_extras" }));
    expect(step.answers.find((a) => a.action === "edit")?.options?.map((o) => o.value)).toEqual([
      "name",
      "api_key",
      "extras",
    ]);
    const wrong = await answer(mcp, step, { action: "edit", value: "workflow" });
    expect(textOf(wrong)).toMatch(/value must be one of the listed option values.*Legal answers:/);
    step = view(await answer(mcp, step, { action: "edit", value: "name" }));
    expect(step.step).toBe("naming");
    step = view(await answer(mcp, step, { action: "set_name", value: "after-edit" }));
    expect(step.step).toBe("confirming");
    expect(step.card.fields.name).toBe("<untrusted>after-edit</untrusted>");
  });

  it("hands over the ingress URL and curl test AgentRuntime gives now, after the sandbox moved", async () => {
    const dir = tempDir();
    const wizardDb = join(tempDir(), "wizards.db");
    const first = await startTestSandbox({ dir });
    stopped.push(first);
    const before = await connect(first, { wizardDb });
    let step = view(
      await before.call("start_inbound_webhook_wizard", { workflow_id: first.shopify.id }),
    );
    step = view(await answer(before, step, { action: "set_name", value: "moving-sandbox" }));
    step = view(await answer(before, step, { action: "choose_api_key", value: first.vaultKey.id }));
    step = view(await answer(before, step, { action: "skip_extras" }));
    step = view(await answer(before, step, { action: "confirm" }));
    expect(step.card.fields.ingress_url).toMatch(new RegExp(`^${first.url}/`));
    await before.close();
    await first.close();

    // The same data folder served again on another port, and a new server process.
    const moved = await startTestSandbox({ dir });
    stopped.push(moved);
    expect(moved.url).not.toBe(first.url);
    const after = await connect(moved, { wizardDb });
    const resumed = view(
      await after.call("get_inbound_webhook_wizard", { wizard_id: step.wizard_id }),
    );
    expect(resumed.card.fields.ingress_url).toMatch(new RegExp(`^${moved.url}/`));
    expect(resumed.card.curl_test).toContain(moved.url);
    expect(resumed.card.curl_test).not.toContain(first.url);
    expect(resumed.say).not.toContain(first.url);
  });
});
