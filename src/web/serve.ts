import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Autopilot } from "../autopilot/autopilot.js";
import type { ChatMode } from "./page.js";
import { type ChatWebOptions, startChatWeb } from "./server.js";

/**
 * `chat --web`: serves the browser Chat on loopback until Ctrl+C. The first stdout line is the
 * address, so a script can read it. Without a model the page says how to connect one.
 */
export async function serveChatWeb(options: {
  /** The model's conversations and the MCP client they share; absent without a model. */
  chat?: { mcp: Client; newConversation: () => Autopilot; model: string };
  demoCommand: string;
  port: number;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  open?: (url: string) => void;
}): Promise<number> {
  const mode: ChatMode = options.chat
    ? { kind: "chat", model: options.chat.model }
    : { kind: "no-model", demoCommand: options.demoCommand };
  const web = await startChatWeb({
    mode,
    port: options.port,
    ...(options.chat
      ? { mcp: options.chat.mcp, newConversation: options.chat.newConversation }
      : {}),
  } satisfies ChatWebOptions);
  options.stdout.write(`Autopilot in your browser: ${web.url}\nPress Ctrl+C to stop.\n`);
  options.open?.(web.url);
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      options.stderr.write(`Received ${signal}, closing the browser Chat.\n`);
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await web.close();
  return 0;
}
