import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

/** The folder holding this package's package.json, from source (tests) and from dist alike. */
export function packageRoot(): string {
  if (root) return root;
  let folder = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(folder, "package.json"))) {
    const parent = dirname(folder);
    if (parent === folder) throw new Error("cannot find this package's package.json");
    folder = parent;
  }
  root = folder;
  return folder;
}
