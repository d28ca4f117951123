import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildBrowserBundles } from "../src/card/build.js";
import { bundleCli } from "../src/cli/bundle.js";

/** CLI tests run the built entry point as users do; build it when a bare `vitest` run finds none. */
export default async function setup(): Promise<void> {
  const root = fileURLToPath(new URL("..", import.meta.url));
  if (!existsSync(`${root}/dist/src/cli/main.js`)) {
    execFileSync(process.execPath, [`${root}/node_modules/typescript/bin/tsc`, "-p", root], {
      stdio: "inherit",
    });
  }
  // The card and the Chat page are bundled from source every run, so tests never see a stale one.
  await buildBrowserBundles();
  // The CLI too: its tests run the bundle users install, not the separate tsc output.
  await bundleCli();
}
