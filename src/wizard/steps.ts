import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ScalarRecord } from "../contract/schemas.js";
import { packageRoot } from "../package-root.js";
import { MAX_MESSAGE_CHARS } from "../untrusted/mark.js";
import {
  curlTestFor,
  EDITABLE_ANSWERS,
  type EditableAnswer,
  secretRevealed,
  stepOf,
  type WizardContext,
  type WizardEvent,
  type WizardSnapshot,
  type WizardStep,
} from "./machine.js";
import { PERSON_LINES } from "./person-lines.js";
import type { StepAnswer, StepView } from "./step-view.js";

// The schemas live apart so the MCP tools list them without loading XState.
export {
  AnswerOption,
  eventFor,
  StepAnswer,
  StepView,
  WIZARD_ACTIONS,
  type WizardAction,
} from "./step-view.js";

const NAME_RULES =
  "1 to 64 characters after trimming, no control characters, not already used on this workflow (letter case ignored)";

const prompts = new Map<string, string>();

/** The text of a step, from prompts/wizard/<step>.md. */
export function promptFor(step: WizardStep): string {
  let text = prompts.get(step);
  if (text === undefined) {
    text = readFileSync(join(packageRoot(), "prompts", "wizard", `${step}.md`), "utf8").trim();
    prompts.set(step, text);
  }
  return text;
}

function render(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_all, key: string) => values[key] ?? "");
}

const EDIT_LABELS: Record<EditableAnswer, string> = {
  name: "the name",
  api_key: "the API key",
  extras: "the extras",
};

/** An answer listed only when the machine takes its event now. */
function offer(snapshot: WizardSnapshot, answer: StepAnswer, event: WizardEvent): StepAnswer[] {
  return snapshot.can(event) ? [answer] : [];
}

/** Back and cancel, each where the step takes it. */
function leave(snapshot: WizardSnapshot): StepAnswer[] {
  return [
    ...offer(snapshot, { action: "back", label: "Go back one step" }, { type: "BACK" }),
    ...offer(snapshot, { action: "cancel", label: "Stop the setup" }, { type: "CANCEL" }),
  ];
}

const retry = (snapshot: WizardSnapshot, label: string) =>
  offer(snapshot, { action: "retry", label }, { type: "RETRY" });

const none = (): StepAnswer[] => [];

function keyAnswers(snapshot: WizardSnapshot): StepAnswer[] {
  const options = (type: "CHOOSE_KEY" | "PASTE_INSTEAD") =>
    snapshot.context.apiKeyOptions
      .filter((key) => snapshot.can({ type, apiKeyId: key.id }))
      .map((key) => ({
        value: key.id,
        label: key.name,
        detail: `${key.hint}, ${key.in_vault ? "in Vault" : "not in Vault: its PAT is pasted once"}`,
      }));
  return [
    {
      action: "choose_api_key",
      label: "The API key senders will use",
      options: options("CHOOSE_KEY"),
    },
    {
      action: "paste_instead",
      label: "Paste this key's PAT once instead of using Vault",
      options: options("PASTE_INSTEAD"),
    },
    ...leave(snapshot),
  ];
}

function confirmAnswers(snapshot: WizardSnapshot): StepAnswer[] {
  const edits = EDITABLE_ANSWERS.filter((answer) => snapshot.can({ type: "EDIT", answer }));
  return [
    { action: "confirm", label: "Create the inbound webhook" },
    ...(edits.length
      ? [
          {
            action: "edit" as const,
            label: "Change one answer, then come back here",
            options: edits.map((answer) => ({
              value: answer,
              label: `Change ${EDIT_LABELS[answer]}`,
            })),
          },
        ]
      : []),
    ...leave(snapshot),
  ];
}

function testAnswers(snapshot: WizardSnapshot): StepAnswer[] {
  return [
    {
      action: "wait_for_test",
      label: "Wait for the person's own test request (up to 45 s) and report it",
    },
    ...offer(
      snapshot,
      { action: "send_test", label: "Let AgentRuntime sign and send a test request" },
      { type: "SEND_TEST" },
    ),
    { action: "finish", label: "Finish" },
  ];
}

/**
 * The answers each step accepts right now; an answer the machine would refuse is never
 * listed. A table by step, so a new step is a type error here until it says its answers.
 */
const STEP_ANSWERS: Record<WizardStep, (snapshot: WizardSnapshot) => StepAnswer[]> = {
  start: none,
  loadingWorkflow: none,
  loadingWorkflows: none,
  choosingWorkflow: (snapshot) => [
    {
      action: "pick_workflow",
      label: "The workflow external events should start",
      options: snapshot.context.workflowOptions
        .filter((w) => snapshot.can({ type: "PICK_WORKFLOW", workflowId: w.id }))
        .map((w) => ({ value: w.id, label: w.name })),
    },
    ...leave(snapshot),
  ],
  loadingNames: none,
  naming: (snapshot) => [
    {
      action: "set_name",
      label: "Name of the inbound webhook",
      rules: NAME_RULES,
      options: snapshot.context.nameSuggestions
        .filter((name) => snapshot.can({ type: "SET_NAME", name }))
        .map((name) => ({ value: name, label: name, detail: "suggested" })),
    },
    ...leave(snapshot),
  ],
  loadingKeys: none,
  noKeys: (snapshot) => [...retry(snapshot, "Look for API keys again"), ...leave(snapshot)],
  choosingKey: keyAnswers,
  pastingPat: (snapshot) => [
    { action: "continue", label: "The person has pasted the PAT on the page" },
    ...leave(snapshot),
  ],
  extras: (snapshot) => [
    {
      action: "set_extras",
      label: "Set extras",
      rules:
        "use_run_setup_defaults: boolean; trigger_payload: up to 64-character keys with string (≤500), number, boolean or null values",
    },
    { action: "skip_extras", label: "No extras" },
    ...leave(snapshot),
  ],
  confirming: confirmAnswers,
  createFailed: (snapshot) => [...retry(snapshot, "Try creating again (safe)"), ...leave(snapshot)],
  unavailable: (snapshot) => [...retry(snapshot, "Try again"), ...leave(snapshot)],
  creating: none,
  revealing: none,
  awaitingReveal: () => [
    {
      action: "continue",
      label: "Check whether the person has opened reveal_url; finish is offered once they have",
    },
  ],
  handingOver: testAnswers,
  waitingForTest: none,
  sendingTest: none,
  testReported: testAnswers,
  done: none,
  cancelled: none,
};

/**
 * An answer's option labels (workflow, key and suggested names) marked; values stay as they
 * are, since they are what comes back: ids, or suggestions made only of a-z, 0-9 and `-`.
 */
function markedOptions(answer: StepAnswer, mark: (text: string) => string): StepAnswer {
  if (!answer.options || answer.action === "edit") return answer;
  return {
    ...answer,
    options: answer.options.map((option) => ({ ...option, label: mark(option.label) })),
  };
}

/** The last test's outcome in one sentence for a person; the card carries the details. */
function personTestSentence(context: WizardContext): string {
  const test = context.lastTest;
  if (!test) return "The test could not run.";
  if (test.timed_out) return "No test request arrived in time. Did the curl test run?";
  if (test.accepted) return "Your test request was accepted and started a run.";
  return `Your test request was rejected (${test.status} ${test.reason}). Fix the sender, then test again.`;
}

/** The last test's outcome in one sentence for the prompt; the card carries the details. */
function testSentence(context: WizardContext): string {
  const test = context.lastTest;
  if (!test) return context.problem ? `The test could not run: ${context.problem.message}` : "";
  if (test.timed_out) return "No test request arrived in time.";
  if (test.accepted) {
    return `The test request was accepted and started run ${test.run?.id} (${test.run?.status}); the workflow received ${JSON.stringify(test.run?.input ?? {})}.`;
  }
  return `The test request was rejected with ${test.status} ${test.reason}. Fix: ${test.fix}`;
}

function tail(hint: string | undefined): string {
  return (hint ?? "").replace(/^…/, "");
}

/**
 * How text a person or a sender controls is shown in a step view: as it is to a person in a
 * terminal; the MCP tools pass marks, since a model reads their views.
 */
export interface Marks {
  /** One string: a name, a suggestion, an upstream error. */
  line(text: string, maxChars?: number): string;
  /** JSON someone wrote, such as the fixed trigger payload. */
  json(value: ScalarRecord): ScalarRecord;
}

/** Text shown as it is, for a person. */
export const UNMARKED: Marks = { line: (text) => text, json: (value) => value };

/**
 * What a host shows for the current step: the text to say, the legal answers, and the
 * card data. Built from the snapshot (answers and hints only), so it never holds a secret.
 * `current.ingressUrl` is AgentRuntime's answer now: what a person is handed comes from it,
 * since the address stored at create may belong to a sandbox that has since moved.
 */
export function describeStep(
  wizardId: string,
  snapshot: WizardSnapshot,
  links: {
    pasteUrl?: string | undefined;
    current?: { ingressUrl: string } | undefined;
    /** On the local sandbox: where the person reads the key's PAT for the curl test. */
    patHelp?: string | undefined;
  } = {},
  marks: Marks = UNMARKED,
): StepView {
  const context = snapshot.context;
  const mark = (text: string) => marks.line(text);
  const message = (text: string) => marks.line(text, MAX_MESSAGE_CHARS);
  const step = stepOf(snapshot);
  const problem = context.problem ? `${message(context.problem.message)} ` : "";
  const reveal = context.reveal?.kind === "page" ? context.reveal : null;
  const stored = context.subscription;
  const subscription =
    stored && links.current ? { ...stored, ingress_url: links.current.ingressUrl } : stored;
  const curlTest = subscription ? curlTestFor(context, subscription.ingress_url) : null;
  const name = context.name ?? subscription?.name;
  const payload = Object.keys(context.extras.trigger_payload).length
    ? JSON.stringify(marks.json(context.extras.trigger_payload))
    : null;
  const values = {
    problem,
    problem_text: context.problem ? message(context.problem.message) : "unknown error.",
    workflow_name: context.workflow ? mark(context.workflow.name) : "",
    name: name ? mark(name) : "",
    suggestions: context.nameSuggestions.map(mark).join(", ") || "(none)",
    api_key_name: context.apiKey ? mark(context.apiKey.name) : "",
    api_key_hint: context.apiKey?.hint ?? "",
    pasted: context.pastePat ? ", pasted once" : "",
    use_run_setup_defaults: context.extras.use_run_setup_defaults ? "on" : "off",
    trigger_payload: payload ?? "none",
    reveal_expires_at: reveal?.expires_at ?? "",
    ingress_url: subscription?.ingress_url ?? "",
    signing_secret_hint_tail: tail(subscription?.signing_secret_hint),
    automation_pat_hint: subscription?.automation_pat_hint ?? "",
    test_report: testSentence(context),
    lost: context.secretLost
      ? "The signing secret could not be shown and is lost: delete this webhook and create it again, or rotate its secret. "
      : "",
  };
  const say = render(promptFor(step), values);
  const person = {
    line: render(PERSON_LINES[step], { ...values, test_report: personTestSentence(context) }),
    problem: context.problem ? message(context.problem.message) : null,
  };
  const fields: StepView["card"]["fields"] = {
    workflow: context.workflow ? mark(context.workflow.name) : null,
    name: context.name === null ? null : mark(context.name),
    api_key: context.apiKey ? `${mark(context.apiKey.name)} (${context.apiKey.hint})` : null,
    paste_pat: context.pastePat,
    use_run_setup_defaults: context.extras.use_run_setup_defaults,
    trigger_payload: payload,
    ingress_url: subscription?.ingress_url ?? null,
    signing_secret_hint: subscription?.signing_secret_hint ?? null,
    secret_revealed: secretRevealed(snapshot),
  };
  return {
    wizard_id: wizardId,
    step,
    status: snapshot.status === "done" ? (step === "done" ? "done" : "cancelled") : "active",
    say,
    person,
    answers:
      snapshot.status === "active"
        ? STEP_ANSWERS[step](snapshot).map((answer) => markedOptions(answer, mark))
        : [],
    card: {
      title: subscription ? `Inbound webhook "${mark(subscription.name)}"` : "New inbound webhook",
      fields,
      ...(curlTest ? { curl_test: curlTest } : {}),
      ...(curlTest && links.patHelp ? { pat_help: links.patHelp } : {}),
      ...(context.lastTest ? { test: { ...context.lastTest } } : {}),
    },
    paste_url: step === "pastingPat" ? (links.pasteUrl ?? null) : null,
    reveal_url: step === "awaitingReveal" ? (reveal?.url ?? null) : null,
  };
}
