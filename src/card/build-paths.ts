import { join } from "node:path";
import { packageRoot } from "../package-root.js";

/** Where the build writes the card: one self-contained HTML document. */
export function builtCardPath(): string {
  return join(packageRoot(), "dist", "card", "inbound-webhook-card.html");
}

/** Where the build writes the browser Chat page's script. */
export function builtChatScriptPath(): string {
  return join(packageRoot(), "dist", "web", "chat.js");
}
