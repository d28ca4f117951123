import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Autopilot } from "../autopilot/autopilot.js";
import { startChatWeb } from "./server.js";

/**
 * `chat --web`: serves the browser Chat on loopback until Ctrl+C. The first stdout line is the
 * address, so a script can read it.
 */
export async function serveChatWeb(options: {
  mcp: Client;
  autopilot: Autopilot;
  model: string;
  port: number;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  open?: (url: string) => void;
}): Promise<number> {
  const web = await startChatWeb({
    mcp: options.mcp,
    autopilot: options.autopilot,
    mode: { kind: "chat", model: options.model },
    port: options.port,
  });
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
