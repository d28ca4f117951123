import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { packageRoot } from "../package-root.js";
import { redactSecrets } from "../untrusted/secret-shapes.js";
import type { ChatMessage, ChatProvider } from "./provider.js";
import { type StrictTool, toMcpArguments, toStrictTool } from "./strict-tools.js";

export const DEFAULT_MAX_TOOL_ROUNDS = 8;

/** What a host shows while a turn runs. */
export interface AutopilotEvents {
  onText?(delta: string): void;
  onToolCall?(name: string): void;
  /** A tool's result as the host's UI may draw it (a wizard card); the model gets its text. */
  onToolResult?(name: string, result: CallToolResult): void;
  /** Something the person must know that is not the model's reply. */
  onNotice?(text: string): void;
}

export interface TurnOutcome {
  text: string;
  toolRounds: number;
  capped: boolean;
  secretRemoved: boolean;
}

/** The system prompt, with what the host knows about the person's context. */
export function systemPrompt(context: { workflowId?: string | undefined }): string {
  const template = readFileSync(join(packageRoot(), "prompts", "autopilot", "system.md"), "utf8");
  const known = context.workflowId
    ? `\nThe workflow open in Workflow Studio has the id ${context.workflowId}.`
    : "\nNo workflow is open in Workflow Studio; the wizard will offer the saved ones.";
  return template.replace("{{context}}", known).trim();
}

/** Removes anything shaped like a secret before it can reach a model. */
export function scrubSecrets(text: string): { text: string; removed: boolean } {
  const scrubbed = redactSecrets(text);
  return { text: scrubbed, removed: scrubbed !== text };
}

function resultText(result: CallToolResult): string {
  const text = result.content
    .map((item) => (item.type === "text" ? item.text : `[${item.type}]`))
    .join("\n");
  return scrubSecrets(result.isError ? `Error: ${text}` : text).text;
}

/**
 * The chat loop: an MCP client of our own server on one side, a model on the other. It
 * lists the tools once, calls them one at a time, hands `isError` results back to the model,
 * and stops a turn after a fixed number of tool rounds.
 */
export class Autopilot {
  readonly messages: ChatMessage[];
  readonly #provider: ChatProvider;
  readonly #mcp: Client;
  readonly #maxToolRounds: number;
  #tools: Map<string, StrictTool> | undefined;

  constructor(options: {
    provider: ChatProvider;
    mcp: Client;
    systemPrompt: string;
    maxToolRounds?: number;
  }) {
    this.#provider = options.provider;
    this.#mcp = options.mcp;
    this.#maxToolRounds = options.maxToolRounds ?? DEFAULT_MAX_TOOL_ROUNDS;
    this.messages = [{ role: "system", content: options.systemPrompt }];
  }

  async #strictTools(): Promise<Map<string, StrictTool>> {
    if (!this.#tools) {
      const { tools } = await this.#mcp.listTools();
      this.#tools = new Map(tools.map((tool) => [tool.name, toStrictTool(tool)]));
    }
    return this.#tools;
  }

  /** One turn: the person's message, then model and tool rounds until the model answers in text. */
  async send(
    userText: string,
    events: AutopilotEvents = {},
    signal?: AbortSignal,
  ): Promise<TurnOutcome> {
    const tools = await this.#strictTools();
    const { text: safeText, removed } = scrubSecrets(userText);
    if (removed) {
      events.onNotice?.(
        "That looked like a PAT or a signing secret, so it was removed before anything was sent to the model. Use the private page the setup gives you instead, and rotate that secret if it was real: it may be exposed.",
      );
    }
    this.messages.push({ role: "user", content: safeText });
    let rounds = 0;
    for (;;) {
      const turn = await this.#provider.complete(
        { messages: this.messages, tools: [...tools.values()].map((entry) => entry.tool) },
        (delta) => events.onText?.(delta),
        signal,
      );
      this.messages.push({
        role: "assistant",
        content: turn.text || null,
        ...(turn.toolCalls.length > 0
          ? {
              tool_calls: turn.toolCalls.map((call) => ({
                id: call.id,
                type: "function" as const,
                function: { name: call.name, arguments: call.arguments },
              })),
            }
          : {}),
      });
      if (turn.toolCalls.length === 0)
        return { text: turn.text, toolRounds: rounds, capped: false, secretRemoved: removed };
      if (rounds >= this.#maxToolRounds) {
        for (const call of turn.toolCalls) {
          this.messages.push({
            role: "tool",
            tool_call_id: call.id,
            content: `Not run: this turn reached its limit of ${this.#maxToolRounds} tool rounds. Tell the person what was done and ask how to go on.`,
          });
        }
        events.onNotice?.(
          `Autopilot stopped after ${this.#maxToolRounds} tool rounds in this turn. Say how to go on.`,
        );
        return { text: turn.text, toolRounds: rounds, capped: true, secretRemoved: removed };
      }
      rounds += 1;
      // One at a time, in order: a later call may depend on what an earlier one changed.
      for (const call of turn.toolCalls) {
        this.messages.push({
          role: "tool",
          tool_call_id: call.id,
          content: await this.#call(call, tools, events),
        });
      }
    }
  }

  async #call(
    call: { name: string; arguments: string },
    tools: Map<string, StrictTool>,
    events: AutopilotEvents,
  ) {
    const tool = tools.get(call.name);
    if (!tool)
      return `Error: there is no tool named ${call.name.slice(0, 64)}; use one of the tools listed.`;
    const parsed = toMcpArguments(call.arguments, tool.plan);
    if ("error" in parsed) return `Error: ${parsed.error}`;
    events.onToolCall?.(call.name);
    try {
      const result = (await this.#mcp.callTool({
        name: call.name,
        arguments: parsed.args,
      })) as CallToolResult;
      events.onToolResult?.(call.name, result);
      return resultText(result);
    } catch (error) {
      return `Error: the tool failed (${error instanceof Error ? scrubSecrets(error.message).text.slice(0, 300) : "unknown"}). Tell the person; do not retry it in a loop.`;
    }
  }
}
