import { spawn } from "node:child_process";
import type { BrowserContext, Frame, FrameLocator, Locator, Page } from "playwright-core";
import { expect } from "vitest";
import { CURL_ENV } from "../../src/signing/curl.js";

/** Drives the Inbound webhook card inside the browser Chat page the way a person does. */

const cardPages = new WeakMap<FrameLocator, Page>();

/** The card drawn in a Chat page (the first one). */
export function cardOf(page: Page): FrameLocator {
  const card = page.frameLocator("iframe.card-frame");
  cardPages.set(card, page);
  return card;
}

/** The card's document: the page's first frame, whether loaded from `/card` or `srcdoc`. */
function cardFrame(page: Page): Frame | undefined {
  return page.frames().find((each) => each.parentFrame() === page.mainFrame());
}

/** Starts counting clicks that reach the card's document, for `tap`. */
export async function countClicks(page: Page): Promise<void> {
  await cardFrame(page)?.evaluate(COUNT_CLICKS);
}

/** Runs the curl test as a person would, with the secret and PAT only in its environment. */
export function runCurl(
  script: string,
  secret: string,
  pat: string,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("/usr/bin/bash", [], {
      env: { PATH: "/usr/bin:/bin", [CURL_ENV.signingSecret]: secret, [CURL_ENV.pat]: pat },
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out }));
    child.stdin.end(script, "utf8");
  });
}

/** Opens the one-time secret page through the card and reads the secret there, as a person does. */
export async function revealThroughCard(
  context: BrowserContext,
  card: FrameLocator,
): Promise<string> {
  const popup = context.waitForEvent("page");
  await tap(card, card.locator("#card-open-reveal"));
  const secretPage = await popup;
  await secretPage.getByRole("button", { name: "Reveal the signing secret" }).click();
  const secret = await secretPage.locator("#secret").innerText();
  await secretPage.close();
  return secret;
}

/** Waits until the card shows the step and is idle, so a click lands on that step's controls. */
export async function atStep(card: FrameLocator, step: string): Promise<void> {
  const page = cardPages.get(card);
  await card
    .locator(`#card[data-step="${step}"][aria-busy="false"]`)
    .waitFor({ timeout: 15_000 })
    .catch(async () => {
      const shown = await card.locator("#card").innerText();
      throw new Error(`The card never reached ${step}; it shows:\n${shown}`);
    });
  // The host resizes the card after it draws a step; a click must not land mid-resize.
  if (!page) return;
  await expect
    .poll(async () => {
      const drawn = await card.locator("#card").getAttribute("data-height");
      return drawn === (await page.locator("iframe.card-frame").getAttribute("data-height"));
    })
    .toBe(true);
  // Chromium routes clicks into the card's isolated frame by hit-test data the compositor
  // refreshes a frame or two after a resize; a click before that lands on the host page.
  await page.evaluate(NEXT_FRAMES);
}

const COUNT_CLICKS = `document.addEventListener("click", () => { window.clicksSeen = (window.clicksSeen ?? 0) + 1; }, true)`;

/**
 * Clicks a control in the card like a person, again if Chromium routed the click to the host
 * page instead (its isolated frame's hit-test data can trail a resize on a busy machine), then
 * by the keyboard, which a person may use as well.
 */
export async function tap(card: FrameLocator, target: Locator): Promise<void> {
  const page = cardPages.get(card) as Page;
  const frame = cardFrame(page);
  if (!frame) throw new Error("the card frame is missing");
  for (let attempt = 1; ; attempt++) {
    const before = await frame.evaluate<number>("window.clicksSeen ?? 0");
    // After a lost click, the keyboard: focus follows the frame, not hit-test data.
    if (attempt === 1) await target.click();
    else await target.press("Enter");
    const landed = await expect
      .poll(() => frame.evaluate<number>("window.clicksSeen ?? 0"), { timeout: 2000 })
      .toBeGreaterThan(before)
      .then(
        () => true,
        () => false,
      );
    if (landed) return;
    if (attempt === 3) throw new Error("neither a click nor the keyboard reached the card");
  }
}

const NEXT_FRAMES =
  "new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => requestAnimationFrame(done))))";

export function expectNoSecrets(text: string, secrets: string[]): void {
  for (const secret of secrets) expect(text.includes(secret), "a secret leaked").toBe(false);
  expect(/whsec_[A-Za-z0-9_-]{16,}/.exec(text)?.[0]).toBeUndefined();
}

export { expectPersonVoice } from "../helpers/person-voice.js";
