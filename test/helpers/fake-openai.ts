import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A scripted model turn: some text, or one tool call, or an HTTP failure to answer with. */
export type ScriptedTurn =
  | { text: string }
  | { tool: string; args: Record<string, unknown>; text?: string }
  | { fail: number; retryAfterMs?: number };

export interface ChatRequest {
  model: string;
  stream?: boolean;
  messages: {
    role: string;
    content: string | null;
    tool_call_id?: string;
    tool_calls?: unknown[];
  }[];
  tools?: {
    type: string;
    function: { name: string; strict?: boolean; parameters: Record<string, unknown> };
  }[];
  parallel_tool_calls?: boolean;
}

function sse(res: ServerResponse, chunks: unknown[]): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  for (const chunk of chunks) res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  res.end("data: [DONE]\n\n");
}

/**
 * A fake OpenAI-compatible server on loopback: `POST /v1/chat/completions` answers with the
 * next scripted turn, streamed as the real API streams it. Every request body is kept, so
 * tests can check everything a model was ever sent.
 */
export async function startFakeOpenAi(
  script: (request: ChatRequest, index: number) => ScriptedTurn,
) {
  const requests: ChatRequest[] = [];
  let served = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      if (req.url !== "/v1/chat/completions" || req.method !== "POST") {
        res.writeHead(404).end();
        return;
      }
      const request = JSON.parse(Buffer.concat(chunks).toString("utf8")) as ChatRequest;
      requests.push(request);
      const turn = script(request, served);
      served += 1;
      const base = {
        id: `chatcmpl-${served}`,
        object: "chat.completion.chunk",
        created: 0,
        model: request.model,
      };
      if ("fail" in turn) {
        res.writeHead(turn.fail, {
          "content-type": "application/json",
          ...(turn.retryAfterMs !== undefined
            ? { "retry-after-ms": String(turn.retryAfterMs) }
            : {}),
        });
        res.end(JSON.stringify({ error: { message: "scripted failure", type: "server_error" } }));
        return;
      }
      const text = "text" in turn && turn.text ? turn.text : "";
      const out: unknown[] = [
        { ...base, choices: [{ index: 0, delta: { role: "assistant", content: "" } }] },
      ];
      // Split the text in two deltas, as a real stream would.
      const half = Math.ceil(text.length / 2);
      for (const part of [text.slice(0, half), text.slice(half)].filter(Boolean)) {
        out.push({ ...base, choices: [{ index: 0, delta: { content: part } }] });
      }
      if ("tool" in turn) {
        const args = JSON.stringify(turn.args);
        const cut = Math.ceil(args.length / 2);
        out.push({
          ...base,
          choices: [
            {
              index: 0,
              delta: {
                tool_calls: [
                  {
                    index: 0,
                    id: `call_${served}`,
                    type: "function",
                    function: { name: turn.tool, arguments: args.slice(0, cut) },
                  },
                ],
              },
            },
          ],
        });
        out.push({
          ...base,
          choices: [
            {
              index: 0,
              delta: { tool_calls: [{ index: 0, function: { arguments: args.slice(cut) } }] },
            },
          ],
        });
      }
      out.push({
        ...base,
        choices: [{ index: 0, delta: {}, finish_reason: "tool" in turn ? "tool_calls" : "stop" }],
      });
      sse(res, out);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The last tool result the model was sent, parsed as JSON (or the raw text). */
export function lastToolResult(request: ChatRequest): {
  text: string;
  json: Record<string, unknown> | undefined;
} {
  const message = [...request.messages].reverse().find((m) => m.role === "tool");
  const text = message?.content ?? "";
  try {
    return { text, json: JSON.parse(text) as Record<string, unknown> };
  } catch {
    return { text, json: undefined };
  }
}
