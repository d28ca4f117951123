import { writeFileSync } from "node:fs";
import { AgentRuntimeError } from "../client/errors.js";
import { buildSenderGuide } from "../handoff/sender-guide.js";
import { BACKEND_FLAGS, backendFlags, parseCommandArgs, UsageError } from "./args.js";
import { openBackend } from "./backend.js";
import { findWebhook } from "./list-command.js";

export const HANDOFF_HELP = `Usage: agentruntime-webhooks handoff --webhook <id|name> [options]

Prints a Markdown guide for the team that sends the webhooks: the ingress URL, the headers,
the signing recipe in curl, Node and Python, a sample body and the rotation policy. It holds
no secret: the signing secret and the PAT are named by hint and read from the environment.

Options:
  --webhook <id|name>          the inbound webhook: its id, or its name when only one
                               webhook has it (\`agentruntime-webhooks list\` shows both)
  --out <file>                 write the guide to a file instead of stdout
  --api-url <url>, --token <t> AgentRuntime to use (default $AGENTRUNTIME_API_URL and
                               $AGENTRUNTIME_TOKEN; without them, the embedded sandbox)
  --sandbox-db <path>          the embedded sandbox's database
  -h, --help                   show this help

Exit codes: 0 printed, 1 AgentRuntime refused or could not be reached, or --out could not
be written, 2 a wrong option, or no webhook (or more than one) has that id or name.
`;

type Io = { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; env: NodeJS.ProcessEnv };

export async function runHandoffCommand(argv: string[], io: Io): Promise<number | undefined> {
  const command = "handoff";
  const { values } = parseCommandArgs(command, argv, {
    webhook: { type: "string" },
    out: { type: "string" },
    ...BACKEND_FLAGS,
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    io.stdout.write(HANDOFF_HELP);
    return 0;
  }
  if (!values.webhook) {
    throw new UsageError("say which webhook with --webhook <id|name>", command);
  }
  const wanted = values.webhook;
  const backend = await openBackend(command, backendFlags(values), io.env, (line) =>
    io.stderr.write(`${line}\n`),
  );
  try {
    const subscription = await findWebhook(backend.client, wanted, command, io.env);
    const workflow = await backend.client.workflows.get(subscription.workflow_id);
    const guide = buildSenderGuide(subscription, workflow, "person");
    if (values.out) {
      const out = values.out;
      try {
        writeFileSync(out, guide);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const why =
          code === "ENOENT"
            ? "the folder does not exist"
            : code === "EACCES" || code === "EPERM"
              ? "permission denied"
              : code === "EISDIR"
                ? "it is a folder"
                : String(code ?? error);
        io.stderr.write(
          `agentruntime-webhooks handoff: could not write the guide to ${out}: ${why}\n`,
        );
        return 1;
      }
      io.stderr.write(`Wrote the sender guide for "${subscription.name}" to ${values.out}\n`);
    } else {
      io.stdout.write(guide);
    }
    return 0;
  } catch (error) {
    if (!(error instanceof AgentRuntimeError)) throw error;
    io.stderr.write(`agentruntime-webhooks handoff: ${error.message}\n`);
    return 1;
  } finally {
    await backend.close();
  }
}
