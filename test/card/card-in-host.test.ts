import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { Browser, Frame, FrameLocator } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CARD_URI } from "../../src/card/resource.js";
import { launchChromium } from "../helpers/browser.js";
import { type ConnectedMcp, connectMcp } from "../helpers/mcp.js";
import { startTestSandbox, type TestSandbox } from "../helpers/sandbox.js";
import { atStep, tap } from "../web/card-driver.js";
import { type CardHost, openCardHost } from "./card-host.js";

let sandbox: TestSandbox;
let mcp: ConnectedMcp;
let browser: Browser;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  mcp = await connectMcp(sandbox);
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await mcp?.close();
  await sandbox?.stop();
});

/** A setup answered through the tools, as a model would, up to the step the card is drawn at. */
async function setupAt(
  answers: [string, unknown?][],
  start: Record<string, unknown> = { workflow_id: sandbox.shopify.id },
): Promise<CallToolResult> {
  let result = await mcp.call("start_inbound_webhook_wizard", start);
  const wizardId = (result.structuredContent as { wizard_id: string }).wizard_id;
  for (const [action, value] of answers) {
    result = await mcp.call("answer_inbound_webhook_wizard", {
      wizard_id: wizardId,
      action,
      ...(value === undefined ? {} : { value }),
    });
    expect(result.isError, `${action}: ${JSON.stringify(result.content)}`).toBeFalsy();
  }
  return result;
}

/** Created, with the secret page out: the card shows its ingress URL and the curl test. */
const upToSecret = (name: string): [string, unknown?][] => [
  ["set_name", name],
  ["choose_api_key", sandbox.vaultKey.id],
  ["skip_extras"],
  ["confirm"],
];

/** The step's filled buttons: those painted in the accent colour, by computed style. */
const FILLED_BUTTONS = `(root) => {
  const accent = getComputedStyle(document.querySelector(".ar-brand"), "::before").backgroundColor;
  return [...root.querySelectorAll("button")]
    .filter((button) => button.getClientRects().length > 0)
    .filter((button) => getComputedStyle(button).backgroundColor === accent)
    .map((button) => button.textContent.trim());
}`;

function filledButtons(card: Frame): Promise<string[]> {
  return card.evaluate<string[]>(`(${FILLED_BUTTONS})(document.getElementById("card"))`);
}

async function topOf(card: FrameLocator, selector: string): Promise<number> {
  const box = await card.locator(selector).first().boundingBox();
  if (!box) throw new Error(`${selector} is not drawn`);
  return box.y;
}

/** Colours (r,g,b) of the card's frame at its left and right edges, from a real screenshot. */
async function edgeColours(host: CardHost): Promise<{ left: string[]; right: string[] }> {
  const png = await host.page.locator("iframe.card-frame").screenshot();
  const decoder = await host.context.newPage();
  try {
    return await decoder.evaluate(`(async () => {
      const image = new Image();
      image.src = "data:image/png;base64,${png.toString("base64")}";
      await image.decode();
      const canvas = document.createElement("canvas");
      canvas.width = image.width;
      canvas.height = image.height;
      const drawn = canvas.getContext("2d");
      drawn.drawImage(image, 0, 0);
      const at = (x, y) => Array.from(drawn.getImageData(x, y, 1, 1).data.slice(0, 3)).join(",");
      const rows = [3, Math.floor(image.height / 2), image.height - 3];
      return {
        left: rows.map((y) => at(2, y)),
        right: rows.flatMap((y) => [at(image.width - 1, y), at(image.width - 8, y)]),
      };
    })()`);
  } finally {
    await decoder.close();
  }
}

describe("the card in an MCP Apps host", { timeout: 90_000 }, () => {
  it("asks for the clipboard, and Copy copies in a host that grants what the resource asks", async () => {
    const read = await mcp.client.readResource({ uri: CARD_URI });
    expect(read.contents[0]?._meta).toMatchObject({
      ui: { permissions: { clipboardWrite: {} } },
    });
    const { resources } = await mcp.client.listResources();
    expect(resources[0]?._meta).toMatchObject({ ui: { permissions: { clipboardWrite: {} } } });

    const result = await setupAt(upToSecret("copy-orders"));
    const ingress = (result.structuredContent as { card: { fields: { ingress_url: string } } }).card
      .fields.ingress_url;
    const host = await openCardHost(browser, mcp, result);
    try {
      await atStep(host.card, "awaitingReveal");
      expect(await host.page.locator("iframe.card-frame").getAttribute("allow")).toContain(
        "clipboard-write",
      );
      const copy = host.card.getByRole("button", { name: "Copy the ingress url" });
      await tap(host.card, copy);
      await expect.poll(() => copy.innerText()).toBe("Copied");
      expect(await host.page.evaluate("navigator.clipboard.readText()")).toBe(ingress);
    } finally {
      await host.close();
    }
  });

  it("tells the host its size only after the host has answered ui/initialize", async () => {
    const result = await setupAt([]);
    const host = await openCardHost(browser, mcp, result, { holdInitialize: true });
    try {
      // The card has drawn its first frames while the host still holds its answer.
      await host
        .frame()
        .evaluate(
          "new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => requestAnimationFrame(done))))",
        );
      expect(await host.log()).toEqual(["card: ui/initialize"]);
      await host.releaseInitialize();
      await atStep(host.card, "naming");
      const log = await host.log();
      const answered = log.indexOf("host: answer to ui/initialize");
      const firstSize = log.indexOf("card: ui/notifications/size-changed");
      expect(answered).toBeGreaterThan(0);
      expect(firstSize).toBeGreaterThan(answered);
      expect(log.slice(0, answered)).toEqual(["card: ui/initialize"]);
    } finally {
      await host.close();
    }
  });

  it("fills one button a step, Create on Confirm above its edits, which reopen pre-filled", async () => {
    const host = await openCardHost(browser, mcp, await setupAt([], {}));
    const { card } = host;
    try {
      await atStep(card, "choosingWorkflow");
      expect(await filledButtons(host.frame())).toEqual([]);
      await tap(card, card.getByRole("button", { name: "Fulfil Shopify order" }));
      await atStep(card, "naming");
      expect(await filledButtons(host.frame())).toEqual(["Use this name"]);
      await card.locator("#card-name").fill("edit-orders");
      await tap(card, card.locator("#card-name-submit"));
      await atStep(card, "choosingKey");
      expect(await filledButtons(host.frame())).toEqual([]);
      await tap(
        card,
        card.getByRole("button", { name: new RegExp(`^${sandbox.vaultKey.name}`) }).first(),
      );
      await atStep(card, "extras");
      expect(await filledButtons(host.frame())).toEqual(["No extras"]);
      expect(await topOf(card, "#card-skip-extras")).toBeLessThan(
        await topOf(card, "#card-payload"),
      );
      await card.locator("#card-defaults").check();
      await card.locator("#card-payload").fill("source=shopify\ncount=2");
      await tap(card, card.locator("#card-save-extras"));

      await atStep(card, "confirming");
      expect(await filledButtons(host.frame())).toEqual(["Create the inbound webhook"]);
      const edits = card.locator(".card-edits button");
      expect(await edits.allInnerTexts()).toEqual([
        "Change the name",
        "Change the API key",
        "Change the extras",
      ]);
      const createTop = await topOf(card, "#card-confirm");
      for (const edit of await edits.all()) {
        expect((await edit.boundingBox())?.y).toBeGreaterThan(createTop);
      }

      await tap(card, card.locator("#card-edit-name"));
      await atStep(card, "naming");
      expect(await card.locator("#card-name").inputValue()).toBe("edit-orders");
      await card.locator("#card-name").fill("edit-orders-2");
      await tap(card, card.locator("#card-name-submit"));
      await atStep(card, "confirming");
      expect(await card.locator("#card-summary").innerText()).toContain("edit-orders-2");

      await tap(card, card.locator("#card-edit-extras"));
      await atStep(card, "extras");
      expect(await filledButtons(host.frame())).toEqual(["Save extras"]);
      expect(await card.locator("#card-defaults").isChecked()).toBe(true);
      expect(await card.locator("#card-payload").inputValue()).toBe("source=shopify\ncount=2");
      await tap(card, card.locator("#card-save-extras"));
      await atStep(card, "confirming");

      await tap(card, card.locator("#card-confirm"));
      await atStep(card, "awaitingReveal");
      expect(await filledButtons(host.frame())).toEqual(["Open the secret page"]);
      expect(await topOf(card, "#card-open-reveal")).toBeLessThan(await topOf(card, "#card-curl"));
    } finally {
      await host.close();
    }
  });

  it("paints its own background to its right edge in both themes, after each change", async () => {
    const host = await openCardHost(browser, mcp, await setupAt(upToSecret("theme-orders")));
    try {
      await atStep(host.card, "awaitingReveal");
      const background = () =>
        host.frame().evaluate<string>("getComputedStyle(document.documentElement).backgroundColor");
      for (const [theme, rgb] of [
        ["dark", "21,23,28"],
        ["light", "255,255,255"],
      ] as const) {
        await host.setTheme(theme);
        await expect.poll(background).toBe(`rgb(${rgb.replaceAll(",", ", ")})`);
        await atStep(host.card, "awaitingReveal");
        const edges = await edgeColours(host);
        expect(edges.left, theme).toEqual(edges.left.map(() => rgb));
        expect(edges.right, theme).toEqual(edges.right.map(() => rgb));
      }
    } finally {
      await host.close();
    }
  });
});
