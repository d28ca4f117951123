import type { HostedConfig } from "../hosted/config.js";
import { publicOrigin } from "../pages/one-time-pages.js";
import { pageKeyProblem } from "../store/seal.js";
import { UsageError } from "./args.js";

/**
 * Hosted mode is on when a store is given (`--store`, or `DATABASE_URL` with `--transport http
 * --public-url`); it then needs HTTP, a public URL, `AGENTRUNTIME_PAGE_KEY` and an AgentRuntime
 * API URL, and refuses to start without.
 */
export function hostedConfig(
  command: string,
  flags: {
    store?: string;
    publicUrl?: string;
    transport: string;
    apiUrl?: string;
    token?: string;
    httpToken?: string;
  },
  env: NodeJS.ProcessEnv,
): HostedConfig | undefined {
  // DATABASE_URL alone may be meant for another program: it counts only for a public HTTP server.
  const storeUrl =
    flags.store ?? (flags.transport === "http" && flags.publicUrl ? env.DATABASE_URL : undefined);
  if (!storeUrl) return undefined;
  if (flags.transport !== "http")
    throw new UsageError("hosted mode (--store or DATABASE_URL) serves --transport http", command);
  if (!flags.publicUrl)
    throw new UsageError(
      "hosted mode needs --public-url: the https:// origin people open one-time pages at",
      command,
    );
  try {
    publicOrigin(flags.publicUrl);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), command);
  }
  const pageKey = env.AGENTRUNTIME_PAGE_KEY;
  if (!pageKey)
    throw new UsageError(
      "hosted mode needs AGENTRUNTIME_PAGE_KEY, the same random key on every replica (openssl rand -base64 32): it seals what one-time pages hold in the database",
      command,
    );
  const weak = pageKeyProblem(pageKey);
  if (weak) throw new UsageError(weak, command);
  const apiUrl = flags.apiUrl ?? env.AGENTRUNTIME_API_URL;
  if (!apiUrl || !/^https?:\/\/[^\s/]+/.test(apiUrl))
    throw new UsageError(
      "hosted mode needs --api-url (or AGENTRUNTIME_API_URL): the AgentRuntime API callers' tokens are used against",
      command,
    );
  const token = flags.token ?? env.AGENTRUNTIME_TOKEN;
  if (flags.httpToken && !token)
    throw new UsageError(
      "with --http-token (single-tenant) hosted mode also needs AGENTRUNTIME_TOKEN, the one AgentRuntime token it uses",
      command,
    );
  return {
    storeUrl,
    publicUrl: flags.publicUrl,
    pageKey,
    apiUrl,
    ...(flags.httpToken && token ? { single: { httpToken: flags.httpToken, token } } : {}),
  };
}
