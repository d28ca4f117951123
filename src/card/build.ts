import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { LOOK_CSS } from "../html/look.js";
import { packageRoot } from "../package-root.js";
import { builtCardPath, builtChatScriptPath } from "./build-paths.js";
import { CARD_CSS } from "./card-css.js";

async function bundle(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [join(packageRoot(), entry)],
    bundle: true,
    write: false,
    format: "iife",
    platform: "browser",
    target: "es2022",
    minify: true,
    legalComments: "none",
    logLevel: "silent",
  });
  return result.outputFiles[0]?.text ?? "";
}

/** The card as one document: its script and styles inline, so a host loads nothing else. */
export async function buildCard(): Promise<string> {
  // A "</script" inside the bundle would end the element early.
  const script = (await bundle("src/card/app/card.ts")).replaceAll("</script", "<\\/script");
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Inbound webhook</title>
<style>${LOOK_CSS}${CARD_CSS}</style></head><body><main id="card" aria-live="polite"></main>
<script>${script}</script></body></html>`;
  mkdirSync(join(packageRoot(), "dist", "card"), { recursive: true });
  writeFileSync(builtCardPath(), html);
  return builtCardPath();
}

/** The browser Chat page's script, served by `chat --web` and `demo`. */
export async function buildChatScript(): Promise<string> {
  const path = builtChatScriptPath();
  mkdirSync(join(packageRoot(), "dist", "web"), { recursive: true });
  writeFileSync(path, await bundle("src/web/browser/chat.ts"));
  return path;
}

/** Builds everything the browser runs: `npm run build` and the test setup call this. */
export async function buildBrowserBundles(): Promise<string[]> {
  return [await buildCard(), await buildChatScript()];
}
