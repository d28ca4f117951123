import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OneTimePages } from "../../src/pages/one-time-pages.js";
import { launchChromium } from "../helpers/browser.js";

const CURL = `curl -sS -X POST 'http://127.0.0.1:8787/v1/ingress/wh_0123456789abcdef/aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789' \\
  -H "Authorization: Bearer $AGENTRUNTIME_PAT" \\
  -H 'Content-Type: application/json' \\
  -H "X-Agentruntime-Signature: t=$(date +%s),v1=$(printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$AGENTRUNTIME_SIGNING_SECRET" -hex | sed 's/^.* //')" \\
  --data-raw "$BODY"`;
const SECRET = `whsec_${"S".repeat(43)}`;

let browser: Browser;
let pages: OneTimePages;
beforeAll(async () => {
  browser = await launchChromium();
  pages = new OneTimePages();
});
afterAll(async () => {
  await pages?.close();
  await browser?.close();
});

function reveal() {
  return pages.createReveal({
    title: "Signing secret for shopify-orders",
    secret: SECRET,
    secretLabel: "Signing secret",
    ingressUrl:
      "http://127.0.0.1:8787/v1/ingress/wh_0123456789abcdef/aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
    curl: CURL,
    notes: ["Store it in your secrets manager."],
  });
}

async function openRevealed(page: Page): Promise<string> {
  const issued = await reveal();
  await page.goto(issued.url);
  await page.getByRole("button", { name: "Reveal the signing secret" }).click();
  await page.waitForSelector("#curl");
  return issued.url;
}

// In-page code is written as strings: the project's type-check has no DOM library.
/** How far the page or any element reaches past the right edge of the viewport, in px. */
const OVERFLOW = `(() => {
  const width = document.documentElement.clientWidth;
  let widest = document.documentElement.scrollWidth;
  for (const element of document.querySelectorAll("body *"))
    widest = Math.max(widest, Math.ceil(element.getBoundingClientRect().right));
  return widest - width;
})()`;
const overflow = (page: Page) => page.evaluate<number>(OVERFLOW);

/** The shared look as computed: brand line, panel colours and radius, body font. */
const LOOK = `(() => {
  const panel = document.querySelector(".ar-panel");
  const brand = document.querySelector(".ar-brand");
  if (!panel || !brand) return undefined;
  const style = getComputedStyle(panel);
  return {
    brand: brand.textContent,
    panel: [style.backgroundColor, style.borderRadius, style.borderColor],
    font: getComputedStyle(document.body).fontFamily,
  };
})()`;
const look = (page: Page) => page.evaluate<unknown>(LOOK);

const FOCUSED = `(() => {
  const active = document.activeElement;
  return active ? { id: active.id, outline: getComputedStyle(active).outlineStyle } : undefined;
})()`;

describe("the one-time pages' look", () => {
  it("copies the secret, the ingress URL and the curl test whole with the page's own nonce'd script", async () => {
    const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
    const url = await openRevealed(await context.newPage());
    const page = context.pages()[0] as Page;
    await context.grantPermissions(["clipboard-read", "clipboard-write"], {
      origin: new URL(url).origin,
    });
    const blocked: string[] = [];
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) blocked.push(message.text());
    });
    for (const [name, expected] of [
      ["Copy the curl test", CURL],
      ["Copy the signing secret", SECRET],
      ["Copy the ingress url", "http://127.0.0.1:8787/v1/ingress/wh_0123456789abcdef/"],
    ] as const) {
      const button = page.getByRole("button", { name });
      await button.click();
      await expect.poll(() => button.innerText()).toBe("Copied");
      const copied = await page.evaluate<string>("navigator.clipboard.readText()");
      if (name === "Copy the ingress url") expect(copied.startsWith(expected)).toBe(true);
      else expect(copied).toBe(expected);
    }
    expect(blocked).toEqual([]);
    await context.close();
  });

  it("selects the text for Ctrl+C when the browser refuses the clipboard", async () => {
    const context = await browser.newContext();
    await context.addInitScript(
      `Object.defineProperty(navigator, "clipboard", { value: { writeText: () => Promise.reject(new Error("denied")) } })`,
    );
    const page = await context.newPage();
    await openRevealed(page);
    const button = page.getByRole("button", { name: "Copy the curl test" });
    await button.click();
    await expect.poll(() => button.innerText()).toBe("Press Ctrl+C");
    expect(await page.evaluate<string>("getSelection().toString()")).toBe(CURL);
    await context.close();
  });

  it("fits a phone and a laptop: nothing runs off the right edge, the curl test wraps", async () => {
    for (const width of [360, 1000, 1280]) {
      const context = await browser.newContext({ viewport: { width, height: 800 } });
      const page = await context.newPage();
      await openRevealed(page);
      expect(await overflow(page), `at ${width}px`).toBeLessThanOrEqual(0);
      const curl = await page.locator("#curl").boundingBox();
      expect(curl && curl.x + curl.width).toBeLessThanOrEqual(width);
      await context.close();
    }
  });

  it("gives the paste, confirm, reveal and used pages the same look, with keyboard focus visible", async () => {
    const page = await browser.newPage({ viewport: { width: 360, height: 740 } });
    const accepted: string[] = [];
    const paste = await pages.createPaste({
      title: "Paste the automation PAT",
      label: "Automation PAT",
      notes: ["It is used once."],
      check: (value) => (value.startsWith("pat_") ? undefined : "That does not start with pat_."),
      accept: (value) => accepted.push(value),
    });
    await page.goto(paste.url);
    const looks = [await look(page)];
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    await page.getByLabel("Automation PAT").fill("nope");
    await page.getByRole("button", { name: "Use it once" }).click();
    expect(await page.locator("#problem").innerText()).toBe("That does not start with pat_.");
    looks.push(await look(page));

    const issued = await reveal();
    await page.goto(issued.url);
    looks.push(await look(page));
    await page.keyboard.press("Tab");
    const focused = await page.evaluate<unknown>(FOCUSED);
    expect(focused).toEqual({ id: "reveal", outline: "solid" });
    await page.keyboard.press("Enter");
    await page.waitForSelector("#curl");
    looks.push(await look(page));
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    await page.goto(issued.url);
    expect(await page.locator("h1").innerText()).toBe("This link has been used");
    looks.push(await look(page));

    expect(looks[0]).toBeDefined();
    for (const each of looks) expect(each).toEqual(looks[0]);
    expect(accepted).toEqual([]);
    await page.close();
  });

  it("runs only its own script: a fresh nonce per answer and no inline allowance", async () => {
    const issued = await reveal();
    const [first, second] = await Promise.all([fetch(issued.url), fetch(issued.url)]);
    const policies = [first, second].map((r) => r.headers.get("content-security-policy") ?? "");
    for (const policy of policies) {
      expect(policy).toMatch(/script-src 'nonce-[A-Za-z0-9+/=]{24}'/);
      expect(policy).not.toContain("unsafe-inline");
    }
    expect(policies[0]).not.toBe(policies[1]);
    const html = await first.text();
    const nonce = /'nonce-([^']+)'/.exec(policies[0] ?? "")?.[1];
    expect(html).toContain(`<script nonce="${nonce}">`);
    expect(html).not.toContain("whsec_");
  });
});
