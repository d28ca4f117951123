import type { z } from "zod";
import type { AgentRuntimeClient } from "../client/client.js";
import type { OneTimePages } from "../pages/one-time-pages.js";
import type { McpWizards } from "./wizards.js";

/** How a new signing secret reaches the person: a one-time page (default) or the tool result. */
export type SecretDelivery = "page" | "inline";

/** What a tool may use; the server builds one per call. */
export interface ToolContext {
  client: AgentRuntimeClient;
  pages: OneTimePages;
  /** The guided setup, loaded on first use; absent where a host runs the CRUD tools only. */
  wizards: (() => Promise<McpWizards>) | undefined;
  secretDelivery: SecretDelivery;
  /** Sends the person to a URL through the client's URL-mode elicitation; false when it cannot. */
  openUrl(request: { url: string; message: string; elicitationId: string }): Promise<boolean>;
  /** Tells the client a URL elicitation it was sent to has been completed. */
  completeElicitation(elicitationId: string): void;
  signal: AbortSignal;
  /** Reports progress of a slow call when the client asked for it (a progress token). */
  progress(done: number, total: number, message: string): Promise<void>;
}

/** The groups a host can pick with `--toolsets`, in the order help and errors list them. */
export const TOOLSET_NAMES = ["wizard", "webhooks", "operations"] as const;
export type ToolsetName = (typeof TOOLSET_NAMES)[number];

export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

/** A tool's answer: the structured result and, optionally, a short text for the model. */
export interface ToolAnswer<Output> {
  structured: Output;
  text?: string;
}

/**
 * One MCP tool, fully described: the registry lists these, the server exposes them, and the
 * catalogue test checks them. Input and output are zod object shapes, the only schemas.
 */
export interface ToolDefinition<
  Input extends z.ZodRawShape = z.ZodRawShape,
  Output extends z.ZodRawShape = z.ZodRawShape,
> {
  name: string;
  /** The group this tool is registered with; the registry derives the groups from it. */
  toolset: ToolsetName;
  title: string;
  description: string;
  input: Input;
  output: Output;
  annotations: ToolAnnotations;
  /** Added to a refusal of secret-shaped arguments, e.g. a wizard step's legal answers. */
  refusalHint?(args: Record<string, unknown>, wizards: ToolContext["wizards"]): Promise<string>;
  /** Listed as the tool's `_meta`: the MCP Apps card a host draws for its results. */
  meta?: Readonly<Record<string, unknown>>;
  run(
    args: z.infer<z.ZodObject<Input>>,
    context: ToolContext,
  ): Promise<ToolAnswer<z.infer<z.ZodObject<Output>>>>;
}

/** Keeps a tool's argument and result types tied to its schemas. */
export function defineTool<Input extends z.ZodRawShape, Output extends z.ZodRawShape>(
  tool: ToolDefinition<Input, Output>,
): ToolDefinition<Input, Output> {
  return tool;
}

/**
 * An expected failure: the call was fine, but the request cannot be done as asked. It
 * becomes an `isError` result that says what failed and what to do next.
 */
export class ToolFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ToolFailure";
  }
}
