import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser.js";
import { type CliProcess, spawnCli } from "../helpers/cli.js";
import { tempDir } from "../helpers/sandbox.js";
import { atStep, cardOf, countClicks, runCurl, tap } from "./card-driver.js";

// Opt-in (`npm run screenshots`): it rewrites the pictures the README shows.
const capture = process.env.SCREENSHOTS === "1";
const out = fileURLToPath(new URL("../../docs/screenshots/", import.meta.url));

let browser: Browser;
let demo: CliProcess;
const dataDir = tempDir("arw-shots-");
beforeAll(async () => {
  if (!capture) return;
  mkdirSync(out, { recursive: true });
  browser = await launchChromium();
  demo = spawnCli(["demo", "--json", "--no-browser"], { AGENTRUNTIME_SANDBOX_DIR: dataDir });
});
afterAll(async () => {
  await browser?.close();
  demo?.child.kill("SIGTERM");
  await demo?.exit();
  rmSync(dataDir, { recursive: true, force: true });
});

async function shootCard(page: Page, name: string): Promise<void> {
  const card = cardOf(page);
  const frame = page.locator("iframe.card-frame");
  const viewport = page.viewportSize() ?? { width: 1280, height: 860 };
  // Chromium paints a frame's content only within the viewport: the whole page must fit.
  const pageHeight = await page.evaluate<number>("document.documentElement.scrollHeight");
  await page.setViewportSize({ ...viewport, height: Math.max(viewport.height, pageHeight) });
  await frame.screenshot({ path: join(out, `card-${name}.png`) });
  await page.setViewportSize(viewport);
  // Taking the picture scrolls the page; the next click waits for the card to settle again.
  await atStep(card, (await card.locator("#card").getAttribute("data-step")) ?? "");
}

describe.runIf(capture)("screenshots for the README", { timeout: 180_000 }, () => {
  it("captures the demo page, the card at each step and the one-time pages", async () => {
    const started = Date.now();
    const info = JSON.parse(await demo.firstLine()) as {
      url: string;
      api_keys: { name: string; in_vault: boolean; pat: string }[];
    };
    const context = await browser.newContext({
      viewport: { width: 1280, height: 860 },
      colorScheme: "light",
    });
    const page = await context.newPage();
    await page.goto(info.url);
    const card = cardOf(page);
    await card.getByRole("button", { name: "Fulfil Shopify order" }).waitFor();
    await countClicks(page);
    await atStep(card, "choosingWorkflow");
    await page.screenshot({ path: join(out, "demo-page.png") });
    await shootCard(page, "1-workflow");
    await tap(card, card.getByRole("button", { name: "Fulfil Shopify order" }));
    await atStep(card, "naming");
    await shootCard(page, "2-name");
    await card.locator("#card-name").fill("shopify-orders");
    await tap(card, card.locator("#card-name-submit"));
    await atStep(card, "choosingKey");
    await shootCard(page, "3-key");
    const vault = info.api_keys.find((key) => key.in_vault);
    await tap(card, card.getByRole("button", { name: new RegExp(`^${vault?.name}`) }).first());
    await atStep(card, "extras");
    await shootCard(page, "4-extras");
    await tap(card, card.locator("#card-skip-extras"));
    await atStep(card, "confirming");
    await shootCard(page, "5-confirm");
    await tap(card, card.locator("#card-confirm"));
    await atStep(card, "awaitingReveal");
    await shootCard(page, "6-secret");

    const popup = context.waitForEvent("page");
    await tap(card, card.locator("#card-open-reveal"));
    const secretPage = await popup;
    await secretPage.setViewportSize({ width: 1280, height: 700 });
    await secretPage.screenshot({ path: join(out, "reveal-confirm.png") });
    await secretPage.getByRole("button", { name: "Reveal the signing secret" }).click();
    const secret = await secretPage.locator("#secret").innerText();
    await secretPage.screenshot({ path: join(out, "reveal-shown-1280.png"), fullPage: true });
    await secretPage.setViewportSize({ width: 360, height: 740 });
    await secretPage.screenshot({ path: join(out, "reveal-shown-360.png"), fullPage: true });
    await secretPage.reload();
    await secretPage.screenshot({ path: join(out, "reveal-used.png") });
    await secretPage.close();

    await atStep(card, "handingOver");
    await shootCard(page, "7-curl-test");
    const curl = await card.locator("#card-curl").innerText();
    await tap(card, card.locator("#card-wait-for-test"));
    const ran = await runCurl(curl, secret, vault?.pat ?? "");
    expect(ran.code).toBe(0);
    await atStep(card, "testReported");
    await shootCard(page, "8-test-accepted");

    await page.setViewportSize({ width: 360, height: 740 });
    await atStep(card, "testReported");
    await page.screenshot({ path: join(out, "demo-page-360.png") });
    await context.close();
    // Every picture in the folder is retaken: none is left from an older card.
    const stale = readdirSync(out).filter(
      (file) => file.endsWith(".png") && statSync(join(out, file)).mtimeMs < started,
    );
    expect(stale).toEqual([]);
  });
});
