import { readFileSync } from "node:fs";
import { basename } from "node:path";

/** The name `bin` gives this CLI, as an installed copy is typed. */
const BIN_NAME = "agentruntime-webhooks";

/** The arguments an npm script passes to this CLI, e.g. "wizard" for `node dist/…/main.js wizard`. */
function scriptArgs(script: string): string | undefined {
  const found = /(?:main\.js|agentruntime-webhooks)((?:\s+[\w./=-]+)*)\s*$/.exec(script);
  return found?.[1]?.trim();
}

/**
 * `npm start` or `npm run <script>` for the script of the package npm ran that runs `args`;
 * undefined unless the script npm ran (`lifecycle`) is one that runs this CLI, since a process
 * started under another script (a test run) only inherits npm's variables.
 */
function npmScriptFor(
  args: string,
  packageJson: string | undefined,
  lifecycle: string,
): string | undefined {
  if (!packageJson) return undefined;
  let scripts: Record<string, string>;
  try {
    scripts =
      (JSON.parse(readFileSync(packageJson, "utf8")) as { scripts?: Record<string, string> })
        .scripts ?? {};
  } catch {
    return undefined;
  }
  if (scriptArgs(scripts[lifecycle] ?? "") === undefined) return undefined;
  // `start` first: it is the one a person remembers.
  const names = Object.keys(scripts).sort((a, b) => Number(b === "start") - Number(a === "start"));
  for (const name of names) {
    const given = scriptArgs(scripts[name] ?? "");
    if (!given) continue;
    const rest =
      args === given ? "" : args.startsWith(`${given} `) ? args.slice(given.length) : null;
    if (rest === null) continue;
    const npm = name === "start" ? "npm start" : `npm run ${name}`;
    return rest ? `${npm} --${rest}` : npm;
  }
  return undefined;
}

/**
 * A command line to tell a person, written the way they started this CLI: `npm start` or
 * `npm run <script>` when npm ran one of the package's scripts, the bare command when it was
 * run by its installed name, and `npx agentruntime-webhooks …` otherwise (a clone run through
 * npx or node, where the bare name is not on PATH). `args` is what follows the command name.
 */
export function commandLine(
  args: string,
  env: NodeJS.ProcessEnv,
  entry: string | undefined = process.argv[1],
): string {
  // npm sets these for `npm start`, `npm run <script>` (npm_command "run" or "run-script") and npx ("exec").
  if (env.npm_command === "exec") return `npx ${BIN_NAME} ${args}`;
  if (env.npm_lifecycle_event && env.npm_command !== undefined) {
    const script = npmScriptFor(args, env.npm_package_json, env.npm_lifecycle_event);
    if (script) return script;
  }
  if (entry && basename(entry) === BIN_NAME) return `${BIN_NAME} ${args}`;
  return `npx ${BIN_NAME} ${args}`;
}
