import { rmSync } from "node:fs";
import { join } from "node:path";
import { type BuildOptions, build, type Metafile } from "esbuild";
import { TOOLS } from "../../tools/index.js";
import { BUNDLED_LISTINGS_GLOBAL } from "../mcp/listings.js";
import { describeTool } from "../mcp/server.js";
import { packageRoot } from "../package-root.js";

/** Where the CLI bundle goes; package.json's `bin` points at its `main.js`. */
export function bundledCliDir(): string {
  return join(packageRoot(), "dist", "cli");
}

/** The bundled CLI's entry point, as `npx agentruntime-webhooks` runs it. */
export function bundledCliPath(): string {
  return join(bundledCliDir(), "main.js");
}

/**
 * Loaded from node_modules as installed: native or optional packages, and undici, which the
 * client imports on its first request (a bundled CommonJS package behind `import()` keeps
 * only its default export).
 */
const EXTERNAL = ["better-sqlite3", "pg-native", "undici"];

/**
 * Bundles the CLI from source into `dist/cli`: one entry and a chunk per lazily loaded command.
 * Loading a handful of files instead of hundreds is most of a cold start's saving.
 */
export async function bundleCli(): Promise<Metafile> {
  rmSync(bundledCliDir(), { recursive: true, force: true });
  return (await build(cliBuildOptions())).metafile;
}

/** The esbuild options of the CLI bundle; a test builds with them in memory to read its graph. */
export function cliBuildOptions() {
  const root = packageRoot();
  return {
    absWorkingDir: root,
    entryPoints: ["src/cli/main.ts"],
    entryNames: "[name]",
    outdir: bundledCliDir(),
    bundle: true,
    splitting: true,
    format: "esm" as const,
    platform: "node" as const,
    target: "node20",
    external: EXTERNAL,
    // The tools/list entries, worked out here once instead of at every start.
    define: {
      [BUNDLED_LISTINGS_GLOBAL]: JSON.stringify(
        JSON.stringify(Object.fromEntries(TOOLS.map((tool) => [tool.name, describeTool(tool)]))),
      ),
    },
    // Bundled CommonJS packages call require() for Node's modules, which ESM lacks.
    banner: {
      js: 'import { createRequire as createRequireForBundle } from "node:module";\nconst require = createRequireForBundle(import.meta.url);',
    },
    sourcemap: true,
    legalComments: "none",
    metafile: true,
    logLevel: "silent" as const,
  } satisfies BuildOptions;
}
