import { callerTokenFailure } from "../mcp/failures.js";
import type { ToolDefinition } from "../mcp/tool.js";

/**
 * Wraps a tool for hosted mode, where every AgentRuntime call uses the caller's own token: a
 * rejected token or too weak a role is reported as the caller's, never the operator's.
 */
export function forCallers(tool: ToolDefinition): ToolDefinition {
  return {
    ...tool,
    async run(args, context) {
      try {
        return await tool.run(args, context);
      } catch (error) {
        throw callerTokenFailure(error) ?? error;
      }
    },
  };
}
