import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OneTimePages } from "../../src/pages/one-time-pages.js";
import type { StepView } from "../../src/wizard/steps.js";
import { type ConnectedMcp, connectMcp } from "../helpers/mcp.js";
import { startTestSandbox, type TestSandbox } from "../helpers/sandbox.js";

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

async function post(url: string, form: Record<string, string>) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: new URL(url).origin },
    body: new URLSearchParams(form),
  });
  return { status: response.status, text: await response.text() };
}

async function pastePage(): Promise<string> {
  const answer = async (wizard: StepView, action: string, value?: string) =>
    (
      await mcp.call("answer_inbound_webhook_wizard", {
        wizard_id: wizard.wizard_id,
        action,
        ...(value === undefined ? {} : { value }),
      })
    ).structuredContent as StepView;
  let step = (await mcp.call("start_inbound_webhook_wizard", { workflow_id: sandbox.weekly.id }))
    .structuredContent as StepView;
  step = await answer(step, "set_name", `words-${Math.random().toString(36).slice(2, 8)}`);
  step = await answer(step, "choose_api_key", sandbox.legacyKey.id);
  expect(step.step).toBe("pastingPat");
  return step.paste_url as string;
}

describe("the paste page says what is actually wrong with a pasted PAT", () => {
  it.each([
    ["pat_wrongwrongwrong", /too short/, /start with pat_|no spaces/],
    [`Bearer pat_${"a".repeat(43)}`, /without \S*Bearer/, /too short/],
    [`whsec_${"a".repeat(43)}`, /signing secret/, /no spaces/],
    [`pat_${"a".repeat(20)} ${"b".repeat(20)}`, /space/, /too short/],
    [`pat_${"a".repeat(20)}!${"b".repeat(20)}`, /letters, digits/, /no spaces/],
    ["token_abcdefghijklmnopqrstuvwxyz", /starts with pat_/, /no spaces/],
  ])("%s", async (pasted, says, doesNotSay) => {
    const page = await post(await pastePage(), { secret: pasted });
    expect(page.status).toBe(422);
    const problem = /<p id="problem"[^>]*>([\s\S]*?)<\/p>/.exec(page.text)?.[1] ?? "";
    expect(problem).toMatch(says);
    expect(problem).not.toMatch(doesNotSay);
    expect(page.text).not.toContain(pasted.replace(/^Bearer /, ""));
  });
});

describe("a used reveal page", () => {
  it("says the signing secret is never shown again, and how to rotate it", async () => {
    const pages = new OneTimePages();
    try {
      const issued = await pages.createReveal({
        title: "Signing secret",
        secret: `whsec_${"s".repeat(43)}`,
        secretLabel: "Signing secret",
        ingressUrl: "http://127.0.0.1:1/v1/inbound-webhooks/x",
        curl: "curl …",
        notes: [],
      });
      expect((await post(issued.url, {})).status).toBe(200);
      const used = await fetch(issued.url);
      expect(used.status).toBe(410);
      const text = await used.text();
      expect(text).toMatch(/never shown again/);
      expect(text).toContain("rotate_inbound_webhook_secret");
      expect(text).not.toMatch(/new link if you still need one/);
    } finally {
      await pages.close();
    }
  });
});
