import {
  AppBridge,
  buildAllowAttribute,
  PostMessageTransport,
} from "@modelcontextprotocol/ext-apps/app-bridge";
import type { TransportSendOptions } from "@modelcontextprotocol/sdk/shared/transport.js";
import type {
  CallToolResult,
  JSONRPCMessage,
  MessageExtraInfo,
} from "@modelcontextprotocol/sdk/types.js";

type Permissions = Parameters<typeof buildAllowAttribute>[0];
type Theme = "light" | "dark";

/**
 * An MCP Apps host as the reference host draws a card: the resource's HTML in a sandboxed
 * frame whose `allow` comes from the permissions the resource declares. It records every
 * message between the card and itself, and can hold back its answer to `ui/initialize`.
 */

export interface DrawCard {
  html: string;
  permissions: Permissions;
  result: CallToolResult;
  theme: Theme;
  holdInitialize: boolean;
}

declare global {
  interface Window {
    /** Given by the test: a tool call through a real MCP client to the real server. */
    callTool(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
    cardHost: {
      draw(card: DrawCard): Promise<void>;
      releaseInitialize(): void;
      setTheme(theme: Theme): void;
      log: string[];
    };
  }
}

const log: string[] = [];
let bridge: AppBridge | undefined;
let held: (() => void) | undefined;

function nameOf(message: JSONRPCMessage, requests: Map<unknown, string>): string {
  if ("method" in message) {
    if ("id" in message) requests.set(message.id, message.method);
    return message.method;
  }
  return `answer to ${requests.get(message.id) ?? "?"}`;
}

async function draw(card: DrawCard): Promise<void> {
  const frame = document.createElement("iframe");
  frame.className = "card-frame";
  frame.setAttribute("sandbox", "allow-scripts allow-forms");
  frame.setAttribute("allow", buildAllowAttribute(card.permissions));
  document.body.append(frame);
  const view = new AppBridge(
    null,
    { name: "test host", version: "1" },
    { openLinks: {}, serverTools: {}, updateModelContext: { text: {} } },
    { hostContext: { theme: card.theme, displayMode: "inline", platform: "web" } },
  );
  bridge = view;
  view.oncalltool = (params) => window.callTool(params.name, params.arguments ?? {});
  view.onopenlink = async ({ url }) => {
    window.open(url, "_blank");
    return {};
  };
  view.onupdatemodelcontext = async () => ({});
  view.onsizechange = ({ height }) => {
    if (!height) return;
    frame.style.height = `${height}px`;
    frame.dataset.height = String(height);
  };
  view.oninitialized = () => {
    void view.sendToolInput({ arguments: {} });
    void view.sendToolResult(card.result);
  };
  const window_ = frame.contentWindow as Window;
  const transport = new PostMessageTransport(window_, window_);
  await view.connect(transport);
  const fromCard = new Map<unknown, string>();
  const fromHost = new Map<unknown, string>();
  const deliver = transport.onmessage?.bind(transport);
  transport.onmessage = (message: JSONRPCMessage, extra?: MessageExtraInfo) => {
    log.push(`card: ${nameOf(message, fromCard)}`);
    if (card.holdInitialize && "method" in message && message.method === "ui/initialize") {
      held = () => deliver?.(message, extra);
      return;
    }
    deliver?.(message, extra);
  };
  const send = transport.send.bind(transport);
  transport.send = (message: JSONRPCMessage, options?: TransportSendOptions) => {
    const said =
      "method" in message
        ? nameOf(message, fromHost)
        : `answer to ${fromCard.get(message.id) ?? "?"}`;
    log.push(`host: ${said}`);
    return send(message, options);
  };
  frame.srcdoc = card.html;
}

window.cardHost = {
  draw,
  releaseInitialize: () => held?.(),
  setTheme: (theme) => bridge?.setHostContext({ theme, displayMode: "inline", platform: "web" }),
  log,
};
