import { buildBrowserBundles } from "./build.js";

// `npm run build` runs this after tsc: the card and the Chat page's script, bundled.
for (const path of await buildBrowserBundles()) process.stderr.write(`built ${path}\n`);
