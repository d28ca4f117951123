/**
 * Helpers shared by the on-demand benchmarks `ingress.bench.ts` and `mcp.bench.ts`: option
 * parsing, checks on what the sandbox prints, child-process bookkeeping (so children die with
 * the benchmark even when it is interrupted), the temporary folder, and number formatting.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

/** How long a child may take to print its first line (and an MCP server to initialize). */
export const STARTUP_TIMEOUT_MS = 20_000;

/** The package's CLI entry point, compiled beside this file's `dist/test/bench/` folder. */
export const CLI_SCRIPT = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

// ---------------------------------------------------------------------------------------------
// Options

/** Default and inclusive bounds of one whole-number option. */
export interface IntegerSpec {
  fallback: number;
  min: number;
  max: number;
}

/** The parsed options: each whole-number option under its flag name, plus `json` and `profile`. */
export type ParsedOptions<K extends string> = Record<K, number> & {
  json: boolean;
  profile: string | undefined;
};

/** Parses a whole-number option, `fallback` when absent; throws when not within `min`..`max`. */
export function integerOption(
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`--${name} must be a whole number from ${min} to ${max}, not "${raw}"`);
  }
  return value;
}

/**
 * Parses `argv` strictly: the given whole-number options (checked in the order given), then
 * `--json`, `--profile <dir>` and `-h`/`--help`. Undefined when help was asked for.
 */
export function parseBenchArgs<K extends string>(
  argv: string[],
  integers: Record<K, IntegerSpec>,
): ParsedOptions<K> | undefined {
  const names = Object.keys(integers) as K[];
  const { values } = parseArgs({
    args: argv,
    options: {
      ...Object.fromEntries(names.map((name) => [name, { type: "string" as const }])),
      json: { type: "boolean" },
      profile: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) return undefined;
  const parsed: Record<string, number> = {};
  for (const name of names) {
    const raw: unknown = (values as Record<string, unknown>)[name];
    const { fallback, min, max } = integers[name];
    parsed[name] = integerOption(
      name,
      typeof raw === "string" ? raw : undefined,
      fallback,
      min,
      max,
    );
  }
  return {
    ...(parsed as Record<K, number>),
    json: values.json === true,
    profile: typeof values.profile === "string" ? values.profile : undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// Checks

/** True for a plain object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The string at `value[key]`; throws naming `what` when there is none. */
export function stringField(value: unknown, key: string, what: string): string {
  const field = isRecord(value) ? value[key] : undefined;
  if (typeof field !== "string") throw new Error(`${what} has no string "${key}"`);
  return field;
}

/** `url` unchanged when its host is 127.0.0.1; throws otherwise, so nothing leaves the machine. */
export function loopbackUrl(url: string, what: string): string {
  if (new URL(url).hostname !== "127.0.0.1") {
    throw new Error(`${what} ${url} is not on 127.0.0.1; the benchmark only sends to loopback`);
  }
  return url;
}

/** An error's message, or the thrown value as a string. */
export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------------------------
// The sandbox

/** What the benchmarks use of the sandbox's `--json` line, checked. */
export interface SandboxInfo {
  url: string;
  contributor: string;
  workflowId: string;
  automationKeyId: string;
  /** The vaulted API key's record, for fields only one benchmark reads (its `pat`). */
  key: unknown;
}

/** `node` arguments that start the sandbox on a free 127.0.0.1 port with its database at `db`. */
export function sandboxArgs(db: string): string[] {
  return [CLI_SCRIPT, "sandbox", "--port", "0", "--json", "--quiet", "--db", db];
}

/** Parses and checks the sandbox's JSON line, finding the workflow named `workflowName`. */
export function sandboxInfo(line: string, workflowName: string): SandboxInfo {
  const info: unknown = JSON.parse(line);
  const workflows: unknown[] =
    isRecord(info) && Array.isArray(info.workflows) ? info.workflows : [];
  const workflow = workflows.find((item) => isRecord(item) && item.name === workflowName);
  const keys: unknown[] = isRecord(info) && Array.isArray(info.api_keys) ? info.api_keys : [];
  const key = keys.find((item) => isRecord(item) && item.in_vault === true);
  return {
    url: loopbackUrl(stringField(info, "url", "sandbox output"), "sandbox URL"),
    contributor: stringField(isRecord(info) ? info.tokens : undefined, "contributor", "tokens"),
    workflowId: stringField(workflow, "id", `workflow "${workflowName}"`),
    automationKeyId: stringField(key, "id", "vaulted API key"),
    key,
  };
}

// ---------------------------------------------------------------------------------------------
// Children

/** Children started by `startChild`, until they exit. */
const live = new Set<ChildProcess>();
/** Children started elsewhere (the MCP SDK's stdio transport), by pid, until untracked. */
const livePids = new Set<number>();
let tempDir: string | undefined;

/** `node` flags that write a V8 CPU profile into `dir`, or none when `dir` is undefined. */
export function cpuProfileFlags(dir: string | undefined): string[] {
  return dir ? ["--cpu-prof", `--cpu-prof-dir=${dir}`] : [];
}

/** Starts `node <args>` (with `env` added to this process's) and resolves with the first line it prints on stdout. */
export function startChild(
  label: string,
  args: string[],
  env?: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: env ? { ...process.env, ...env } : process.env,
  });
  live.add(child);
  child.once("exit", () => live.delete(child));
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (text: string) => {
    stderr = (stderr + text).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    const timer = setTimeout(
      () => fail(new Error(`${label} printed nothing within ${STARTUP_TIMEOUT_MS / 1000} s`)),
      STARTUP_TIMEOUT_MS,
    );
    child.once("error", fail);
    child.once("exit", (code, signal) =>
      fail(new Error(`${label} exited (${code ?? signal}) before it listened:\n${stderr}`)),
    );
    // The reader keeps draining stdout after the first line so the child never blocks on it.
    createInterface({ input: child.stdout }).once("line", (line) => {
      clearTimeout(timer);
      resolve({ child, line });
    });
  });
}

/** SIGTERM, then SIGKILL if the child has not exited within 5 s. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

/** Stops every child `startChild` started that is still running, as `stopChild` does. */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...live].map(stopChild));
}

/** Remembers a pid started outside `startChild`, so an interrupted run kills it too. */
export function trackPid(pid: number): void {
  livePids.add(pid);
}

/** Forgets a pid given to `trackPid`, once its process has been stopped. */
export function untrackPid(pid: number): void {
  livePids.delete(pid);
}

/** SIGKILLs every tracked child and pid at once. */
export function killChildrenNow(): void {
  for (const child of live) child.kill("SIGKILL");
  for (const pid of livePids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  livePids.clear();
}

/** Creates the run's temporary folder in the OS temp dir; an interrupted run removes it too. */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDir = dir;
  return dir;
}

/** Removes the folder `makeTempDir` created, if any. */
export function removeTempDir(): void {
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  tempDir = undefined;
}

/**
 * Children die with the benchmark even when it is interrupted or crashes: kills them on exit,
 * and on SIGINT/SIGTERM also removes the temporary folder and exits with 130/143.
 */
export function killChildrenOnExit(): void {
  process.on("exit", killChildrenNow);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      killChildrenNow();
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
      process.exit(signal === "SIGINT" ? 130 : 143);
    });
  }
}

/** Runs `main` on the arguments, sets its exit code; a throw prints `<name>: <message>`, exit 1. */
export function runMain(name: string, main: (argv: string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${name}: ${message(error)}\n`);
      // Exit now: a child still running would keep the process alive (the exit hook kills it).
      process.exit(1);
    },
  );
}

// ---------------------------------------------------------------------------------------------
// Figures

/** The `q` quantile (nearest rank) of ascending samples; NaN when there are none. */
export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

/** `value` with `digits` decimals, or "-" when it is not finite. */
export function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "-";
}

/** `value` rounded to 3 decimals for JSON, or null when it is not finite. */
export function round3(value: number): number | null {
  return Number.isFinite(value) ? Math.round(value * 1000) / 1000 : null;
}

/** Aligned text columns: the first left-aligned, the others right-aligned, two spaces apart. */
export function table(rows: string[][]): string {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, column) =>
          column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
        )
        .join("  "),
    )
    .join("\n");
}
