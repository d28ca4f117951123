import { z } from "zod";
import { ScalarRecord } from "../contract/schemas.js";
import type { WizardEvent } from "./machine.js";

/** The answers a person (or a model on their behalf) can give, by name. */
export const WIZARD_ACTIONS = [
  "pick_workflow",
  "set_name",
  "choose_api_key",
  "paste_instead",
  "set_extras",
  "skip_extras",
  "confirm",
  "edit",
  "retry",
  "back",
  "cancel",
  "continue",
  "wait_for_test",
  "send_test",
  "finish",
] as const;
export type WizardAction = (typeof WIZARD_ACTIONS)[number];

export const AnswerOption = z.object({
  value: z.string(),
  label: z.string(),
  detail: z.string().optional(),
});
export type AnswerOption = z.infer<typeof AnswerOption>;

export const StepAnswer = z.object({
  action: z.enum(WIZARD_ACTIONS),
  label: z.string(),
  /** The ids to pass as `value`, when the answer picks one. */
  options: z.array(AnswerOption).optional(),
  /** What a typed `value` (or extras) must satisfy. */
  rules: z.string().optional(),
});
export type StepAnswer = z.infer<typeof StepAnswer>;

/** What a host shows for a step; the MCP wizard tools return exactly this. */
export const StepView = z.object({
  wizard_id: z.string(),
  step: z.string(),
  status: z.enum(["active", "done", "cancelled"]),
  /** Exactly what to say or ask next: the instruction for the model. */
  say: z.string(),
  /** The same step in a person's words, for what a person reads (a card, a page, a terminal). */
  person: z.object({
    /** The question or news of this step. */
    line: z.string(),
    /** What went wrong at this step, or null. */
    problem: z.string().nullable(),
  }),
  answers: z.array(StepAnswer),
  /** What a chat UI needs to draw this step's card. */
  card: z.object({
    title: z.string(),
    fields: ScalarRecord,
    curl_test: z.string().optional(),
    /** Where a person reads the PAT for the curl test; only on the local sandbox, never the PAT. */
    pat_help: z.string().optional(),
    /** The last test request: accepted with its run, rejected with a fix, or none in time. */
    test: z.record(z.string(), z.unknown()).optional(),
  }),
  paste_url: z.string().nullable(),
  reveal_url: z.string().nullable(),
});
export type StepView = z.infer<typeof StepView>;

/** Turns an answer into the machine's event; `continue` only re-reads the step. */
export function eventFor(
  action: WizardAction,
  args: {
    value?: string | undefined;
    use_run_setup_defaults?: boolean | undefined;
    trigger_payload?: ScalarRecord | undefined;
  },
): WizardEvent | "continue" {
  const value = args.value ?? "";
  switch (action) {
    case "pick_workflow":
      return { type: "PICK_WORKFLOW", workflowId: value };
    case "set_name":
      return { type: "SET_NAME", name: value };
    case "choose_api_key":
      return { type: "CHOOSE_KEY", apiKeyId: value };
    case "paste_instead":
      return { type: "PASTE_INSTEAD", apiKeyId: value };
    case "set_extras":
      return {
        type: "SET_EXTRAS",
        extras: {
          use_run_setup_defaults: args.use_run_setup_defaults ?? false,
          trigger_payload: args.trigger_payload ?? {},
        },
      };
    case "skip_extras":
      return { type: "SKIP_EXTRAS" };
    case "confirm":
      return { type: "CONFIRM" };
    case "edit":
      return { type: "EDIT", answer: value };
    case "retry":
      return { type: "RETRY" };
    case "back":
      return { type: "BACK" };
    case "cancel":
      return { type: "CANCEL" };
    case "finish":
      return { type: "FINISH" };
    case "wait_for_test":
      return { type: "WAIT_FOR_TEST" };
    case "send_test":
      return { type: "SEND_TEST" };
    case "continue":
      return "continue";
  }
}
