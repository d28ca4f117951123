import { join } from "node:path";
import { type AgentRuntimeClient, createClient } from "../client/client.js";
import type { RunningSandbox, SandboxInfo } from "../sandbox/server.js";
import { defaultSandboxDb, UsageError } from "./args.js";
import { commandLine } from "./command-name.js";

export interface Backend {
  client: AgentRuntimeClient;
  baseUrl: string;
  /** Set when the backend is the sandbox this process started (it stops with the process). */
  embedded?: RunningSandbox;
  /** The local sandbox's tokens and demo PATs, whether this process started it or found it running. */
  sandbox?: SandboxInfo;
  close(): Promise<void>;
}

/**
 * The AgentRuntime a command talks to: `--api-url`/`AGENTRUNTIME_API_URL` with its token, or,
 * when none is set, the sandbox of the data folder on its one loopback address: the one
 * already running there, else one started in this process.
 */
export async function openBackend(
  command: string,
  options: { apiUrl?: string; token?: string; sandboxDb?: string },
  env: NodeJS.ProcessEnv,
  say: (line: string) => void,
): Promise<Backend> {
  const apiUrl = options.apiUrl ?? env.AGENTRUNTIME_API_URL;
  const token = options.token ?? env.AGENTRUNTIME_TOKEN;
  if (apiUrl) {
    if (!/^https?:\/\/[^\s/]+/.test(apiUrl)) {
      throw new UsageError(
        `${options.apiUrl ? "--api-url" : "AGENTRUNTIME_API_URL"} must be an http:// or https:// URL, not "${apiUrl}"`,
        command,
      );
    }
    if (!token) {
      throw new UsageError(
        options.apiUrl
          ? "--api-url is given but no token: pass --token, or set AGENTRUNTIME_TOKEN, to a user token of that AgentRuntime"
          : "AGENTRUNTIME_API_URL is set but AGENTRUNTIME_TOKEN is not: set it (or pass --token) to a user token of that AgentRuntime",
        command,
      );
    }
    return {
      client: createClient({ baseUrl: apiUrl, token }),
      baseUrl: apiUrl,
      close: async () => {},
    };
  }
  if (options.token) {
    throw new UsageError(
      "--token is given but no AgentRuntime URL: pass --api-url (or set AGENTRUNTIME_API_URL) too; without them the embedded sandbox is used, which needs no token",
      command,
    );
  }
  return openLocalSandbox(command, options.sandboxDb, env, say);
}

/** The data folder's sandbox on its one address: the one running there, else started here. */
async function openLocalSandbox(
  command: string,
  sandboxDb: string | undefined,
  env: NodeJS.ProcessEnv,
  say: (line: string) => void,
): Promise<Backend> {
  const db = sandboxDb ?? defaultSandboxDb(env);
  // Loaded only here: a server pointed at a real AgentRuntime never loads SQLite.
  const [{ startSandbox }, address] = await Promise.all([
    import("../sandbox/server.js"),
    import("./sandbox-address.js"),
  ]);
  // A throwaway database has no address worth keeping.
  const { port, remembered } =
    db === ":memory:" && !env.AGENTRUNTIME_SANDBOX_PORT
      ? { port: 0, remembered: undefined }
      : address.sandboxPort(db, env, command);
  const reuse = (info: SandboxInfo): Backend => {
    say(
      `No AGENTRUNTIME_API_URL is set, so this uses the sandbox of ${db}, which already runs at ${info.url} (another process keeps it up).`,
    );
    return {
      client: createClient({ baseUrl: info.url, token: info.tokens.contributor }),
      baseUrl: info.url,
      sandbox: info,
      close: async () => {},
    };
  };
  // Port 0 asks for a fresh port, but a sandbox of this folder already up is still the one to use.
  const expected = port === 0 ? remembered : port;
  if (expected !== undefined && db !== ":memory:") {
    const found = await address.findSandbox(db, expected);
    if (found.kind === "ours") return reuse(found.info);
    if (found.kind === "other" && port !== 0) {
      throw new Error(address.portHeldMessage(port, found.what, db, "variable"));
    }
  }
  let sandbox: RunningSandbox;
  try {
    sandbox = await startSandbox({ db, host: "127.0.0.1", port });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
    // Another command may have started this folder's sandbox a moment ago.
    const found = await address.findSandbox(db, port);
    if (found.kind === "ours") return reuse(found.info);
    throw new Error(
      address.portHeldMessage(
        port,
        found.kind === "other" ? found.what : "another program",
        db,
        "variable",
      ),
    );
  }
  address.rememberPort(db, sandbox.url);
  const lifetime =
    db === ":memory:"
      ? "It is a throwaway sandbox: it and its webhooks end with this command."
      : `It stops when this command ends; ${keepUpCommand(db, env)} keeps it up at the same address.`;
  say(
    `No AGENTRUNTIME_API_URL is set, so this uses the embedded AgentRuntime sandbox at ${sandbox.url} (data: ${db}). ${lifetime}`,
  );
  return {
    client: createClient({ baseUrl: sandbox.url, token: sandbox.tokens.contributor }),
    baseUrl: sandbox.url,
    embedded: sandbox,
    sandbox,
    close: () => sandbox.close(),
  };
}

/** The command that runs this database's sandbox in the foreground, as a person would type it. */
export function keepUpCommand(db: string, env: NodeJS.ProcessEnv): string {
  const isDefault = db === defaultSandboxDb(env);
  return `\`${commandLine(`sandbox${isDefault ? "" : ` --db ${db}`}`, env)}\``;
}
