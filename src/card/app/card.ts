import {
  App,
  applyDocumentTheme,
  applyHostFonts,
  applyHostStyleVariables,
} from "@modelcontextprotocol/ext-apps";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { SubscriptionName } from "../../contract/schemas.js";
import { unmarkForPerson } from "../../untrusted/mark.js";
import type { StepAnswer, StepView } from "../../wizard/steps.js";
import {
  errorText,
  headingOf,
  isStepView,
  PERSON_RULES,
  parsePayloadLines,
  payloadLines,
  personLabel,
  progressOf,
} from "../step-display.js";
import { el } from "./dom.js";

const root = document.getElementById("card") as HTMLElement;
const app = new App({ name: "inbound-webhook-card", version: "1" }, {}, { autoResize: false });

let view: StepView | undefined;
let busy = false;
let problem: string | undefined;
let notice: string | undefined;
let poll: ReturnType<typeof setTimeout> | undefined;

/** Steps that move when the person uses a one-time page, outside the card. */
const PAGE_STEPS = new Set(["pastingPat", "awaitingReveal"]);
const POLL_MS = 1500;

function applyHost(context: ReturnType<App["getHostContext"]>): void {
  if (context?.theme) applyDocumentTheme(context.theme);
  if (context?.styles?.variables) applyHostStyleVariables(context.styles.variables);
  if (context?.styles?.css?.fonts) applyHostFonts(context.styles.css.fonts);
}

/** Calls a wizard tool for the person's click, then tells the model what changed. */
async function answer(
  action: StepAnswer["action"],
  said: string,
  args: Record<string, unknown> = {},
): Promise<void> {
  if (!view || busy) return;
  busy = true;
  problem = undefined;
  notice = undefined;
  render();
  try {
    const result = await app.callServerTool({
      name: "answer_inbound_webhook_wizard",
      arguments: { wizard_id: view.wizard_id, action, ...args },
    });
    show(result);
    if (!result.isError) await tellModel(`the person chose "${said}"`);
  } catch (error) {
    problem = `The host could not reach the setup: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    busy = false;
    render();
  }
}

/** The conversation and the card never disagree: the model hears of every change the card sees. */
async function tellModel(what: string): Promise<void> {
  if (!view) return;
  await app
    .updateModelContext({
      content: [
        {
          type: "text",
          text: `In the Inbound webhook card ${what}. The setup (wizard_id ${view.wizard_id}) is now at step ${view.step}: ${view.say}`,
        },
      ],
    })
    .catch(() => {});
}

/** While a one-time page is out with the person, re-reads the step until it moves on. */
function watchPages(): void {
  clearTimeout(poll);
  if (view?.status !== "active" || !PAGE_STEPS.has(view.step)) return;
  const { wizard_id: wizardId, step } = view;
  poll = setTimeout(async () => {
    if (!busy && view?.step === step) {
      const result = await app
        .callServerTool({ name: "get_inbound_webhook_wizard", arguments: { wizard_id: wizardId } })
        .catch(() => undefined);
      // Applied only if nothing moved the card meanwhile: a late answer must not undo a click.
      const fresh = !busy && view?.step === step;
      if (fresh && result && !result.isError && isStepView(result.structuredContent)) {
        if (result.structuredContent.step !== step) {
          view = result.structuredContent;
          problem = undefined;
          notice = undefined;
          render();
          await tellModel("the private page was used");
          return;
        }
      }
    }
    watchPages();
  }, POLL_MS);
}

function show(result: CallToolResult): void {
  if (result.isError) {
    problem = errorText(result);
    return;
  }
  if (isStepView(result.structuredContent)) view = result.structuredContent;
}

async function openPage(url: string, what: string): Promise<void> {
  const opened = await app.openLink({ url }).catch(() => ({ isError: true }));
  notice = opened.isError
    ? `The host did not open the ${what}; open this address in your browser: ${url}`
    : `The ${what} opened in your browser. Come back here when you are done.`;
  render();
}

function button(
  label: string,
  onClick: () => void,
  options: { primary?: boolean; id?: string; detail?: string } = {},
): HTMLButtonElement {
  const node = el("button", {
    type: "button",
    class: options.primary ? "ar-primary" : "",
    ...(options.id ? { id: options.id } : {}),
  }) as HTMLButtonElement;
  node.append(el("span", {}, label));
  if (options.detail) node.append(el("small", { class: "card-detail" }, options.detail));
  node.disabled = busy;
  node.addEventListener("click", onClick);
  return node;
}

/** Choices of equal weight (workflows, keys): outlined, so a step keeps one filled button. */
function optionList(entry: StepAnswer): HTMLElement {
  const list = el("div", { class: "card-options", role: "group", "aria-label": entry.label });
  for (const option of entry.options ?? []) {
    list.append(
      button(option.label, () => void answer(entry.action, option.label, { value: option.value }), {
        ...(option.detail ? { detail: option.detail } : {}),
      }),
    );
  }
  return list;
}

/** Confirm's edits: secondary links under Create, each back to its step and then here. */
function editLinks(entry: StepAnswer): HTMLElement {
  const list = el("div", { class: "card-edits", role: "group", "aria-label": "Change an answer" });
  for (const option of entry.options ?? []) {
    const link = button(option.label, () => {
      void answer(entry.action, option.label, { value: option.value });
    });
    link.classList.add("card-link");
    link.id = `card-edit-${option.value.replaceAll("_", "-")}`;
    list.append(link);
  }
  return list;
}

function nameForm(entry: StepAnswer, current: StepView): HTMLElement {
  const form = el("form", { class: "card-form", novalidate: "" }) as HTMLFormElement;
  const input = el("input", {
    id: "card-name",
    name: "name",
    autocomplete: "off",
    spellcheck: "false",
    maxlength: "200",
  }) as HTMLInputElement;
  // Coming back to change the name starts from the one given.
  const given = current.card.fields.name;
  if (typeof given === "string") input.value = unmarkForPerson(given);
  const error = el("p", { class: "ar-alert", id: "card-name-problem", role: "alert" });
  error.hidden = true;
  form.append(
    el("label", { class: "ar-label", for: "card-name" }, "Name of the inbound webhook"),
    input,
    el("p", { class: "ar-note" }, PERSON_RULES[entry.action] ?? ""),
    error,
    el(
      "div",
      { class: "ar-actions" },
      button("Use this name", () => form.requestSubmit(), {
        primary: true,
        id: "card-name-submit",
      }),
    ),
  );
  const suggestions = entry.options ?? [];
  if (suggestions.length > 0) {
    const row = el("div", { class: "ar-actions", role: "group", "aria-label": "Suggested names" });
    for (const option of suggestions) {
      row.append(
        button(option.value, () => void answer("set_name", option.value, { value: option.value }), {
          detail: "suggested",
        }),
      );
    }
    form.append(el("p", { class: "ar-note" }, "Or take a suggestion:"), row);
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const checked = SubscriptionName.safeParse(input.value);
    if (!checked.success) {
      error.textContent = `That name cannot be used: ${checked.error.issues[0]?.message ?? "invalid"}.`;
      error.hidden = false;
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    void answer("set_name", checked.data, { value: checked.data });
  });
  return form;
}

function extrasForm(entry: StepAnswer, current: StepView, primary: boolean): HTMLElement {
  const form = el("form", { class: "card-form" }) as HTMLFormElement;
  const defaults = el("input", { type: "checkbox", id: "card-defaults" }) as HTMLInputElement;
  const payload = el("textarea", {
    id: "card-payload",
    rows: "3",
    placeholder: "source=shopify",
  }) as HTMLTextAreaElement;
  // Coming back to change the extras starts from those given.
  defaults.checked = current.card.fields.use_run_setup_defaults === true;
  payload.value = payloadLines(current.card.fields.trigger_payload);
  const error = el("p", { class: "ar-alert", role: "alert" });
  error.hidden = true;
  form.append(
    el(
      "div",
      { class: "card-check" },
      defaults,
      el("label", { for: "card-defaults" }, "Fill missing input from the run setup defaults"),
    ),
    el("label", { class: "ar-label", for: "card-payload" }, "Fixed input, one key=value a line"),
    payload,
    el("p", { class: "ar-note" }, PERSON_RULES[entry.action] ?? ""),
    error,
    el(
      "div",
      { class: "ar-actions" },
      button("Save extras", () => form.requestSubmit(), { primary, id: "card-save-extras" }),
    ),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const parsed = parsePayloadLines(payload.value);
    if ("error" in parsed) {
      error.textContent = parsed.error;
      error.hidden = false;
      return;
    }
    void answer("set_extras", "Save extras", {
      use_run_setup_defaults: defaults.checked,
      trigger_payload: parsed.payload,
    });
  });
  return form;
}

function summary(current: StepView): HTMLElement | undefined {
  const shown: [string, string][] = [];
  const fields = current.card.fields;
  const text = (key: string) => {
    const value = fields[key];
    return value === null || value === undefined ? undefined : String(value);
  };
  const add = (label: string, value: string | undefined) => {
    if (value) shown.push([label, value]);
  };
  add("Workflow", text("workflow"));
  add("Name", text("name"));
  add("API key", text("api_key"));
  if (fields.api_key) add("PAT", fields.paste_pat ? "pasted once on a private page" : "from Vault");
  if (fields.name && current.step !== "naming") {
    add("Run setup defaults", fields.use_run_setup_defaults ? "on" : "off");
    add("Fixed input", text("trigger_payload") ?? "none");
  }
  add("Signing secret", text("signing_secret_hint"));
  if (shown.length === 0) return undefined;
  const list = el("dl", { class: "card-summary", id: "card-summary" });
  for (const [label, value] of shown) list.append(el("dt", {}, label), el("dd", {}, value));
  return list;
}

function copyBlock(id: string, label: string, value: string): HTMLElement {
  const pre = el("pre", { class: "ar-value", id, "aria-labelledby": `${id}-label` }, value);
  const copy = button("Copy", () => {
    const done = (word: string) => {
      if (copy.firstChild) copy.firstChild.textContent = word;
    };
    navigator.clipboard
      .writeText(value)
      .then(() => done("Copied"))
      .catch(() => {
        const range = document.createRange();
        range.selectNodeContents(pre);
        getSelection()?.removeAllRanges();
        getSelection()?.addRange(range);
        done("Press Ctrl+C");
      });
  });
  copy.setAttribute("aria-label", `Copy the ${label.toLowerCase()}`);
  copy.disabled = false;
  return el(
    "div",
    { class: "ar-field" },
    el("span", { class: "ar-label", id: `${id}-label` }, label),
    el("div", { class: "ar-copyrow" }, pre, copy),
  );
}

function testResult(test: Record<string, unknown>): HTMLElement {
  const box = el("div", { class: "card-test", id: "card-test", role: "status" });
  const run = test.run as { id?: string; status?: string; input?: unknown } | null | undefined;
  if (test.timed_out) {
    box.append(el("p", { class: "ar-warn" }, "No test request arrived in time."));
  } else if (test.accepted) {
    box.append(
      el("p", { class: "ar-ok" }, `Accepted: run ${run?.id ?? "?"} ${run?.status ?? ""}`.trim()),
      el("span", { class: "ar-label" }, "The input the workflow received"),
      el(
        "pre",
        { class: "ar-value", id: "card-run-input" },
        JSON.stringify(run?.input ?? {}, null, 2),
      ),
    );
  } else {
    box.append(
      el("p", { class: "ar-alert" }, `Rejected: ${test.status ?? ""} ${test.reason ?? ""}`.trim()),
      el("p", {}, `Fix: ${test.fix ?? "see the doctor's advice"}`),
    );
  }
  return box;
}

function progress(current: StepView): HTMLElement {
  const { steps, at } = progressOf(current.step);
  const list = el("ol", { class: "card-progress", "aria-label": "Progress" });
  steps.forEach((label, index) => {
    const item = el("li", { class: index < at ? "done" : index === at ? "now" : "" }, label);
    if (index === at) item.setAttribute("aria-current", "step");
    list.append(item);
  });
  return list;
}

/** Answers drawn as forms or lists rather than as one button. */
const DRAWN_APART = new Set(["set_name", "set_extras", "paste_instead", "edit"]);
const TRAILING = new Set(["back", "cancel"]);

/** The one answer a step draws filled, unless opening its private page is the step's action. */
function mainAction(current: StepView): string | undefined {
  if (current.paste_url || current.reveal_url) return undefined;
  // Extras already given are kept by saving them, not by skipping.
  const fields = current.card.fields;
  const extras =
    fields.use_run_setup_defaults === true || typeof fields.trigger_payload === "string";
  if (extras && current.answers.some((entry) => entry.action === "set_extras")) return "set_extras";
  const plain = current.answers.filter(
    (entry) => !DRAWN_APART.has(entry.action) && !TRAILING.has(entry.action) && !entry.options,
  );
  // After an accepted test, finishing is what is left to do.
  const finish = plain.find((entry) => entry.action === "finish");
  if (finish && current.card.test?.accepted) return finish.action;
  return plain[0]?.action;
}

function pageButtons(current: StepView, row: HTMLElement): void {
  if (current.paste_url) {
    const url = current.paste_url;
    row.append(
      button("Open the paste page", () => void openPage(url, "paste page"), {
        primary: true,
        id: "card-open-paste",
      }),
    );
  }
  if (current.reveal_url) {
    const url = current.reveal_url;
    row.append(
      button("Open the secret page", () => void openPage(url, "secret page"), {
        primary: true,
        id: "card-open-reveal",
      }),
    );
  }
}

/** The step's controls: its main action first, then the rest, and back or cancel apart. */
function actions(current: StepView): { main: HTMLElement[]; trailing: HTMLElement } {
  const blocks: HTMLElement[] = [];
  const row = el("div", { class: "ar-actions card-main" });
  const trailing = el("div", { class: "ar-actions card-trailing" });
  pageButtons(current, row);
  const primary = mainAction(current);
  for (const entry of current.answers) {
    if (entry.action === "set_name") blocks.push(nameForm(entry, current));
    else if (entry.action === "set_extras") {
      blocks.push(extrasForm(entry, current, primary === "set_extras"));
    } else if (entry.action === "edit") blocks.push(editLinks(entry));
    else if (entry.action === "paste_instead") {
      const more = el("details", { class: "card-more" });
      more.append(el("summary", {}, "Paste a PAT once instead of using Vault"), optionList(entry));
      blocks.push(more);
    } else if (entry.options?.length) {
      blocks.push(el("p", { class: "ar-label" }, entry.label), optionList(entry));
    } else {
      const label = personLabel(entry, current.step);
      const node = button(label, () => void answer(entry.action, label), {
        primary: entry.action === primary,
        id: `card-${entry.action.replaceAll("_", "-")}`,
      });
      if (TRAILING.has(entry.action)) trailing.append(node);
      else if (entry.action === primary) row.prepend(node);
      else row.append(node);
    }
  }
  return { main: [row, ...blocks].filter((block) => block.childElementCount > 0), trailing };
}

function render(): void {
  const current = view;
  root.replaceChildren();
  root.setAttribute("aria-busy", busy ? "true" : "false");
  const header = el("header", {}, el("div", { class: "ar-brand" }, "Inbound webhook"));
  if (!current) {
    root.append(header, el("p", { class: "ar-note" }, "Waiting for the setup to start…"));
    return;
  }
  root.dataset.step = current.step;
  header.append(el("h1", { id: "card-title" }, current.card.title));
  root.append(header, progress(current));
  root.append(el("h2", { class: "card-heading", id: "card-heading" }, headingOf(current)));
  if (current.person.problem) {
    root.append(el("p", { class: "ar-alert", id: "card-step-problem" }, current.person.problem));
  }
  if (problem)
    root.append(el("p", { class: "ar-alert", id: "card-problem", role: "alert" }, problem));
  if (notice) root.append(el("p", { class: "ar-note", id: "card-notice", role: "status" }, notice));
  const facts = summary(current);
  if (facts) root.append(facts);
  if (current.card.test) root.append(testResult(current.card.test));
  const { main, trailing } = actions(current);
  // The step's action comes before the long blocks (the curl test runs to some 20 lines).
  root.append(...main);
  const ingress = current.card.fields.ingress_url;
  if (typeof ingress === "string") root.append(copyBlock("card-ingress", "Ingress URL", ingress));
  if (current.card.curl_test) {
    root.append(
      el(
        "p",
        { class: "ar-note" },
        "Set AGENTRUNTIME_SIGNING_SECRET to the secret from the private page and AGENTRUNTIME_PAT to the key's PAT, then run:",
      ),
      copyBlock("card-curl", "curl test", current.card.curl_test),
    );
    if (current.card.pat_help)
      root.append(el("p", { class: "ar-note", id: "card-pat-help" }, current.card.pat_help));
  }
  if (trailing.childElementCount > 0) root.append(trailing);
  if (busy) root.append(el("p", { class: "ar-note", role: "status" }, "Working…"));
  if (current.status !== "active") {
    root.append(
      el(
        "p",
        { class: current.status === "done" ? "ar-ok" : "ar-warn", id: "card-status" },
        current.status === "done" ? "Setup finished." : "Setup cancelled.",
      ),
    );
  }
  if (!busy) watchPages();
}

let reportedHeight = 0;
/** The host answered `ui/initialize`: before that, the protocol lets the card send nothing else. */
let initialized = false;

/** Tells the host the card's height; the root records it, so a test can see the host caught up. */
function reportSize(): void {
  if (!initialized) return;
  const height = Math.ceil(root.getBoundingClientRect().height);
  if (height === reportedHeight) return;
  reportedHeight = height;
  root.dataset.height = String(height);
  void app.sendSizeChanged({ width: Math.ceil(window.innerWidth), height }).catch(() => {});
}

new ResizeObserver(() => reportSize()).observe(root);

app.ontoolresult = (params) => {
  show(params as CallToolResult);
  render();
};
app.onhostcontextchanged = (context) => applyHost(context);
render();
app
  .connect()
  .then(() => {
    initialized = true;
    applyHost(app.getHostContext());
    reportSize();
  })
  .catch(() => {
    problem = "This card needs a chat host that supports MCP Apps.";
    render();
  });
