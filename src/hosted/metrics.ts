import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { AgentRuntimeError } from "../client/errors.js";
import { type ToolDefinition, ToolFailure } from "../mcp/tool.js";
import type { PageRow } from "../store/store.js";

/** What a tool call came to: an answer, a failure the model can act on, or a bug. */
export type ToolOutcome = "ok" | "failed" | "error";

/** The Prometheus metrics of one hosted server, in its own registry (nothing global). */
export interface HostedMetrics {
  registry: Registry;
  /** Wraps a tool so each call is counted by name and outcome and timed. */
  measure(tool: ToolDefinition): ToolDefinition;
  page(event: "issued" | "used", kind: PageRow["kind"]): void;
  pagesExpired(count: number): void;
  /** A request to `/mcp` turned away before any tool ran. */
  refused(reason: "unauthenticated" | "unavailable"): void;
}

/** Creates the metrics; `openSetups` is read when Prometheus scrapes. */
export function createHostedMetrics(openSetups: () => Promise<number>): HostedMetrics {
  const registry = new Registry();
  const calls = new Counter({
    name: "agentruntime_webhooks_tool_calls_total",
    help: "MCP tool calls by tool and outcome (ok, failed: an answer the model can act on, error: a bug).",
    labelNames: ["tool", "outcome"] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: "agentruntime_webhooks_tool_call_seconds",
    help: "Duration of MCP tool calls, by tool.",
    labelNames: ["tool"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  new Gauge({
    name: "agentruntime_webhooks_open_setups",
    help: "Guided setups touched within the wizard time limit.",
    registers: [registry],
    async collect() {
      this.set(await openSetups().catch(() => 0));
    },
  });
  const pages = new Counter({
    name: "agentruntime_webhooks_pages_total",
    help: "One-time pages by kind (reveal, paste) and event (issued, used, expired).",
    labelNames: ["kind", "event"] as const,
    registers: [registry],
  });
  const refused = new Counter({
    name: "agentruntime_webhooks_mcp_requests_refused_total",
    help: "MCP requests turned away before any tool ran, by reason (unauthenticated: AgentRuntime does not know the bearer; unavailable: it could not be asked).",
    labelNames: ["reason"] as const,
    registers: [registry],
  });
  return {
    registry,
    measure(tool) {
      return {
        ...tool,
        async run(args, context) {
          const stop = latency.startTimer({ tool: tool.name });
          let outcome: ToolOutcome = "error";
          try {
            const answer = await tool.run(args, context);
            outcome = "ok";
            return answer;
          } catch (error) {
            if (error instanceof ToolFailure || error instanceof AgentRuntimeError)
              outcome = "failed";
            throw error;
          } finally {
            stop();
            calls.inc({ tool: tool.name, outcome });
          }
        },
      };
    },
    page(event, kind) {
      pages.inc({ kind, event });
    },
    pagesExpired(count) {
      if (count > 0) pages.inc({ kind: "any", event: "expired" }, count);
    },
    refused(reason) {
      refused.inc({ reason });
    },
  };
}
