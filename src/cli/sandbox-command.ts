import { join } from "node:path";
import { DEFAULT_MAX_BODY_BYTES, type SandboxInfo, startSandbox } from "../sandbox/server.js";
import {
  choiceFlag,
  defaultDataDir,
  defaultSandboxDb,
  integerFlag,
  parseCommandArgs,
  UsageError,
} from "./args.js";
import {
  findSandbox,
  portFile,
  portHeldMessage,
  rememberPort,
  sandboxPort,
} from "./sandbox-address.js";

export const SANDBOX_HELP = `Usage: agentruntime-webhooks sandbox [options]

Runs a local AgentRuntime: the inbound-webhook management API, signed ingress and run
starts, on a SQLite file. A new database is filled with demo data.

Options:
  --host <address>          address to listen on (default 127.0.0.1)
  --port <n>                port to listen on, 0 for any free port (default
                            $AGENTRUNTIME_SANDBOX_PORT, else the port this database's
                            sandbox last used, else 8787; remembered in <db>.port)
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

/** The user tokens and demo PATs a person uses against a local sandbox. */
function credentialLines(info: SandboxInfo): string[] {
  return [
    "User tokens (Authorization: Bearer …):",
    `  contributor  ${info.tokens.contributor}`,
    `  viewer       ${info.tokens.viewer}`,
    "",
    "API keys (automation PATs; shown because this is a local sandbox):",
    ...info.api_keys.map(
      (key) =>
        `  ${key.id}  ${key.in_vault ? "in vault " : "not in vault"}  ${key.name}\n      ${key.pat}`,
    ),
  ];
}

/** Text a person reads when the sandbox is up: where it is and what to use against it. */
export function describeSandbox(info: SandboxInfo, db: string): string {
  const lines = [
    `AgentRuntime sandbox listening on ${info.url}`,
    `Database: ${db}`,
    ...(db === ":memory:"
      ? []
      : [
          `This address is remembered in ${portFile(db)}: URLs handed out for this data folder answer whenever its sandbox runs.`,
        ]),
    "",
    "Workflows:",
    ...info.workflows.map(
      (workflow) => `  ${workflow.id}  ${workflow.status.padEnd(5)}  ${workflow.name}`,
    ),
    "",
    ...credentialLines(info),
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
  const db = values.db ?? defaultSandboxDb(io.env);
  const publicUrl = values["public-url"];
  if (publicUrl !== undefined && !/^https?:\/\/[^\s/]+/.test(publicUrl)) {
    throw new UsageError(
      `--public-url must be an http:// or https:// URL, not "${publicUrl}"`,
      command,
    );
  }
  const address = sandboxPort(db, io.env, command);
  const port = integerFlag(command, "port", values.port, { min: 0, max: 65535 }) ?? address.port;
  // What the person came for (a token, a PAT for the curl test) is printed even so.
  const alreadyUp = (found: SandboxInfo) => {
    io.stdout.write(
      values.json ? `${JSON.stringify(found)}\n` : `${credentialLines(found).join("\n")}\n`,
    );
    return new Error(
      `the sandbox of ${db} already runs at ${found.url}, in another process (an MCP server, the wizard or another terminal). Use it as it is, or stop that process and run this again to keep it up here.`,
    );
  };
  // Two sandboxes of one database would hand out two addresses for the same webhooks.
  if (address.remembered !== undefined) {
    const found = await findSandbox(db, address.remembered);
    if (found.kind === "ours") throw alreadyUp(found.info);
  }
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
  }).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== "EADDRINUSE") throw error;
    const found = await findSandbox(db, port);
    if (found.kind === "ours") throw alreadyUp(found.info);
    throw new Error(
      portHeldMessage(port, found.kind === "other" ? found.what : "another program", db, "flag"),
    );
  });
  rememberPort(db, sandbox.url);
  const info: SandboxInfo = {
    url: sandbox.url,
    tokens: sandbox.tokens,
    workflows: sandbox.workflows,
    api_keys: sandbox.api_keys,
  };
  // Listening for signals before printing: whoever reads the line may stop us at once.
  const stopped = closedOnSignal(sandbox, io.stderr);
  io.stdout.write(values.json ? `${JSON.stringify(info)}\n` : describeSandbox(info, db));
  await stopped;
}

/** Closes the sandbox on SIGINT or SIGTERM, saying so; resolves once it is closed. */
function closedOnSignal(
  sandbox: { close(): Promise<void> },
  stderr: NodeJS.WritableStream,
): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      stderr.write(`Received ${signal}, closing the sandbox.\n`);
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      sandbox.close().then(resolve);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
