import { AppBridge, PostMessageTransport } from "@modelcontextprotocol/ext-apps/app-bridge";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { errorText, isStepView } from "../../card/step-display.js";
import { plainForPerson } from "../../untrusted/mark.js";
import type { StepView } from "../../wizard/steps.js";
import type { ChatEvent } from "../server.js";

const transcript = document.getElementById("transcript") as HTMLElement;
const demo = document.body.dataset.mode === "demo";
/** The model conversation this page load started: a reload starts another. */
const conversation = document.body.dataset.conversation;

/** One card per setup: later results of the same wizard update it instead of adding another. */
const cards = new Map<string, AppBridge>();

function message(who: "autopilot" | "you" | "notice", text: string): HTMLElement {
  const node = document.createElement("div");
  node.className = `msg ${who}`;
  const label = document.createElement("span");
  label.className = "who";
  label.textContent =
    who === "you" ? "You" : who === "notice" ? "Note" : demo ? "Autopilot (scripted)" : "Autopilot";
  const body = document.createElement("span");
  body.className = "text";
  // The wizard's own lines mark names for the model; the person reads them plainly.
  body.textContent = who === "autopilot" ? plainForPerson(text) : text;
  node.append(label, body);
  transcript.append(node);
  node.scrollIntoView({ block: "end" });
  return body;
}

function post(path: string, body: unknown): Promise<Response> {
  return fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function callTool(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  const response = await post("/api/tool", { name, arguments: args });
  const json = (await response.json()) as CallToolResult & { error?: string };
  if (!response.ok) {
    return { isError: true, content: [{ type: "text", text: json.error ?? "Refused." }] };
  }
  return json;
}

function themeOf(): "light" | "dark" {
  return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

/** The step each setup was last described at, so a re-read of the same step says nothing. */
const lastStep = new Map<string, string>();

/** In the demo Autopilot says the step's person line (never the model's `say`); with a model the model speaks. */
function scriptedLine(result: CallToolResult): void {
  if (!demo) return;
  if (result.isError) {
    message("autopilot", errorText(result));
    return;
  }
  const view = result.structuredContent;
  if (!isStepView(view) || lastStep.get(view.wizard_id) === view.step) return;
  lastStep.set(view.wizard_id, view.step);
  const { line, problem } = view.person;
  message("autopilot", problem ? `${problem}\n${line}` : line);
}

/** Draws the card for a wizard tool result, or hands the result to the card already drawn. */
async function showCard(args: Record<string, unknown>, result: CallToolResult): Promise<void> {
  const view = result.structuredContent as StepView | undefined;
  const existing = view ? cards.get(view.wizard_id) : undefined;
  if (existing) {
    await existing.sendToolResult(result);
    return;
  }
  const holder = document.createElement("div");
  holder.className = "msg-card";
  const frame = document.createElement("iframe");
  frame.className = "card-frame";
  frame.title = "Inbound webhook card";
  // The card runs in an opaque origin: it can reach this page only through the bridge.
  frame.setAttribute("sandbox", "allow-scripts allow-forms");
  frame.setAttribute("allow", "clipboard-write");
  holder.append(frame);
  transcript.append(holder);
  const bridge = new AppBridge(
    null,
    { name: "AgentRuntime Chat", version: "1" },
    { openLinks: {}, serverTools: {}, updateModelContext: { text: {} } },
    { hostContext: { theme: themeOf(), displayMode: "inline", platform: "web" } },
  );
  bridge.oncalltool = async (params) => {
    const called = await callTool(params.name, params.arguments ?? {});
    scriptedLine(called);
    return called;
  };
  bridge.onopenlink = async ({ url }) => {
    // Only the loopback one-time pages are opened; anything else is refused.
    const target = new URL(url);
    if (
      target.protocol !== "http:" ||
      !["127.0.0.1", "localhost", "[::1]"].includes(target.hostname)
    ) {
      return { isError: true };
    }
    window.open(target.href, "_blank", "noopener");
    return {};
  };
  bridge.onupdatemodelcontext = async (params) => {
    const text = (params.content ?? [])
      .map((item: { type: string; text?: string }) => (item.type === "text" ? item.text : ""))
      .join("\n")
      .trim();
    if (conversation && text) await post("/api/context", { conversation, text });
    return {};
  };
  bridge.onsizechange = ({ height }) => {
    if (!height) return;
    frame.style.height = `${Math.min(Math.max(height, 160), 4000)}px`;
    frame.dataset.height = String(height);
  };
  bridge.oninitialized = () => {
    void bridge.sendToolInput({ arguments: args });
    void bridge.sendToolResult(result);
  };
  if (view) cards.set(view.wizard_id, bridge);
  await bridge.connect(
    new PostMessageTransport(frame.contentWindow as Window, frame.contentWindow as Window),
  );
  frame.src = "/card";
}

async function startDemo(): Promise<void> {
  message(
    "autopilot",
    "This is a scripted demo: no model is answering. Let's set up an inbound webhook so an outside system can start a workflow. Use the card below.",
  );
  const result = await callTool("start_inbound_webhook_wizard", {});
  scriptedLine(result);
  if (!result.isError) await showCard({}, result);
}

async function sendMessage(text: string, button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  let speaking: HTMLElement | undefined;
  let said = "";
  try {
    const response = await post("/api/message", { conversation, text });
    if (!response.ok || !response.body) {
      const json = (await response.json().catch(() => ({}))) as { error?: string };
      message("notice", json.error ?? "Autopilot could not answer.");
      return;
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end = buffer.indexOf("\n");
      while (end >= 0) {
        const event = JSON.parse(buffer.slice(0, end)) as ChatEvent;
        buffer = buffer.slice(end + 1);
        end = buffer.indexOf("\n");
        if (event.type === "you") message("you", event.text);
        else if (event.type === "text") {
          if (!speaking) said = "";
          speaking ??= message("autopilot", "");
          // The whole reply is shown again each time, so a mark split across deltas never shows.
          said += event.delta;
          speaking.textContent = plainForPerson(said);
        } else if (event.type === "tool") speaking = undefined;
        else if (event.type === "result") await showCard({}, event.result);
        else if (event.type === "notice" || event.type === "error") message("notice", event.text);
      }
    }
  } finally {
    button.disabled = false;
  }
}

const composer = document.getElementById("composer") as HTMLFormElement | null;
if (composer) {
  const input = composer.querySelector("textarea") as HTMLTextAreaElement;
  const button = composer.querySelector("button") as HTMLButtonElement;
  composer.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || button.disabled) return;
    input.value = "";
    void sendMessage(text, button);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });
}
if (demo) void startDemo();
