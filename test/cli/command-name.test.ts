import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { commandLine } from "../../src/cli/command-name.js";
import { runCli } from "../helpers/cli.js";
import { tempDir } from "../helpers/sandbox.js";

const ourPackageJson = fileURLToPath(new URL("../../package.json", import.meta.url));

/** What npm puts in a script's environment, for `npm start` or `npm run <script>`. */
const npmRun = (script: string, packageJson = ourPackageJson) => ({
  npm_command: script === "start" ? "start" : "run",
  npm_lifecycle_event: script,
  npm_package_json: packageJson,
});

describe("commands named the way the person started this CLI", () => {
  it("names this package's npm scripts when npm ran one, with extra arguments after --", () => {
    expect(commandLine("wizard", npmRun("start"))).toBe("npm start");
    expect(commandLine("demo", npmRun("start"))).toBe("npm run demo");
    expect(commandLine("sandbox --db /tmp/x.db", npmRun("demo"))).toBe(
      "npm run sandbox -- --db /tmp/x.db",
    );
    // No script runs `list`: in a clone npx finds the package's own command.
    expect(commandLine("list", npmRun("start"))).toBe("npx agentruntime-webhooks list");
    // A process started under a script that does not run this CLI (npm test) only inherits npm's variables.
    expect(commandLine("wizard", npmRun("test"))).toBe("npx agentruntime-webhooks wizard");
  });

  it("reads the scripts of the package npm ran, and falls back to npx when it cannot", () => {
    const dir = tempDir("arw-npm-");
    const other = join(dir, "package.json");
    writeFileSync(other, JSON.stringify({ scripts: { hooks: "agentruntime-webhooks wizard" } }));
    expect(commandLine("wizard", npmRun("hooks", other))).toBe("npm run hooks");
    expect(commandLine("wizard", npmRun("hooks", join(dir, "missing.json")))).toBe(
      "npx agentruntime-webhooks wizard",
    );
    writeFileSync(other, "not json");
    expect(commandLine("wizard", npmRun("hooks", other))).toBe("npx agentruntime-webhooks wizard");
  });

  it("says npx under npx, the bare name when run by its installed name, else npx", () => {
    const npx = { npm_command: "exec", npm_lifecycle_event: "npx" };
    expect(commandLine("wizard", npx, "/usr/bin/agentruntime-webhooks")).toBe(
      "npx agentruntime-webhooks wizard",
    );
    expect(commandLine("wizard", {}, "/usr/local/bin/agentruntime-webhooks")).toBe(
      "agentruntime-webhooks wizard",
    );
    expect(commandLine("wizard", {}, "/home/me/clone/dist/cli/main.js")).toBe(
      "npx agentruntime-webhooks wizard",
    );
    expect(commandLine("wizard", {}, undefined)).toBe("npx agentruntime-webhooks wizard");
  });

  it("is what the CLI's own messages say, run as a clone runs it and under npm", async () => {
    const dir = tempDir("arw-names-");
    const usage = await runCli(["demo", "--port", "http"], { AGENTRUNTIME_SANDBOX_DIR: dir });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("Run 'npx agentruntime-webhooks demo --help' for usage.");
    const underNpm = await runCli(["demo", "--port", "http"], {
      AGENTRUNTIME_SANDBOX_DIR: dir,
      ...npmRun("demo"),
    });
    expect(underNpm.stderr).toContain("Run 'npm run demo -- --help' for usage.");

    const list = await runCli(["list"], { AGENTRUNTIME_SANDBOX_DIR: dir, ...npmRun("start") });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain("Create one with `npm start`.");
    expect(list.stderr).toContain("`npm run sandbox` keeps it up");
    expect(list.stderr).not.toMatch(/`agentruntime-webhooks /);
  });
});
