import type { Tool } from "@modelcontextprotocol/sdk/types.js";

// Replaced by the CLI bundle's build (esbuild's `define`) with the listings it worked out, as
// JSON text: an object there would be set up in every chunk of the bundle.
declare const BUNDLED_TOOL_LISTINGS: string | undefined;

/** The global the bundle's build defines: every registered tool's listing by name, as JSON. */
export const BUNDLED_LISTINGS_GLOBAL = "BUNDLED_TOOL_LISTINGS";

const bundled =
  typeof BUNDLED_TOOL_LISTINGS === "undefined"
    ? undefined
    : (JSON.parse(BUNDLED_TOOL_LISTINGS) as Readonly<Record<string, Tool>>);

/**
 * A tool's `tools/list` entry as worked out when the CLI was bundled, if it has one: converting
 * every zod schema to JSON Schema cost ~8 ms of each start. None when running unbundled.
 */
export function bundledListing(name: string): Tool | undefined {
  return bundled?.[name];
}
