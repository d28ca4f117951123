import { readFile } from "node:fs/promises";
import { RESOURCE_MIME_TYPE, RESOURCE_URI_META_KEY } from "@modelcontextprotocol/ext-apps/server";
import type { ReadResourceResult, Resource } from "@modelcontextprotocol/sdk/types.js";
import { builtCardPath } from "./build-paths.js";

/** The address hosts load the "Inbound webhook" card from. */
export const CARD_URI = "ui://agentruntime-webhooks/inbound-webhook-card.html";

/** The client capability key under `extensions` by which a host says it draws MCP Apps. */
export const UI_EXTENSION = "io.modelcontextprotocol/ui";

/** The MCP Apps MIME type, `text/html;profile=mcp-app`. */
export const CARD_MIME_TYPE = RESOURCE_MIME_TYPE;

/** Reads the built card; a missing build is a bug in packaging, said plainly. */
export async function readBuiltCard(): Promise<string> {
  try {
    return await readFile(builtCardPath(), "utf8");
  } catch {
    throw new Error(
      `The Inbound webhook card is not built (${builtCardPath()} is missing): run npm run build.`,
    );
  }
}

/** The `_meta` a wizard tool lists so MCP Apps hosts draw the card; others ignore it. */
export const CARD_TOOL_META = {
  ui: { resourceUri: CARD_URI },
  // Hosts from before `_meta.ui` read the flat key; the ext-apps helpers list both.
  [RESOURCE_URI_META_KEY]: CARD_URI,
};

/**
 * The card's `_meta.ui`: a border from the host, and the clipboard for its Copy buttons (hosts
 * turn `permissions` into the frame's `allow`; without it Copy falls back to selecting).
 */
const CARD_UI_META = { prefersBorder: true, permissions: { clipboardWrite: {} } };

/** The card's `resources/list` entry. */
export const CARD_RESOURCE: Resource = {
  uri: CARD_URI,
  name: "inbound-webhook-card",
  title: "Inbound webhook",
  description:
    "The guided inbound webhook setup as an interactive card: pick, name, key, confirm, secret page, curl test and its result.",
  mimeType: CARD_MIME_TYPE,
  _meta: { ui: CARD_UI_META },
};

/** The card's `resources/read` answer; it loads nothing from the network, so no CSP domains. */
export async function readCardResource(html: () => Promise<string>): Promise<ReadResourceResult> {
  return {
    contents: [
      {
        uri: CARD_URI,
        mimeType: CARD_MIME_TYPE,
        text: await html(),
        _meta: { ui: CARD_UI_META },
      },
    ],
  };
}
