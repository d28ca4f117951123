import { homedir } from "node:os";
import { join } from "node:path";
import { type ParseArgsConfig, parseArgs } from "node:util";

/** A mistake in how the command was called: printed with a pointer to `--help`, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** `parseArgs` with strict checking, its errors turned into one-line usage errors. */
export function parseCommandArgs<O extends Options>(command: string, argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), command);
  }
}

export function integerFlag(
  command: string,
  name: string,
  value: string | undefined,
  range: { min: number; max: number },
): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < range.min || number > range.max) {
    throw new UsageError(
      `--${name} must be a whole number from ${range.min} to ${range.max}, not "${value}"`,
      command,
    );
  }
  return number;
}

export function choiceFlag<T extends string>(
  command: string,
  name: string,
  value: string | undefined,
  choices: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`--${name} must be one of ${choices.join(", ")}, not "${value}"`, command);
  }
  return value as T;
}

/**
 * Where the sandbox keeps its database by default: `$AGENTRUNTIME_SANDBOX_DIR`, else
 * `$XDG_DATA_HOME/agentruntime-webhooks`, else `~/.local/share/agentruntime-webhooks`.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv): string {
  if (env.AGENTRUNTIME_SANDBOX_DIR) return env.AGENTRUNTIME_SANDBOX_DIR;
  const base = env.XDG_DATA_HOME || join(homedir(), ".local", "share");
  return join(base, "agentruntime-webhooks");
}

/** The data folder's sandbox database, which every command uses when no `--db` is given. */
export function defaultSandboxDb(env: NodeJS.ProcessEnv): string {
  return join(defaultDataDir(env), "sandbox.db");
}

/** The flags every command that talks to AgentRuntime takes. */
export const BACKEND_FLAGS = {
  "api-url": { type: "string" },
  token: { type: "string" },
  "sandbox-db": { type: "string" },
} as const;

/** Those flags' values, as `openBackend` takes them. */
export function backendFlags(values: {
  "api-url"?: string;
  token?: string;
  "sandbox-db"?: string;
}) {
  return { apiUrl: values["api-url"], token: values.token, sandboxDb: values["sandbox-db"] };
}
