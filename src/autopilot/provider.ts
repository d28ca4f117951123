import OpenAI from "openai";
import type { FunctionTool } from "./strict-tools.js";

/** One message of the conversation, in the chat-completions shape every compatible server takes. */
export type ChatMessage =
  | { role: "system" | "user"; content: string }
  | {
      role: "assistant";
      content: string | null;
      tool_calls?: {
        id: string;
        type: "function";
        function: { name: string; arguments: string };
      }[];
    }
  | { role: "tool"; tool_call_id: string; content: string };

export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface AssistantTurn {
  text: string;
  toolCalls: ToolCall[];
}

/** What the chat loop needs of a model: one streamed turn. */
export interface ChatProvider {
  readonly model: string;
  complete(
    request: { messages: ChatMessage[]; tools: FunctionTool[] },
    onText: (delta: string) => void,
    signal?: AbortSignal,
  ): Promise<AssistantTurn>;
}

export interface OpenAiProviderOptions {
  model: string;
  apiKey?: string | undefined;
  baseUrl?: string | undefined;
  /** Retries of 429, 5xx and dropped connections, with backoff (the SDK's own; default 3). */
  maxRetries?: number;
  timeoutMs?: number;
}

/**
 * A provider on the official `openai` SDK: OpenAI itself, or any compatible server (Ollama,
 * vLLM, LM Studio) through `baseUrl`. Streams text, one tool call at a time.
 */
export function openAiProvider(options: OpenAiProviderOptions): ChatProvider {
  const client = new OpenAI({
    // Local servers ignore the key, but the SDK requires one.
    apiKey: options.apiKey || "not-needed",
    baseURL: options.baseUrl,
    maxRetries: options.maxRetries ?? 3,
    timeout: options.timeoutMs ?? 120_000,
  });
  return {
    model: options.model,
    async complete(request, onText, signal) {
      const stream = await client.chat.completions.create(
        {
          model: options.model,
          messages: request.messages as OpenAI.Chat.Completions.ChatCompletionMessageParam[],
          ...(request.tools.length > 0 ? { tools: request.tools, parallel_tool_calls: false } : {}),
          stream: true,
        },
        signal ? { signal } : undefined,
      );
      let text = "";
      const calls = new Map<number, ToolCall>();
      for await (const chunk of stream) {
        const delta = chunk.choices[0]?.delta;
        if (!delta) continue;
        if (delta.content) {
          text += delta.content;
          onText(delta.content);
        }
        for (const call of delta.tool_calls ?? []) {
          const current = calls.get(call.index) ?? { id: "", name: "", arguments: "" };
          if (call.id) current.id = call.id;
          if (call.function?.name) current.name += call.function.name;
          if (call.function?.arguments) current.arguments += call.function.arguments;
          calls.set(call.index, current);
        }
      }
      return {
        text,
        toolCalls: [...calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call),
      };
    },
  };
}
