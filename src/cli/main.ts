#!/usr/bin/env node
import { UsageError } from "./args.js";
import { commandLine } from "./command-name.js";
import { packageVersion } from "./version.js";

const HELP = `Usage: agentruntime-webhooks <command> [options]

Inbound webhooks for AgentRuntime workflows.

Commands:
  chat        chat with Autopilot (any OpenAI-compatible model), which drives the guided setup
  demo        a scripted browser demo of the Inbound webhook card: no model, local sandbox
  handoff     print the sender hand-off guide (Markdown) of an inbound webhook
  list        list the inbound webhooks (a table, or --json)
  mcp         serve the inbound-webhook MCP tools (stdio or Streamable HTTP)
  sandbox     run a local AgentRuntime (API, signed ingress, run starts) on SQLite
  wizard      create an inbound webhook step by step, in the terminal or from flags

Run 'agentruntime-webhooks <command> --help' for a command's options.
Options:
  -h, --help     show this help
  -v, --version  print the version
`;

type Io = { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; env: NodeJS.ProcessEnv };

// Each command is loaded when it runs, so `mcp` starts without the SQLite sandbox's code.
/** A command resolves with its exit code, or nothing for success. */
type Command = (argv: string[], io: Io) => Promise<number | undefined>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  chat: async () => (await import("./chat-command.js")).runChatCommand,
  demo: async () => (await import("./demo-command.js")).runDemoCommand,
  handoff: async () => (await import("./handoff-command.js")).runHandoffCommand,
  list: async () => (await import("./list-command.js")).runListCommand,
  mcp: async () => (await import("./mcp-command.js")).runMcpCommand,
  sandbox: async () => (await import("./sandbox-command.js")).runSandboxCommand,
  wizard: async () => (await import("./wizard-command.js")).runWizardCommand,
};

async function main(argv: string[]): Promise<number> {
  const io: Io = { stdout: process.stdout, stderr: process.stderr, env: process.env };
  const [name, ...rest] = argv;
  if (name === undefined || name === "-h" || name === "--help" || name === "help") {
    io.stdout.write(HELP);
    return name === undefined ? 2 : 0;
  }
  if (name === "-v" || name === "--version") {
    io.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.stderr.write(`agentruntime-webhooks: unknown command "${name}"\n\n${HELP}`);
    return 2;
  }
  try {
    const command = await load();
    return (await command(rest, io)) ?? 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(
        `agentruntime-webhooks ${error.command}: ${error.message}\nRun '${commandLine(`${error.command} --help`, io.env)}' for usage.\n`,
      );
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`agentruntime-webhooks ${name}: ${message}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
