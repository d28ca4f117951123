import { z } from "zod";
import { defineTool } from "../src/mcp/tool.js";
import { nextCursor, pageArguments, WorkflowView, workflowView } from "../src/mcp/views.js";

export const listWorkflows = defineTool({
  name: "list_workflows",
  toolset: "webhooks",
  title: "List workflows",
  description:
    "Lists workflows and the input fields they read. Only saved ones can get an inbound webhook.",
  input: pageArguments,
  output: { workflows: z.array(WorkflowView), next_cursor: nextCursor },
  annotations: {
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  async run(args, { client }) {
    const page = await client.workflows.list(args);
    return {
      structured: { workflows: page.workflows.map(workflowView), next_cursor: page.next_cursor },
    };
  },
});
