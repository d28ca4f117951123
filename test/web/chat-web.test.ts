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
  expectPersonVoice,
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
      // The first turn lists the tools before it answers: on a busy machine that takes a while.
      await expect
        .poll(() => page.locator(".msg.notice").allInnerTexts(), { timeout: 15_000 })
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

  it("opens the page without a model: how to connect one, and the demo, with no question asked", async () => {
    const cli = spawnCli(["chat", "--web", "--no-browser"], {
      AGENTRUNTIME_SANDBOX_DIR: tempDir(),
      OPENAI_MODEL: undefined,
    });
    running.push(cli);
    const url = /https?:\/\/\S+/.exec(await cli.firstLine())?.[0] as string;
    const context = await browser.newContext({ viewport: { width: 390, height: 800 } });
    const page = await context.newPage();
    try {
      await page.goto(url);
      const note = await page.locator("#no-model-note").innerText();
      expect(note).toMatch(/No model is connected/);
      expect(note).toContain("OPENAI_MODEL");
      // Started through node here, not npm: the demo is named as a clone runs it.
      expect(await page.locator("#demo-command").innerText()).toBe(
        "npx agentruntime-webhooks demo",
      );
      expect(await page.locator("#composer").count()).toBe(0);
      expectPersonVoice(await page.locator("body").innerText());
      expect(cli.stderr()).not.toMatch(/\[Y\/n\]/);
      // Still serving: the page is the answer, not an exit.
      expect(cli.child.exitCode).toBeNull();
      const message = await fetch(new URL("/api/message", url), {
        method: "POST",
        headers: { "content-type": "application/json", origin: new URL(url).origin },
        body: JSON.stringify({ text: "hello" }),
      });
      expect(message.status).toBe(409);
    } finally {
      await context.close();
    }
  });

  it("starts a new conversation on reload: the model never gets what the person no longer sees", async () => {
    // The model copies a mark from a tool result, as models do; the person never sees it.
    const model = await startFakeOpenAi(() => ({ text: "Hello <untrusted>there</untrusted>." }));
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
    const say = async (text: string) => {
      const answered = await page.locator(".msg.autopilot").count();
      await page.locator("#say").fill(text);
      await page.locator("#send").click();
      await expect
        .poll(() => page.locator(".msg.autopilot").count(), { timeout: 15_000 })
        .toBe(answered + 1);
      await expect(page.locator("#send").isEnabled()).resolves.toBe(true);
    };
    try {
      await page.goto(url);
      await say("first page, first message");
      await say("first page, second message");
      expect(await page.locator(".msg.autopilot").allInnerTexts()).toEqual([
        expect.stringContaining("Hello there."),
        expect.stringContaining("Hello there."),
      ]);
      expectPersonVoice(await page.locator("#transcript").innerText());
      await page.reload();
      expect(await page.locator(".msg").count()).toBe(0);
      await say("after the reload");
      const last = model.requests.at(-1);
      const sent = JSON.stringify(last?.messages);
      expect(sent).toContain("after the reload");
      expect(sent).not.toContain("first page");
      expect(last?.messages.filter((m) => m.role === "user")).toHaveLength(1);
      // The page that was reloaded away cannot feed the new conversation either.
      const stale = await fetch(new URL("/api/message", url), {
        method: "POST",
        headers: { "content-type": "application/json", origin: new URL(url).origin },
        body: JSON.stringify({ conversation: "00000000-0000-4000-8000-000000000000", text: "x" }),
      });
      expect(stale.status).toBe(409);
      expect(((await stale.json()) as { error: string }).error).toMatch(/Reload the page/);
    } finally {
      await context.close();
      await model.close();
    }
  });
});
