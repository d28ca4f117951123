import { get } from "node:http";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser.js";
import { type CliProcess, spawnCli } from "../helpers/cli.js";
import { type ChatRequest, type ScriptedTurn, startFakeOpenAi } from "../helpers/fake-openai.js";
import { startTestSandbox, type TestSandbox, tempDir } from "../helpers/sandbox.js";
import {
  atStep,
  cardOf,
  countClicks,
  expectNoSecrets,
  revealThroughCard,
  tap,
} from "./card-driver.js";

let sandbox: TestSandbox;
let browser: Browser;
const running: CliProcess[] = [];
beforeAll(async () => {
  sandbox = await startTestSandbox();
  browser = await launchChromium();
});
afterAll(async () => {
  for (const cli of running) cli.child.kill("SIGTERM");
  await Promise.all(running.map((cli) => cli.exit()));
  await browser?.close();
  await sandbox?.stop();
});

function wizardIdOf(request: ChatRequest): string {
  const found = request.messages
    .map((m) => /"wizard_id":"([0-9a-f-]{36})"/.exec(m.content ?? "")?.[1])
    .find(Boolean);
  return found as string;
}

/** The model's side: start the setup, let the person click, then send the test when asked. */
function script(request: ChatRequest, index: number): ScriptedTurn {
  const last = request.messages.at(-1);
  if (index === 0) {
    return { tool: "start_inbound_webhook_wizard", args: { workflow_id: sandbox.shopify.id } };
  }
  if (last?.role === "tool" && /"step":"choosingWorkflow|"step":"naming/.test(last.content ?? "")) {
    return { text: "Name it in the card below." };
  }
  if (last?.role === "user" && /send the test/i.test(last.content ?? "")) {
    return {
      tool: "answer_inbound_webhook_wizard",
      args: { wizard_id: wizardIdOf(request), action: "send_test" },
    };
  }
  if (last?.role === "tool") return { text: "The test request was accepted and started a run." };
  return { text: "Use the card; tell me when to send the test." };
}

describe("chat --web: Autopilot in the browser with the card", { timeout: 120_000 }, () => {
  it("streams the model, draws its wizard results as the card, and keeps secrets out of every message", async () => {
    const model = await startFakeOpenAi(script);
    const cli = spawnCli(["chat", "--web", "--no-browser"], {
      OPENAI_BASE_URL: model.baseUrl,
      OPENAI_MODEL: "scripted",
      OPENAI_API_KEY: "sk-test",
      AGENTRUNTIME_API_URL: sandbox.url,
      AGENTRUNTIME_TOKEN: sandbox.tokens.contributor,
      AGENTRUNTIME_SANDBOX_DIR: tempDir(),
    });
    running.push(cli);
    const url = /https?:\/\/\S+/.exec(await cli.firstLine())?.[0] as string;
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    try {
      await page.goto(url);
      expect(await page.locator("#model-note").innerText()).toContain("scripted");

      // A pasted PAT in the chat box is removed before anything reaches the model or the page.
      const typedPat = `pat_${"T".repeat(40)}`;
      await page.locator("#say").fill(`hi, my key is ${typedPat}`);
      await page.locator("#send").click();
      await expect
        .poll(() => page.locator(".msg.notice").allInnerTexts())
        .toContainEqual(expect.stringContaining("removed before anything was sent"));
      await expect
        .poll(() => page.locator(".msg.you").first().innerText())
        .toContain("[secret removed]");
      const card = cardOf(page);
      await card.locator("#card-name").waitFor();
      await countClicks(page);
      await expect
        .poll(() => page.locator(".msg.autopilot").allInnerTexts())
        .toContainEqual(expect.stringContaining("Name it in the card below."));

      await atStep(card, "naming");
      await card.locator("#card-name").fill("web-orders");
      await tap(card, card.locator("#card-name-submit"));
      await atStep(card, "choosingKey");
      await tap(card, card.getByRole("button", { name: /^Automation key/ }).first());
      await atStep(card, "extras");
      await tap(card, card.locator("#card-skip-extras"));
      await atStep(card, "confirming");
      await tap(card, card.locator("#card-confirm"));
      await atStep(card, "awaitingReveal");
      const secret = await revealThroughCard(context, card);
      await atStep(card, "handingOver");

      // The model drives the last step; its tool result reaches the same card.
      await page.locator("#say").fill("Please send the test now");
      await page.locator("#send").click();
      await expect
        .poll(() => card.locator("#card-test").innerText(), { timeout: 30_000 })
        .toMatch(/^Accepted: run \S+/);
      await expect
        .poll(() => page.locator(".msg.autopilot").allInnerTexts())
        .toContainEqual(expect.stringContaining("accepted and started a run"));
      expect(await page.locator("iframe.card-frame").count()).toBe(1);

      // The card kept the model informed of the clicks, with the next message.
      const sent = JSON.stringify(model.requests);
      expect(sent).toContain("In the Inbound webhook card");
      expectNoSecrets(sent, [secret, typedPat, sandbox.vaultKey.pat, sandbox.legacyKey.pat]);
      const dom = [
        await page.content(),
        ...(await Promise.all(page.frames().map((frame) => frame.content()))),
      ].join("\n");
      expectNoSecrets(dom, [secret, typedPat, sandbox.vaultKey.pat, sandbox.legacyKey.pat]);
    } finally {
      await context.close();
      await model.close();
    }
  });

  it("refuses calls from other sites and tools the card does not use", async () => {
    const model = await startFakeOpenAi(() => ({ text: "hi" }));
    const cli = spawnCli(["chat", "--web", "--no-browser"], {
      OPENAI_BASE_URL: model.baseUrl,
      OPENAI_MODEL: "scripted",
      OPENAI_API_KEY: "sk-test",
      AGENTRUNTIME_API_URL: sandbox.url,
      AGENTRUNTIME_TOKEN: sandbox.tokens.contributor,
      AGENTRUNTIME_SANDBOX_DIR: tempDir(),
    });
    running.push(cli);
    const url = /https?:\/\/\S+/.exec(await cli.firstLine())?.[0] as string;
    const origin = new URL(url).origin;
    const call = (name: string, headers: Record<string, string>) =>
      fetch(`${origin}/api/tool`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ name, arguments: {} }),
      });
    expect(
      (await call("start_inbound_webhook_wizard", { origin: "http://evil.example" })).status,
    ).toBe(403);
    const other = await call("delete_inbound_webhook", { origin });
    expect(other.status).toBe(403);
    expect(await other.text()).toContain("guided setup");
    // fetch cannot set Host; a DNS-rebound name arrives as a plain request with another Host.
    const rebound = await new Promise<number | undefined>((resolve, reject) => {
      const target = new URL(url);
      get(
        { host: target.hostname, port: target.port, path: "/", headers: { host: "evil.example" } },
        (res) => {
          res.resume();
          resolve(res.statusCode);
        },
      ).on("error", reject);
    });
    expect(rebound).toBe(421);
    const started = await call("start_inbound_webhook_wizard", { origin });
    expect(started.status).toBe(200);
    expect(
      ((await started.json()) as { structuredContent: { step: string } }).structuredContent.step,
    ).toBe("choosingWorkflow");
    await model.close();
  });
});
