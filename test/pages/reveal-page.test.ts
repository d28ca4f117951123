import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OneTimePages } from "../../src/pages/one-time-pages.js";
import { createInboundWebhook } from "../../tools/create-inbound-webhook.js";
import { launchChromium } from "../helpers/browser.js";
import { structuredOf } from "../helpers/mcp.js";
import { hostedMode, localMode, type ModeConnection, type ServerMode } from "../helpers/modes.js";
import { startTestPostgres, type TestPostgres } from "../helpers/postgres.js";
import { sendSigned, startTestSandbox, type TestSandbox } from "../helpers/sandbox.js";

let sandbox: TestSandbox;
let postgres: TestPostgres;
let browser: Browser;
beforeAll(async () => {
  [sandbox, postgres, browser] = await Promise.all([
    startTestSandbox(),
    startTestPostgres(),
    launchChromium(),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await sandbox?.stop();
  postgres?.stop();
});

const modes: [string, () => Promise<ServerMode>][] = [
  ["local mode (SQLite)", () => localMode(sandbox)],
  ["hosted mode (PostgreSQL)", () => hostedMode(sandbox, postgres)],
];

describe.each(modes)("%s", (_name, openMode) => {
  let mode: ServerMode;
  let mcp: ModeConnection;
  beforeAll(async () => {
    mode = await openMode();
    mcp = await mode.connect();
  });
  afterAll(() => mode?.close());

  async function createHook(name: string) {
    const result = await mcp.call("create_inbound_webhook", {
      workflow_id: sandbox.shopify.id,
      // one sandbox serves both modes, and names are unique per workflow
      name: mode.hosted ? `${name}-hosted` : name,
      automation_pat_id: sandbox.vaultKey.id,
    });
    const created = structuredOf(createInboundWebhook, result);
    return { ...created, reveal_url: created.reveal_url ?? "" };
  }

  describe("the one-time reveal page in a real browser", () => {
    it("shows the secret once after a click, with the ingress URL and curl test, then answers 410", async () => {
      const created = await createHook("browser-shown");
      const page = await browser.newPage();
      const first = await page.goto(created.reveal_url);
      expect(first?.status()).toBe(200);
      expect(await page.locator("body").innerText()).not.toContain("whsec_");
      await page.getByRole("button", { name: "Reveal the signing secret" }).click();
      await page.waitForSelector("#secret");
      const secret = await page.locator("#secret").innerText();
      expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
      expect(secret.endsWith(created.subscription.signing_secret_hint.slice(1))).toBe(true);
      expect(await page.locator("#ingress-url").innerText()).toBe(created.subscription.ingress_url);
      expect(await page.locator("#curl").innerText()).toContain("X-Agentruntime-Signature");
      expect(await page.locator("body").innerText()).toMatch(/will not be shown again/);
      await page.screenshot({ path: `${sandbox.dir}/reveal.png` });

      // The secret the person copied is the one that works.
      const accepted = await sendSigned(
        created.subscription.ingress_url,
        JSON.stringify({ order_id: "b-1" }),
        {
          secret,
          pat: sandbox.vaultKey.pat,
        },
      );
      expect(accepted.status).toBe(202);

      const again = await page.goto(created.reveal_url);
      expect(again?.status()).toBe(410);
      expect(await page.locator("body").innerText()).not.toContain(secret);
      await page.reload();
      expect(await page.locator("h1").innerText()).toBe("This link has been used");
      await page.close();
    });

    it("refuses a reveal posted from another site, and an expired link answers 410", async () => {
      const created = await createHook("browser-guarded");
      const forged = await fetch(created.reveal_url, {
        method: "POST",
        headers: { origin: "http://evil.example" },
      });
      expect(forged.status).toBe(403);
      // the forged post did not use up the page
      const page = await browser.newPage();
      expect((await page.goto(created.reveal_url))?.status()).toBe(200);
      await page.close();

      // Expiry on the pages' own clock, in both modes; the shared store's is in test/hosted/store.test.ts.
      let now = Date.now();
      const pages = new OneTimePages({ ttlMs: 1000, now: () => now });
      try {
        const issued = await pages.createReveal({
          title: "t",
          secret: "whsec_expiring",
          secretLabel: "Signing secret",
          ingressUrl: "http://127.0.0.1/x",
          curl: "curl",
          notes: [],
        });
        now += 1001;
        const expired = await browser.newPage();
        expect((await expired.goto(issued.url))?.status()).toBe(410);
        expect(await expired.content()).not.toContain("whsec_expiring");
        await expired.close();
        const unknown = issued.url.replace(/[A-Za-z0-9_-]{43}$/, "A".repeat(43));
        expect((await fetch(unknown)).status).toBe(404);
      } finally {
        await pages.close();
      }
    });
  });
});
