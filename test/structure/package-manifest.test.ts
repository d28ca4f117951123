import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

interface Manifest {
  bin: Record<string, string>;
  scripts: Record<string, string>;
}

const manifest = JSON.parse(readFileSync(`${ROOT}/package.json`, "utf8")) as Manifest;
const lock = JSON.parse(readFileSync(`${ROOT}/package-lock.json`, "utf8")) as {
  packages: Record<string, Partial<Manifest>>;
};

describe("a clean clone stays clean", () => {
  it("keeps the lock's bin as package.json writes it, so npm install leaves git status empty", () => {
    expect(lock.packages[""]?.bin).toEqual(manifest.bin);
  });

  it("runs the CLI that bin installs from npm start, npm run sandbox and npm run demo", () => {
    const bins = Object.values(manifest.bin);
    expect(bins).toHaveLength(1);
    for (const script of ["start", "sandbox", "demo"]) {
      const command = manifest.scripts[script] ?? "";
      expect(command, script).toMatch(/^node (\S+)/);
      expect(/^node (\S+)/.exec(command)?.[1], script).toBe(bins[0]);
    }
  });
});
