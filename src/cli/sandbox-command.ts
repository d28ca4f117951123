import { join } from "node:path";
import { DEFAULT_MAX_BODY_BYTES, type SandboxInfo, startSandbox } from "../sandbox/server.js";
import { choiceFlag, defaultDataDir, integerFlag, parseCommandArgs, UsageError } from "./args.js";

export const SANDBOX_HELP = `Usage: agentruntime-webhooks sandbox [options]

Runs a local AgentRuntime: the inbound-webhook management API, signed ingress and run
starts, on a SQLite file. A new database is filled with demo data.

Options:
  --host <address>          address to listen on (default 127.0.0.1)
  --port <n>                port to listen on, 0 for any free port (default 8787)
  --db <path>               SQLite file, or :memory: for a throwaway sandbox
                            (default <data folder>/sandbox.db; the key file is <db>.key)
  --public-url <url>        base of every ingress_url (default: the listening address)
  --max-body <bytes>        largest ingress body accepted (default ${DEFAULT_MAX_BODY_BYTES})
  --seed <demo|none>        what a new database gets (default demo)
  --inbound-webhooks <on|off>
                            the deployment's inbound_webhooks switch (default on)
  --json                    print one JSON line on stdout once listening
  --quiet                   do not log requests on stderr
  -h, --help                show this help

Data folder: $AGENTRUNTIME_SANDBOX_DIR, else $XDG_DATA_HOME/agentruntime-webhooks,
else ~/.local/share/agentruntime-webhooks.
`;

/** Text a person reads when the sandbox is up: where it is and what to use against it. */
export function describeSandbox(info: SandboxInfo, db: string): string {
  const lines = [
    `AgentRuntime sandbox listening on ${info.url}`,
    `Database: ${db}`,
    "",
    "User tokens (Authorization: Bearer …):",
    `  contributor  ${info.tokens.contributor}`,
    `  viewer       ${info.tokens.viewer}`,
    "",
    "Workflows:",
    ...info.workflows.map(
      (workflow) => `  ${workflow.id}  ${workflow.status.padEnd(5)}  ${workflow.name}`,
    ),
    "",
    "API keys (automation PATs; shown because this is a local sandbox):",
    ...info.api_keys.map(
      (key) =>
        `  ${key.id}  ${key.in_vault ? "in vault " : "not in vault"}  ${key.name}\n      ${key.pat}`,
    ),
    "",
    "Press Ctrl+C to stop.",
  ];
  return `${lines.join("\n")}\n`;
}

export async function runSandboxCommand(
  argv: string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; env: NodeJS.ProcessEnv },
): Promise<undefined> {
  const command = "sandbox";
  const { values } = parseCommandArgs(command, argv, {
    host: { type: "string" },
    port: { type: "string" },
    db: { type: "string" },
    "public-url": { type: "string" },
    "max-body": { type: "string" },
    seed: { type: "string" },
    "inbound-webhooks": { type: "string" },
    json: { type: "boolean" },
    quiet: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    io.stdout.write(SANDBOX_HELP);
    return;
  }
  const db = values.db ?? join(defaultDataDir(io.env), "sandbox.db");
  const publicUrl = values["public-url"];
  if (publicUrl !== undefined && !/^https?:\/\/[^\s/]+/.test(publicUrl)) {
    throw new UsageError(
      `--public-url must be an http:// or https:// URL, not "${publicUrl}"`,
      command,
    );
  }
  const port = integerFlag(command, "port", values.port, { min: 0, max: 65535 }) ?? 8787;
  const sandbox = await startSandbox({
    db,
    host: values.host ?? "127.0.0.1",
    port,
    publicUrl,
    maxBodyBytes: integerFlag(command, "max-body", values["max-body"], {
      min: 1,
      max: 64 * 1024 * 1024,
    }),
    seed: choiceFlag(command, "seed", values.seed, ["demo", "none"] as const),
    inboundWebhooks:
      (choiceFlag(command, "inbound-webhooks", values["inbound-webhooks"], [
        "on",
        "off",
      ] as const) ?? "on") === "on",
    log: values.quiet ? undefined : (line) => io.stderr.write(`${line}\n`),
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "EADDRINUSE") {
      throw new Error(
        `port ${port} is already in use (EADDRINUSE); stop what uses it, or pick another with --port (0 picks a free one)`,
      );
    }
    throw error;
  });
  const info: SandboxInfo = {
    url: sandbox.url,
    tokens: sandbox.tokens,
    workflows: sandbox.workflows,
    api_keys: sandbox.api_keys,
  };
  io.stdout.write(values.json ? `${JSON.stringify(info)}\n` : describeSandbox(info, db));

  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      io.stderr.write(`Received ${signal}, closing the sandbox.\n`);
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      sandbox.close().then(resolve);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
