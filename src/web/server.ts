import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { Autopilot } from "../autopilot/autopilot.js";
import { scrubSecrets } from "../autopilot/autopilot.js";
import { builtChatScriptPath } from "../card/build-paths.js";
import { CARD_URI } from "../card/resource.js";
import { pageNonce } from "../html/escape.js";
import { type ChatMode, renderChatPage } from "./page.js";

/** The tools the page and the card may call: the guided setup the card draws, nothing else. */
export const CARD_TOOLS = [
  "start_inbound_webhook_wizard",
  "answer_inbound_webhook_wizard",
  "get_inbound_webhook_wizard",
] as const;

const MAX_BODY_BYTES = 64 * 1024;

const ToolRequest = z.object({
  name: z.enum(CARD_TOOLS),
  arguments: z.record(z.string(), z.unknown()).default({}),
});
/** Which page's conversation a message or card context belongs to: each page load starts one. */
const ConversationId = z.string().uuid();
/** A person's message, or the card's context for the next turn: the same shape. */
const PageText = z.object({
  conversation: ConversationId,
  text: z.string().min(1).max(4000),
});

/** Conversations kept at once (one per open page); the oldest ends first. */
const MAX_CONVERSATIONS = 8;

/** What the page streams while a model turn runs, one JSON object a line. */
export type ChatEvent =
  | { type: "you"; text: string }
  | { type: "text"; delta: string }
  | { type: "tool"; name: string }
  | { type: "result"; name: string; result: CallToolResult }
  | { type: "notice"; text: string }
  | { type: "error"; text: string }
  | { type: "done" };

export interface ChatWebOptions {
  /**
   * The host's MCP client of our server: every tool call of the page and the card uses it.
   * Without one (no model), the page only says how to connect a model.
   */
  mcp?: Client;
  mode: ChatMode;
  /** Starts a conversation with the model, one per page load; the scripted demo has none. */
  newConversation?: () => Autopilot;
  host?: string;
  port?: number;
  /** The page's bundled script (default: the built one). */
  chatScript?: () => Promise<string>;
}

export interface RunningChatWeb {
  url: string;
  close(): Promise<void>;
}

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on("end", () => {
      if (size > MAX_BODY_BYTES) return reject(new HttpProblem(413, "The request is too large."));
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch {
        reject(new HttpProblem(400, "The request is not JSON."));
      }
    });
    req.on("error", reject);
  });
}

const PAGE_HEADERS = {
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
};

/** Runs the page's tool calls: only the guided setup's tools, through our MCP client. */
async function callCardTool(mcp: ChatWebOptions["mcp"], body: unknown): Promise<CallToolResult> {
  if (!mcp) throw new HttpProblem(409, "No setup runs on this page: connect a model first.");
  const parsed = ToolRequest.safeParse(body);
  if (!parsed.success) {
    throw new HttpProblem(
      403,
      `Only the guided setup's tools (${CARD_TOOLS.join(", ")}) can be called from the page.`,
    );
  }
  return (await mcp.callTool({
    name: parsed.data.name,
    arguments: parsed.data.arguments,
  })) as CallToolResult;
}

interface Conversation {
  autopilot: Autopilot;
  /** What the card last told the model, sent with the next message. */
  pendingContext: string[];
  turnRunning: boolean;
}

/**
 * Autopilot's conversations, one per page load, each streaming its turns one at a time as
 * NDJSON. A reloaded page starts a new one: the model never holds messages the person no
 * longer sees. What the card told the model between turns reaches it with the next message.
 */
function chatTurns(newConversation: ChatWebOptions["newConversation"], mode: ChatMode) {
  const conversations = new Map<string, Conversation>();
  const find = (id: string): Conversation => {
    const found = conversations.get(id);
    if (!found) {
      throw new HttpProblem(
        409,
        "This page's conversation has ended (the Chat was restarted, or newer pages replaced it). Reload the page to start a new one.",
      );
    }
    return found;
  };
  return {
    /** A new conversation for a page being served, or undefined without a model. */
    start(): string | undefined {
      if (!newConversation) return undefined;
      const id = randomUUID();
      conversations.set(id, {
        autopilot: newConversation(),
        pendingContext: [],
        turnRunning: false,
      });
      for (const oldest of conversations.keys()) {
        if (conversations.size <= MAX_CONVERSATIONS) break;
        conversations.delete(oldest);
      }
      return id;
    },
    /** Keeps the card's latest context: each update describes the whole current step. */
    remember(body: unknown): void {
      const parsed = PageText.safeParse(body);
      if (!parsed.success) throw new HttpProblem(400, "Send the card's context as text.");
      if (!newConversation) return;
      const { pendingContext } = find(parsed.data.conversation);
      pendingContext.splice(0, pendingContext.length, scrubSecrets(parsed.data.text).text);
    },
    async stream(body: unknown, res: ServerResponse): Promise<void> {
      if (!newConversation)
        throw new HttpProblem(
          409,
          mode.kind === "demo"
            ? "This is the scripted demo: there is no model to talk to."
            : "No model is connected: start this again with OPENAI_MODEL set to talk to Autopilot.",
        );
      const parsed = PageText.safeParse(body);
      if (!parsed.success) throw new HttpProblem(400, "Send a message of 1 to 4,000 characters.");
      const conversation = find(parsed.data.conversation);
      if (conversation.turnRunning)
        throw new HttpProblem(409, "Autopilot is still answering the last message.");
      conversation.turnRunning = true;
      res.writeHead(200, {
        ...PAGE_HEADERS,
        "content-type": "application/x-ndjson; charset=utf-8",
      });
      const send = (event: ChatEvent) => res.write(`${JSON.stringify(event)}\n`);
      send({ type: "you", text: scrubSecrets(parsed.data.text).text });
      const context = conversation.pendingContext.splice(0);
      const text = context.length
        ? `${context.join("\n")}\n\n${parsed.data.text}`
        : parsed.data.text;
      try {
        await conversation.autopilot.send(text, {
          onText: (delta) => send({ type: "text", delta }),
          onToolCall: (name) => send({ type: "tool", name }),
          onToolResult: (name, result) => {
            if ((CARD_TOOLS as readonly string[]).includes(name))
              send({ type: "result", name, result });
          },
          onNotice: (notice) => send({ type: "notice", text: notice }),
        });
      } catch (error) {
        send({
          type: "error",
          text: `The model could not be reached or refused the request (${scrubSecrets(error instanceof Error ? error.message : String(error)).text.slice(0, 300)}). Check OPENAI_BASE_URL, OPENAI_MODEL and OPENAI_API_KEY.`,
        });
      } finally {
        conversation.turnRunning = false;
        send({ type: "done" });
        res.end();
      }
    },
  };
}

/** The page, its script, the card (read as any MCP Apps host reads it) and the session's mode. */
async function answerGet(
  path: string | undefined,
  res: ServerResponse,
  options: ChatWebOptions,
  chatScript: () => Promise<string>,
  startConversation: () => string | undefined,
): Promise<void> {
  if (path === "/") {
    const nonce = pageNonce();
    res.writeHead(200, {
      ...PAGE_HEADERS,
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; frame-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    });
    res.end(renderChatPage(options.mode, nonce, startConversation()));
    return;
  }
  if (path === "/chat.js") {
    res.writeHead(200, { ...PAGE_HEADERS, "content-type": "text/javascript; charset=utf-8" });
    res.end(await chatScript());
    return;
  }
  if (path === "/card" && options.mcp) {
    // Read as any MCP Apps host reads it: resources/read of the ui:// resource.
    const read = await options.mcp.readResource({ uri: CARD_URI });
    const content = read.contents[0];
    const html = content && "text" in content ? content.text : "";
    res.writeHead(200, {
      ...PAGE_HEADERS,
      "content-type": "text/html; charset=utf-8",
      "content-security-policy":
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'",
    });
    res.end(html);
    return;
  }
  if (path === "/api/session") {
    res.writeHead(200, { ...PAGE_HEADERS, "content-type": "application/json" });
    res.end(JSON.stringify(options.mode));
    return;
  }
  throw new HttpProblem(404, "There is no page here.");
}

/**
 * The browser Chat (`chat --web`) and the support demo (`demo`): a loopback page that is an
 * MCP Apps host. It draws the Inbound webhook card in a sandboxed iframe, passes the card's
 * tool calls to our MCP server, and, with a model, streams Autopilot's turns.
 */
export async function startChatWeb(options: ChatWebOptions): Promise<RunningChatWeb> {
  const host = options.host ?? "127.0.0.1";
  const chatScript = options.chatScript ?? (() => readFile(builtChatScriptPath(), "utf8"));
  const turns = chatTurns(options.newConversation, options.mode);
  let origin = "";

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const expectedHost = origin.slice("http://".length);
    // A page on another site, or a DNS-rebound name, must not drive the setup.
    if (req.headers.host !== expectedHost)
      throw new HttpProblem(421, "Open the address exactly as it was printed.");
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "GET") return answerGet(path, res, options, chatScript, turns.start);
    if (req.method !== "POST") throw new HttpProblem(405, "Use the page.");
    if (req.headers.origin !== origin) throw new HttpProblem(403, "Use the page itself.");
    if (!(req.headers["content-type"] ?? "").startsWith("application/json")) {
      throw new HttpProblem(415, "Send JSON.");
    }
    const body = await readJson(req);
    if (path === "/api/tool") {
      const result = await callCardTool(options.mcp, body);
      res.writeHead(200, { ...PAGE_HEADERS, "content-type": "application/json" });
      res.end(JSON.stringify(result));
      return;
    }
    if (path === "/api/context") {
      turns.remember(body);
      res.writeHead(204, PAGE_HEADERS).end();
      return;
    }
    if (path === "/api/message") return turns.stream(body, res);
    throw new HttpProblem(404, "There is no such call.");
  }

  const server = createServer((req, res) => {
    answer(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.end();
      const status = error instanceof HttpProblem ? error.status : 500;
      const message =
        error instanceof HttpProblem ? error.message : "Something went wrong in the Chat server.";
      res.writeHead(status, { ...PAGE_HEADERS, "content-type": "application/json" });
      res.end(JSON.stringify({ error: message }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://${host}:${port}`;
  return {
    url: `${origin}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
