import { unmarkForPerson } from "../untrusted/mark.js";
import type { StepAnswer, StepView } from "../wizard/steps.js";

/** The stages a person sees in the card's progress line. */
export const CARD_STAGES = ["Workflow", "Name", "API key", "Extras", "Confirm", "Secret", "Test"];

const STAGE_OF: Record<string, number> = {
  start: 0,
  loadingWorkflows: 0,
  loadingWorkflow: 0,
  choosingWorkflow: 0,
  loadingNames: 1,
  naming: 1,
  loadingKeys: 2,
  noKeys: 2,
  choosingKey: 2,
  pastingPat: 2,
  extras: 3,
  confirmingOrExtras: 3,
  confirming: 4,
  creating: 4,
  createFailed: 4,
  unavailable: 4,
  revealing: 5,
  awaitingReveal: 5,
  handingOver: 6,
  waitingForTest: 6,
  sendingTest: 6,
  testReported: 6,
  done: 7,
};

/** Where a step sits in the progress line; a step this card does not know counts as the first. */
export function progressOf(step: string): { steps: string[]; at: number } {
  return { steps: CARD_STAGES, at: STAGE_OF[step] ?? 0 };
}

/** Whether a tool result's structured content is a wizard step view. */
export function isStepView(value: unknown): value is StepView {
  if (value === null || typeof value !== "object") return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.wizard_id === "string" &&
    typeof record.step === "string" &&
    typeof record.say === "string" &&
    typeof record.person === "object" &&
    record.person !== null &&
    Array.isArray(record.answers) &&
    typeof record.card === "object" &&
    record.card !== null
  );
}

/** A refusal's code, as the MCP server writes it (`code: message`), in a person's words. */
const PERSON_ERRORS: Record<string, string> = {
  answer_not_accepted: "The setup did not take that answer at this step.",
  wizard_expired: "This setup ended after two idle hours: start a new one.",
  wizard_not_found: "This setup is no longer there: start a new one.",
};

/**
 * A failed tool result as a person reads it. The tools word refusals for a model (codes, step
 * and action names, what to call next), so a coded refusal is shown in a person's words.
 */
export function errorText(result: { content?: unknown }): string {
  const content = Array.isArray(result.content) ? result.content : [];
  const text = content
    .map((item: { type?: string; text?: string }) => (item.type === "text" ? item.text : ""))
    .join(" ")
    .trim();
  const code = /^([a-z][a-z_]*): /.exec(text)?.[1];
  if (code) return PERSON_ERRORS[code] ?? "The setup could not do that right now.";
  return text || "The setup refused that answer.";
}

/** What the card asks a person at a step: the step's person line, never the model's `say`. */
export function headingOf(view: Pick<StepView, "person" | "status">): string {
  return view.status === "cancelled" ? "Setup cancelled" : view.person.line;
}

/** What a typed answer must satisfy, in a person's words (the wizard's `rules` are for a model). */
export const PERSON_RULES: Partial<Record<StepAnswer["action"], string>> = {
  set_name: "1 to 64 characters, not already used on this workflow.",
  set_extras:
    "Keys up to 64 characters; each value is text (up to 500 characters), a number, true, false or null.",
};

/** Button words for answers whose wizard labels are written for a model. */
export function personLabel(answer: StepAnswer, step: string): string {
  switch (answer.action) {
    case "back":
      return "Back";
    case "cancel":
      return "Cancel setup";
    case "confirm":
      return "Create the inbound webhook";
    case "finish":
      return step === "awaitingReveal" ? "I have saved the secret" : "Finish";
    case "continue":
      return step === "pastingPat" ? "I have pasted the PAT" : "Check again";
    case "wait_for_test":
      return "Wait for my curl test";
    case "send_test":
      return "Send a signed test for me";
    case "skip_extras":
      return "No extras";
    default:
      return answer.label;
  }
}

type Scalar = string | number | boolean | null;

/**
 * Fixed input typed as `key=value` lines: numbers, true, false and null keep their type,
 * anything else is text. Blank lines are skipped.
 */
export function parsePayloadLines(
  text: string,
): { payload: Record<string, Scalar> } | { error: string } {
  const payload: Record<string, Scalar> = {};
  for (const [index, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (!line) continue;
    const at = line.indexOf("=");
    if (at <= 0) return { error: `Line ${index + 1} needs the form key=value.` };
    const key = line.slice(0, at).trim();
    const value = line.slice(at + 1).trim();
    if (key.length > 64) return { error: `Line ${index + 1}: the key is over 64 characters.` };
    payload[key] =
      value === "true"
        ? true
        : value === "false"
          ? false
          : value === "null"
            ? null
            : value !== "" && Number.isFinite(Number(value))
              ? Number(value)
              : value;
  }
  return { payload };
}

/**
 * The step's fixed input (JSON, as the card's fields carry it) as the `key=value` lines
 * `parsePayloadLines` reads back; nothing for none.
 */
export function payloadLines(payload: unknown): string {
  if (typeof payload !== "string") return "";
  let parsed: unknown;
  try {
    parsed = JSON.parse(unmarkForPerson(payload));
  } catch {
    return "";
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return "";
  return Object.entries(parsed)
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join("\n");
}
