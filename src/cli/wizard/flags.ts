import { ExtrasAnswer, type Scalar } from "../../wizard/types.js";
import { BACKEND_FLAGS, parseCommandArgs, UsageError } from "../args.js";

/** The answers and switches the wizard takes as flags; a flag answers its question. */
export interface WizardFlags {
  workflow: string | undefined;
  sender: string | undefined;
  name: string | undefined;
  apiKey: string | undefined;
  pastePat: boolean;
  patStdin: boolean;
  useRunSetupDefaults: boolean;
  triggerPayload: Record<string, Scalar> | undefined;
  /** Ask nothing a flag answered, nor any optional question: take the stated defaults. */
  yes: boolean;
  sendTest: boolean | undefined;
  json: boolean;
  wizardDb: string | undefined;
}

const COMMAND = "wizard";

/** Reads `key=value,...` or a JSON object; an empty text means no fixed fields. */
export function parseTriggerPayload(raw: string): Record<string, Scalar> {
  const text = raw.trim();
  if (text === "") return {};
  if (text.startsWith("{")) {
    const parsed = ExtrasAnswer.shape.trigger_payload.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error("a JSON object of text, number, true/false or null");
    return parsed.data;
  }
  const entries = text.split(",").map((pair) => {
    const at = pair.indexOf("=");
    if (at < 1) throw new Error(`"${pair}" is not key=value`);
    return [pair.slice(0, at).trim(), pair.slice(at + 1).trim()] as const;
  });
  return Object.fromEntries(entries);
}

/** The wizard's flags, or a usage error that says which one is wrong. */
export function parseWizardFlags(argv: string[]) {
  const { values } = parseCommandArgs(COMMAND, argv, {
    workflow: { type: "string" },
    sender: { type: "string" },
    name: { type: "string" },
    "api-key": { type: "string" },
    "paste-pat": { type: "boolean" },
    "pat-stdin": { type: "boolean" },
    "use-run-setup-defaults": { type: "boolean" },
    "trigger-payload": { type: "string" },
    yes: { type: "boolean", short: "y" },
    "send-test": { type: "boolean" },
    "no-send-test": { type: "boolean" },
    json: { type: "boolean" },
    ...BACKEND_FLAGS,
    "wizard-db": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  let triggerPayload: Record<string, Scalar> | undefined;
  try {
    const raw = values["trigger-payload"];
    triggerPayload = raw === undefined ? undefined : parseTriggerPayload(raw);
  } catch (error) {
    throw new UsageError(
      `--trigger-payload must be key=value pairs separated by commas, or a JSON object (${error instanceof Error ? error.message : String(error)})`,
      COMMAND,
    );
  }
  const flags: WizardFlags = {
    workflow: values.workflow,
    sender: values.sender,
    name: values.name,
    apiKey: values["api-key"],
    pastePat: values["paste-pat"] ?? false,
    patStdin: values["pat-stdin"] ?? false,
    useRunSetupDefaults: values["use-run-setup-defaults"] ?? false,
    triggerPayload,
    yes: values.yes ?? false,
    sendTest: values["send-test"] ? true : values["no-send-test"] ? false : undefined,
    json: values.json ?? false,
    wizardDb: values["wizard-db"],
  };
  return { flags, values, help: values.help ?? false };
}

/** Whether any flag answers a question, so the guide does not offer to resume another setup. */
export function answersGiven(flags: WizardFlags): boolean {
  return (
    flags.workflow !== undefined ||
    flags.name !== undefined ||
    flags.apiKey !== undefined ||
    flags.triggerPayload !== undefined ||
    flags.useRunSetupDefaults
  );
}
