import { bundleCli, bundledCliPath } from "./bundle.js";

// `npm run build` runs this after tsc: the CLI as package.json's `bin` ships it.
await bundleCli();
process.stderr.write(`built ${bundledCliPath()}\n`);
