import { join } from "node:path";
import { type AgentRuntimeClient, createClient } from "../client/client.js";
import type { RunningSandbox } from "../sandbox/server.js";
import { defaultDataDir, UsageError } from "./args.js";

export interface Backend {
  client: AgentRuntimeClient;
  baseUrl: string;
  /** Set when the backend is the sandbox this process started. */
  embedded?: RunningSandbox;
  close(): Promise<void>;
}

/**
 * The AgentRuntime a command talks to: `--api-url`/`AGENTRUNTIME_API_URL` with its token, or,
 * when none is set, the sandbox started in this process on a free loopback port.
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
        `the AgentRuntime API URL must be http:// or https://, not "${apiUrl}"`,
        command,
      );
    }
    if (!token) {
      throw new UsageError(
        "AGENTRUNTIME_API_URL is set but AGENTRUNTIME_TOKEN is not: set it to a user token of that AgentRuntime",
        command,
      );
    }
    return {
      client: createClient({ baseUrl: apiUrl, token }),
      baseUrl: apiUrl,
      close: async () => {},
    };
  }
  const db = options.sandboxDb ?? join(defaultDataDir(env), "sandbox.db");
  // Loaded only here: a server pointed at a real AgentRuntime never loads SQLite.
  const { startSandbox } = await import("../sandbox/server.js");
  const sandbox = await startSandbox({ db, host: "127.0.0.1", port: 0 });
  say(
    `No AGENTRUNTIME_API_URL is set, so this uses the embedded AgentRuntime sandbox at ${sandbox.url} (data: ${db}).`,
  );
  return {
    client: createClient({ baseUrl: sandbox.url, token: sandbox.tokens.contributor }),
    baseUrl: sandbox.url,
    embedded: sandbox,
    close: () => sandbox.close(),
  };
}
