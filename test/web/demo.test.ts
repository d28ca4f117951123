import { rmSync } from "node:fs";
import type { Browser, BrowserContext, FrameLocator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { launchChromium } from "../helpers/browser.js";
import { type CliProcess, spawnCli } from "../helpers/cli.js";
import { tempDir } from "../helpers/sandbox.js";
import {
  atStep,
  cardOf,
  countClicks,
  expectNoSecrets,
  expectPersonVoice,
  revealThroughCard,
  runCurl,
  tap,
} from "./card-driver.js";

interface DemoInfo {
  url: string;
  sandbox_url: string;
  api_keys: { id: string; name: string; in_vault: boolean; pat: string }[];
}

let browser: Browser;
let demo: CliProcess;
let info: DemoInfo;
const dataDir = tempDir("arw-demo-");

beforeAll(async () => {
  browser = await launchChromium();
  demo = spawnCli(["demo", "--json", "--no-browser"], { AGENTRUNTIME_SANDBOX_DIR: dataDir });
  info = JSON.parse(await demo.firstLine()) as DemoInfo;
});
afterAll(async () => {
  await browser?.close();
  demo?.child.kill("SIGTERM");
  await demo?.exit();
  rmSync(dataDir, { recursive: true, force: true });
});

/** What a person reads now: Autopilot's scripted lines and the card's text, in the person's voice. */
async function expectPersonSees(page: Page, card: FrameLocator): Promise<void> {
  const lines = await page.locator(".msg.autopilot").allInnerTexts();
  expectPersonVoice([...lines, await card.locator("#card").innerText()].join("\n"));
}

/** Everything a person or a model could see: the Chat page, the card, and every tool result. */
interface Seen {
  toolCalls: () => number;
  toolResults: string[];
  dom(): Promise<string>;
}

async function openDemo(
  context: BrowserContext,
): Promise<{ page: Page; card: FrameLocator; seen: Seen }> {
  const page = await context.newPage();
  const toolResults: string[] = [];
  let toolCalls = 0;
  page.on("request", (request) => {
    if (new URL(request.url()).pathname === "/api/tool") toolCalls += 1;
  });
  page.on("response", async (response) => {
    if (new URL(response.url()).pathname === "/api/tool") toolResults.push(await response.text());
  });
  await page.goto(info.url);
  const card = cardOf(page);
  // A failed step shows what the card showed, not only which control was missing.
  onTestFailed(async () => {
    const shown = await card
      .locator("#card")
      .innerText({ timeout: 1000 })
      .catch(() => "?");
    console.error(`The card showed:\n${shown}`);
  });
  await card.getByRole("button", { name: "Fulfil Shopify order" }).waitFor();
  await countClicks(page);
  return {
    page,
    card,
    seen: {
      toolCalls: () => toolCalls,
      toolResults,
      dom: async () =>
        [
          await page.content(),
          ...(await Promise.all(page.frames().map((frame) => frame.content()))),
        ].join("\n"),
    },
  };
}

describe("the scripted demo in a real browser", { timeout: 90_000 }, () => {
  it("reaches a started run by clicks alone on the Vault path, ending with the real curl test", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], {
      origin: new URL(info.url).origin,
    });
    const { page, card, seen } = await openDemo(context);
    expect(await page.locator("#demo-note").innerText()).toMatch(/Scripted demo, not a model/);
    await expect
      .poll(() => page.locator(".msg.autopilot").allInnerTexts())
      .toContainEqual(expect.stringContaining("Which workflow should outside events start?"));
    await expectPersonSees(page, card);

    await tap(card, card.getByRole("button", { name: "Fulfil Shopify order" }));
    await atStep(card, "naming");
    await expectPersonSees(page, card);
    // A blank name is refused in the card, before any call.
    const calls = seen.toolCalls();
    await card.locator("#card-name").fill("   ");
    await tap(card, card.locator("#card-name-submit"));
    await expect.poll(() => card.locator("#card-name-problem").innerText()).toMatch(/empty/);
    expect(seen.toolCalls()).toBe(calls);
    await atStep(card, "naming");
    await expectPersonSees(page, card);
    await card.locator("#card-name").fill("demo-orders");
    await tap(card, card.locator("#card-name-submit"));

    await atStep(card, "choosingKey");

    await expectPersonSees(page, card);
    const vault = info.api_keys.find((key) => key.in_vault);
    await tap(card, card.getByRole("button", { name: new RegExp(`^${vault?.name}`) }).first());
    await atStep(card, "extras");
    await expectPersonSees(page, card);
    await tap(card, card.locator("#card-skip-extras"));
    await expect.poll(() => card.locator("#card-summary").innerText()).toContain("demo-orders");
    await atStep(card, "confirming");
    await expectPersonSees(page, card);
    await tap(card, card.locator("#card-confirm"));
    await atStep(card, "awaitingReveal");
    await expectPersonSees(page, card);
    const secret = await revealThroughCard(context, card);
    expect(secret).toMatch(/^whsec_/);

    await atStep(card, "handingOver");

    await expectPersonSees(page, card);
    // The curl test, copied whole by the card's button.
    const curl = await card.locator("#card-curl").innerText();
    const ingress = await card.locator("#card-ingress").innerText();
    expect(ingress).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    expect(curl).toContain(ingress);
    expect(await card.locator("#card-heading").innerText()).toBe("Test it with curl");
    // Where the curl test asks for the PAT, the local sandbox says where to read it (never the PAT).
    const patHelp = await card.locator("#card-pat-help").innerText();
    expect(patHelp).toMatch(/local sandbox/);
    expect(patHelp).toMatch(/terminal/);
    for (const key of info.api_keys) expect(patHelp).not.toContain(key.pat);
    await tap(card, card.getByRole("button", { name: "Copy the curl test" }));
    await expect.poll(() => page.evaluate<string>("navigator.clipboard.readText()")).toBe(curl);

    await tap(card, card.locator("#card-wait-for-test"));
    const ran = await runCurl(curl, secret, vault?.pat ?? "");
    expect(ran.code, ran.out).toBe(0);
    await expect
      .poll(() => card.locator("#card-test").innerText(), { timeout: 20_000 })
      .toMatch(/^Accepted: run \S+/);
    expect(await card.locator("#card-run-input").innerText()).toContain("{");
    await tap(card, card.locator("#card-finish"));
    await expect.poll(() => card.locator("#card-status").innerText()).toBe("Setup finished.");
    await expect
      .poll(() => page.locator(".msg.autopilot").allInnerTexts())
      .toContainEqual(expect.stringContaining(`All set: "demo-orders" starts`));
    await expectPersonSees(page, card);

    const pats = info.api_keys.map((key) => key.pat);
    expectNoSecrets(await seen.dom(), [secret, ...pats]);
    expectNoSecrets(seen.toolResults.join("\n"), [secret, ...pats]);
    await context.close();
  });

  it("takes a pasted PAT on the private page, never in the card, and starts a run", async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 800 } });
    const { page, card, seen } = await openDemo(context);
    await tap(card, card.getByRole("button", { name: "Weekly report" }));
    await atStep(card, "naming");
    await expectPersonSees(page, card);
    await card.locator("#card-name").fill("demo-weekly");
    await tap(card, card.locator("#card-name-submit"));
    await atStep(card, "choosingKey");
    await expectPersonSees(page, card);
    const legacy = info.api_keys.find((key) => !key.in_vault);
    await tap(
      card,
      card
        .getByRole("button", { name: new RegExp(`^${legacy?.name.replace(/[()]/g, ".")}`) })
        .first(),
    );

    await atStep(card, "pastingPat");

    await expectPersonSees(page, card);
    const popup = context.waitForEvent("page");
    await tap(card, card.locator("#card-open-paste"));
    const pastePage = await popup;
    await pastePage.locator("#secret").fill(legacy?.pat ?? "");
    await pastePage.getByRole("button", { name: "Use it once" }).click();
    await pastePage.getByText("Received.").waitFor();
    await pastePage.close();
    await atStep(card, "extras");
    await expectPersonSees(page, card);
    await tap(card, card.locator("#card-skip-extras"));
    await atStep(card, "confirming");
    await expectPersonSees(page, card);
    await tap(card, card.locator("#card-confirm"));
    await atStep(card, "awaitingReveal");
    await expectPersonSees(page, card);
    const secret = await revealThroughCard(context, card);
    // The card follows the secret page by itself: no click needed.
    await atStep(card, "handingOver");
    await expectPersonSees(page, card);
    // AgentRuntime cannot sign for a key outside its vault, so the person's own curl is the test.
    expect(await card.locator("#card-send-test").count()).toBe(0);
    const curl = await card.locator("#card-curl").innerText();
    await tap(card, card.locator("#card-wait-for-test"));
    const ran = await runCurl(curl, secret, legacy?.pat ?? "");
    expect(ran.code, ran.out).toBe(0);
    await expect
      .poll(() => card.locator("#card-test").innerText(), { timeout: 20_000 })
      .toMatch(/^Accepted: run \S+/);

    // The card fits the phone-width column without sideways scrolling.
    const frame = page.frames().find((each) => each.url().endsWith("/card"));
    expect(
      await frame?.evaluate<number>(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth",
      ),
    ).toBeLessThanOrEqual(0);

    const pats = info.api_keys.map((key) => key.pat);
    expectNoSecrets(await seen.dom(), [secret, ...pats]);
    expectNoSecrets(seen.toolResults.join("\n"), [secret, ...pats]);
    await context.close();
  });
});
