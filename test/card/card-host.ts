import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { build } from "esbuild";
import type { Browser, BrowserContext, Frame, FrameLocator, Page } from "playwright-core";
import { CARD_URI } from "../../src/card/resource.js";
import type { ConnectedMcp } from "../helpers/mcp.js";
import { cardOf, countClicks } from "../web/card-driver.js";

/** The test host's page script, bundled once per run as a host bundles its own. */
let hostScript: Promise<string> | undefined;
function bundledHostScript(): Promise<string> {
  hostScript ??= build({
    entryPoints: [fileURLToPath(new URL("./host/host-page.ts", import.meta.url))],
    bundle: true,
    write: false,
    format: "iife",
    platform: "browser",
    target: "es2022",
    logLevel: "silent",
  }).then((result) => (result.outputFiles[0]?.text ?? "").replaceAll("</script", "<\\/script"));
  return hostScript;
}

export interface CardHost {
  page: Page;
  context: BrowserContext;
  card: FrameLocator;
  /** The card's own document. */
  frame(): Frame;
  /** What the card sent and the host answered, in order ("card: ui/initialize", …). */
  log(): Promise<string[]>;
  releaseInitialize(): Promise<void>;
  setTheme(theme: "light" | "dark"): Promise<void>;
  close(): Promise<void>;
}

/**
 * Draws the card in Chromium the way an MCP Apps host does: it reads the card resource over a
 * real MCP client, gives the frame the permissions the resource declares, and passes the card's
 * tool calls to the real server.
 */
export async function openCardHost(
  browser: Browser,
  mcp: ConnectedMcp,
  result: CallToolResult,
  options: { theme?: "light" | "dark"; holdInitialize?: boolean; width?: number } = {},
): Promise<CardHost> {
  const read = await mcp.client.readResource({ uri: CARD_URI });
  const content = read.contents[0] as { text: string; _meta?: { ui?: { permissions?: object } } };
  const script = await bundledHostScript();
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(
      `<!doctype html><html><head><meta charset="utf-8"><title>MCP Apps test host</title><style>body{margin:0;padding:16px;background:#808080}iframe{display:block;width:100%;border:0;height:200px}</style></head><body><script>${script}</script></body></html>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const context = await browser.newContext({
    // Tall enough for the whole card: Chromium paints a frame's content only within the viewport.
    viewport: { width: options.width ?? 560, height: 2400 },
    colorScheme: "light",
  });
  // What a person's browser grants the host page; the frame gets it only through `allow`.
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin });
  const page = await context.newPage();
  await page.exposeFunction("callTool", (name: string, args: Record<string, unknown>) =>
    mcp.call(name, args),
  );
  await page.goto(`${origin}/`);
  await page.evaluate(
    `window.cardHost.draw(${JSON.stringify({
      html: content.text,
      permissions: content._meta?.ui?.permissions,
      result,
      theme: options.theme ?? "light",
      holdInitialize: options.holdInitialize ?? false,
    })})`,
  );
  const card = cardOf(page);
  const frame = () => {
    const found = page.frames().find((each) => each.parentFrame() === page.mainFrame());
    if (!found) throw new Error("the card frame is missing");
    return found;
  };
  await card.locator("#card").waitFor();
  await countClicks(page);
  return {
    page,
    context,
    card,
    frame,
    log: () => page.evaluate<string[]>("window.cardHost.log.slice()"),
    releaseInitialize: () => page.evaluate("window.cardHost.releaseInitialize()"),
    setTheme: (theme) => page.evaluate(`window.cardHost.setTheme(${JSON.stringify(theme)})`),
    async close() {
      await context.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
