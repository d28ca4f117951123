import type { AgentRuntimeClient } from "../client/client.js";
import { AgentRuntimeError } from "../client/errors.js";
import type { Subscription, Workflow } from "../contract/schemas.js";
import { cleanLine } from "../untrusted/mark.js";
import { BACKEND_FLAGS, backendFlags, parseCommandArgs, UsageError } from "./args.js";
import { openBackend } from "./backend.js";
import { commandLine } from "./command-name.js";

export const LIST_HELP = `Usage: agentruntime-webhooks list [options]

Lists the inbound webhooks, newest first: id, name, workflow, state and ingress URL. It
shows no secret (only the signing secret's and the PAT's last four characters, in --json).

Options:
  --workflow <id|name>         only the webhooks of this workflow
  --json                       one JSON object on stdout: {"inbound_webhooks": [...]}, each
                               as AgentRuntime answers it
  --api-url <url>, --token <t> AgentRuntime to use (default $AGENTRUNTIME_API_URL and
                               $AGENTRUNTIME_TOKEN; without them, the embedded sandbox)
  --sandbox-db <path>          the embedded sandbox's database
  -h, --help                   show this help

Exit codes: 0 listed (also when there are none), 1 AgentRuntime refused or could not be
reached, 2 a wrong option or an unknown workflow.
`;

type Io = { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; env: NodeJS.ProcessEnv };

/** Every inbound webhook, newest first, following the pages to the end. */
export async function allWebhooks(
  client: AgentRuntimeClient,
  workflowId?: string,
): Promise<Subscription[]> {
  const found: Subscription[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.inboundWebhooks.list({
      limit: 200,
      ...(cursor ? { cursor } : {}),
      ...(workflowId ? { workflow_id: workflowId } : {}),
    });
    found.push(...page.subscriptions);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return found;
}

async function allWorkflows(client: AgentRuntimeClient): Promise<Workflow[]> {
  const found: Workflow[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.workflows.list({ limit: 200, ...(cursor ? { cursor } : {}) });
    found.push(...page.workflows);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return found;
}

/**
 * The one webhook a person means by an id or a name. A name used on two workflows is
 * ambiguous: the error lists the candidates' ids, so the person can say which.
 */
export async function findWebhook(
  client: AgentRuntimeClient,
  idOrName: string,
  command: string,
  env: NodeJS.ProcessEnv,
): Promise<Subscription> {
  const webhooks = await allWebhooks(client);
  const byId = webhooks.find((webhook) => webhook.id === idOrName);
  if (byId) return byId;
  const named = webhooks.filter((webhook) => webhook.name === idOrName);
  const [only] = named;
  if (only && named.length === 1) return only;
  if (named.length > 1) {
    const workflows = await allWorkflows(client);
    const lines = named.map(
      (webhook) =>
        `  ${webhook.id}  (workflow "${cleanLine(workflowName(workflows, webhook.workflow_id))}")`,
    );
    throw new UsageError(
      `${named.length} inbound webhooks are named "${cleanLine(idOrName)}"; say which with --webhook <id>:\n${lines.join("\n")}`,
      command,
    );
  }
  throw new UsageError(
    `no inbound webhook has the id or name "${cleanLine(idOrName)}"; \`${commandLine("list", env)}\` shows them`,
    command,
  );
}

function workflowName(workflows: Workflow[], id: string): string {
  return workflows.find((workflow) => workflow.id === id)?.name ?? id;
}

/** A plain table; the ingress URL is last and never cut, so it copies whole. */
export function webhookTable(webhooks: Subscription[], workflows: Workflow[]): string {
  const rows = webhooks.map((webhook) => [
    webhook.id,
    cleanLine(webhook.name, 64),
    cleanLine(workflowName(workflows, webhook.workflow_id), 40),
    webhook.enabled ? "on" : "paused",
    webhook.ingress_url,
  ]);
  const header = ["ID", "NAME", "WORKFLOW", "STATE", "INGRESS URL"];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) =>
        column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0),
      )
      .join("  ");
  return `${[header, ...rows].map(line).join("\n")}\n`;
}

/** `agentruntime-webhooks list`: the inbound webhooks as a table, or as JSON. */
export async function runListCommand(argv: string[], io: Io): Promise<number | undefined> {
  const command = "list";
  const { values } = parseCommandArgs(command, argv, {
    workflow: { type: "string" },
    json: { type: "boolean" },
    ...BACKEND_FLAGS,
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    io.stdout.write(LIST_HELP);
    return 0;
  }
  const backend = await openBackend(command, backendFlags(values), io.env, (line) =>
    io.stderr.write(`${line}\n`),
  );
  try {
    const workflows = await allWorkflows(backend.client);
    let workflowId: string | undefined;
    if (values.workflow !== undefined) {
      const wanted = values.workflow;
      const workflow =
        workflows.find((item) => item.id === wanted) ??
        workflows.find((item) => item.name === wanted);
      if (!workflow) {
        throw new UsageError(
          `no workflow has the id or name "${cleanLine(wanted)}"; the workflows are: ${workflows.map((item) => `"${cleanLine(item.name)}"`).join(", ")}`,
          command,
        );
      }
      workflowId = workflow.id;
    }
    const webhooks = await allWebhooks(backend.client, workflowId);
    if (values.json) {
      io.stdout.write(`${JSON.stringify({ inbound_webhooks: webhooks })}\n`);
    } else if (webhooks.length === 0) {
      io.stdout.write(
        `No inbound webhooks yet. Create one with \`${commandLine("wizard", io.env)}\`.\n`,
      );
    } else {
      io.stdout.write(webhookTable(webhooks, workflows));
    }
    return 0;
  } catch (error) {
    if (!(error instanceof AgentRuntimeError)) throw error;
    io.stderr.write(`agentruntime-webhooks list: ${error.message}\n`);
    return 1;
  } finally {
    await backend.close();
  }
}
