import { readFileSync } from "node:fs";
import { PERSON_RULES } from "../../card/step-display.js";
import { patShapeProblem } from "../../untrusted/secret-shapes.js";
import { nameRefusal, type WizardEvent, type WizardStep } from "../../wizard/machine.js";
import type { StepView } from "../../wizard/steps.js";
import { SubscriptionName } from "../../wizard/types.js";
import { parseTriggerPayload } from "./flags.js";
import { type Guide, GuideStop } from "./guide.js";
import { handOver, reveal, showTestReport } from "./hand-over.js";
import { BACK, type Choice, choose, typeIn, typeSecret } from "./terminal.js";

/** One step of the terminal guide: it asks (or reads a flag) and sends the answer. */
type StepHandler = (guide: Guide, view: StepView) => Promise<void>;

/** Options of an answer the step lists, matched by id first, then by label (case ignored). */
function optionsOf(view: StepView, action: string) {
  return view.answers.find((answer) => answer.action === action)?.options ?? [];
}

function pick(view: StepView, action: string, wanted: string | undefined): string | undefined {
  if (wanted === undefined) return undefined;
  const options = optionsOf(view, action);
  const byId = options.find((option) => option.value === wanted);
  const byLabel = options.find((option) => option.label.toLowerCase() === wanted.toLowerCase());
  return (byId ?? byLabel)?.value;
}

function optionList(view: StepView, action: string): string {
  return optionsOf(view, action)
    .map((option) => `${option.label} (${option.value})`)
    .join(", ");
}

const offersBack = (view: StepView) => view.answers.some((answer) => answer.action === "back");

/** Why a name cannot be used, rule by rule, with a free name to take instead. */
export function nameWords(guide: Guide, name: string): string | undefined {
  const context = guide.snapshot.context;
  const refusal = nameRefusal(name, context.takenNames);
  if (refusal === null) return undefined;
  const free = context.nameSuggestions[0];
  const instead = free ? ` A free name: ${free}.` : "";
  if (refusal === "taken") {
    return `"${name.trim()}" is already the name of an inbound webhook on "${context.workflow?.name}" (letter case is ignored).${instead}`;
  }
  if (refusal === "secret") return `That looks like a secret, not a name.${instead}`;
  if (name.trim() === "") return `A name is needed: type one.${instead}`;
  const issue = SubscriptionName.safeParse(name).error?.issues[0]?.message ?? "invalid name";
  return `"${name.trim()}" cannot be the name: ${issue}.${instead}`;
}

async function choosingWorkflow(guide: Guide, view: StepView): Promise<void> {
  const wanted = guide.flags.workflow;
  guide.flags.workflow = undefined;
  let workflowId = pick(view, "pick_workflow", wanted);
  if (wanted !== undefined && !workflowId) {
    const draft = guide.snapshot.context.workflowOptions.find(
      (w) =>
        w.status === "draft" && (w.id === wanted || w.name.toLowerCase() === wanted.toLowerCase()),
    );
    const saved = `Saved workflows: ${optionList(view, "pick_workflow")}.`;
    const why = draft
      ? `"${draft.name}" is a draft. Open a saved workflow in Workflow Studio first.`
      : `--workflow "${wanted}" is not a workflow here.`;
    if (!guide.interactive) throw new GuideStop(`${why} ${saved}`, 2);
    guide.warn(why);
  }
  if (!workflowId && !guide.interactive) {
    throw new GuideStop(
      `Say which workflow with --workflow. Saved workflows: ${optionList(view, "pick_workflow")}.`,
      2,
    );
  }
  workflowId ??= String(
    await choose(
      "Which saved workflow should external events start?",
      optionsOf(view, "pick_workflow").map((o) => ({ value: o.value, label: o.label })),
    ),
  );
  await guide.send({ type: "PICK_WORKFLOW", workflowId });
}

async function naming(guide: Guide, view: StepView): Promise<void> {
  const given = guide.flags.name;
  guide.flags.name = undefined;
  if (given !== undefined) {
    const refused = nameWords(guide, given);
    if (!refused) return guide.send({ type: "SET_NAME", name: given });
    if (!guide.interactive) throw new GuideStop(refused, 2);
    guide.warn(refused);
  }
  if (!guide.interactive) throw new GuideStop("Give the webhook a name with --name.", 2);
  const context = guide.snapshot.context;
  const name = await typeIn(`Name this inbound webhook for "${context.workflow?.name}"`, {
    initial: context.name ?? optionsOf(view, "set_name")[0]?.value,
    back: offersBack(view),
    validate: (value) => nameWords(guide, value),
  });
  await guide.send(name === BACK ? { type: "BACK" } : { type: "SET_NAME", name });
}

async function noKeys(guide: Guide, view: StepView): Promise<void> {
  if (!guide.interactive) throw new GuideStop(view.person.line, 1);
  guide.warn(view.person.line);
  await guide.send(await whatNow(view));
}

async function choosingKey(guide: Guide, view: StepView): Promise<void> {
  // A PAT pasted for one key must not travel with another the person picks instead.
  guide.deps.pats.take(guide.id);
  guide.pastedPat = undefined;
  const wanted = guide.flags.apiKey;
  guide.flags.apiKey = undefined;
  let keyId = pick(view, "choose_api_key", wanted);
  if (wanted !== undefined && !keyId) {
    const why = `--api-key "${wanted}" is not an API key here. Keys: ${optionList(view, "choose_api_key")}.`;
    if (!guide.interactive) throw new GuideStop(why, 2);
    guide.warn(why);
  }
  if (!keyId && !guide.interactive) {
    throw new GuideStop(
      `Say which API key with --api-key. Keys: ${optionList(view, "choose_api_key")}.`,
      2,
    );
  }
  const picked =
    keyId ??
    (await choose(
      "Which API key (PAT) will the sender use?",
      optionsOf(view, "choose_api_key").map((o) => ({
        value: o.value,
        label: o.label,
        hint: o.detail,
      })),
      { back: offersBack(view), initial: guide.snapshot.context.apiKey?.id },
    ));
  if (picked === BACK) return guide.send({ type: "BACK" });
  keyId = picked;
  await guide.send(
    guide.flags.pastePat
      ? { type: "PASTE_INSTEAD", apiKeyId: keyId }
      : { type: "CHOOSE_KEY", apiKeyId: keyId },
  );
}

/** The PAT to paste, from stdin or the environment (once), or typed in a terminal. */
async function patToPaste(guide: Guide, view: StepView): Promise<string | typeof BACK> {
  const key = guide.snapshot.context.apiKey;
  const tail = key?.hint.slice(-4) ?? "";
  // A refused PAT is an answer, not an outage: a script gets one request and exit 2.
  if (guide.patSource && !guide.interactive) {
    throw new GuideStop(
      `The PAT in ${guide.patSource} is not the PAT of "${key?.name}" (AgentRuntime refused it): set it to the pat_… token of that key, which ends in ${tail}.`,
      2,
    );
  }
  const fromStdin = guide.flags.patStdin;
  guide.flags.patStdin = false;
  const given = fromStdin
    ? readFileSync(0, "utf8").trim()
    : guide.patSource === undefined
      ? guide.io.env.AGENTRUNTIME_PASTE_PAT?.trim()
      : undefined;
  if (given) {
    guide.patSource = fromStdin ? "standard input" : "AGENTRUNTIME_PASTE_PAT";
    return given;
  }
  if (!guide.interactive) {
    throw new GuideStop(
      `The key "${key?.name}" is not in Vault, so its PAT must be pasted once: set AGENTRUNTIME_PASTE_PAT or pipe it with --pat-stdin.`,
      2,
    );
  }
  return typeSecret(
    `Paste the PAT of "${key?.name}" (ends in ${tail}); it is used for this setup and not stored`,
    {
      back: offersBack(view),
      validate: (value) =>
        patShapeProblem(value) ??
        (value.endsWith(tail)
          ? undefined
          : `That is not the PAT of "${key?.name}": its token ends in ${tail}.`),
    },
  );
}

async function pastingPat(guide: Guide, view: StepView): Promise<void> {
  const problem = guide.snapshot.context.problem;
  if (problem && guide.interactive && guide.patSource === "terminal") {
    guide.warn(`AgentRuntime refused that PAT for "${guide.snapshot.context.apiKey?.name}".`);
  }
  const pat = await patToPaste(guide, view);
  if (pat === BACK) return guide.send({ type: "BACK" });
  guide.patSource ??= "terminal";
  guide.deps.pats.put(guide.id, pat);
  guide.pastedPat = pat;
  await guide.send({ type: "PAT_PASTED" });
}

async function extras(guide: Guide, view: StepView): Promise<void> {
  const { flags } = guide;
  const answered = flags.useRunSetupDefaults || flags.triggerPayload !== undefined;
  let chosen = {
    use_run_setup_defaults: flags.useRunSetupDefaults,
    trigger_payload: flags.triggerPayload ?? {},
  };
  if (guide.interactive && !answered && !flags.yes) {
    const asked = await askExtras(guide, view);
    if (asked === BACK) return guide.send({ type: "BACK" });
    chosen = asked;
  }
  const event: WizardEvent =
    chosen.use_run_setup_defaults || Object.keys(chosen.trigger_payload).length > 0
      ? { type: "SET_EXTRAS", extras: chosen }
      : { type: "SKIP_EXTRAS" };
  if (!guide.snapshot.can(event))
    throw new GuideStop(
      `--trigger-payload is not accepted. ${PERSON_RULES.set_extras} Use key=value pairs (a=1,b=2) or a JSON object.`,
      2,
    );
  await guide.send(event);
}

async function askExtras(guide: Guide, view: StepView) {
  const current = guide.snapshot.context.extras;
  const merge = await choose(
    "Merge the workflow's saved Run setup defaults into each run's input?",
    [
      { value: "no", label: "No (default)" },
      { value: "yes", label: "Yes" },
    ],
    { back: offersBack(view), initial: current.use_run_setup_defaults ? "yes" : "no" },
  );
  if (merge === BACK) return BACK;
  const fixed = await typeIn("Input fields to fix for every run (a=1,b=2; empty for none)", {
    initial: Object.entries(current.trigger_payload)
      .map(([key, value]) => `${key}=${value}`)
      .join(","),
    back: true,
    validate: (value) => {
      try {
        parseTriggerPayload(value);
        return undefined;
      } catch {
        return "Write key=value pairs separated by commas, or leave it empty for none.";
      }
    },
  });
  if (fixed === BACK) return BACK;
  return { use_run_setup_defaults: merge === "yes", trigger_payload: parseTriggerPayload(fixed) };
}

function summary(view: StepView): string {
  const fields = view.card.fields;
  return [
    `Workflow:     ${fields.workflow}`,
    `Name:         ${fields.name}`,
    `API key:      ${fields.api_key}${fields.paste_pat ? " (PAT pasted once)" : ""}`,
    `Run setup defaults: ${fields.use_run_setup_defaults ? "merged" : "not merged"}`,
    `Fixed input:  ${fields.trigger_payload ?? "none"}`,
  ].join("\n");
}

const CREATING = {
  doing: "Creating the inbound webhook…",
  outcome: (step: WizardStep) =>
    step === "awaitingReveal" || step === "handingOver"
      ? "Created the inbound webhook"
      : "The inbound webhook was not created",
};

async function confirming(guide: Guide, view: StepView): Promise<void> {
  if (guide.flags.yes) return guide.send({ type: "CONFIRM" }, CREATING);
  if (!guide.interactive) {
    throw new GuideStop("Add --yes to create the webhook without a terminal to confirm in.", 2);
  }
  const edits = optionsOf(view, "edit").map((o) => ({ value: `edit:${o.value}`, label: o.label }));
  const options: Choice<string>[] = [
    { value: "confirm", label: "Create this inbound webhook" },
    ...edits,
    { value: "cancel", label: "Cancel: create nothing" },
  ];
  const choice = await choose(`About to create:\n${summary(view)}`, options, { back: true });
  if (choice === BACK) return guide.send({ type: "BACK" });
  if (choice === "confirm") return guide.send({ type: "CONFIRM" }, CREATING);
  if (choice === "cancel") return guide.send({ type: "CANCEL" });
  await guide.send({ type: "EDIT", answer: choice.replace(/^edit:/, "") });
}

/** After a failure: the step's own answers (retry, back, cancel). */
async function whatNow(view: StepView): Promise<WizardEvent> {
  const choice = await choose(
    "What now?",
    view.answers.map((answer) => ({ value: answer.action, label: answer.label })),
  );
  if (choice === "retry") return { type: "RETRY" };
  if (choice === "back") return { type: "BACK" };
  return { type: "CANCEL" };
}

async function failed(guide: Guide, view: StepView): Promise<void> {
  const message = guide.snapshot.context.problem?.message ?? "AgentRuntime failed.";
  if (!guide.interactive) throw new GuideStop(message, 1);
  guide.warn(message);
  const event = await whatNow(view);
  await guide.send(
    event,
    event.type === "RETRY"
      ? {
          doing: "Trying again…",
          outcome: () => guide.view().person.line,
        }
      : undefined,
  );
}

async function testReported(guide: Guide, view: StepView): Promise<void> {
  showTestReport(guide);
  await handOver(guide, view);
}

/** A step the guide never rests on (an actor is at work, or the setup ended): a bug if seen. */
async function transient(guide: Guide): Promise<void> {
  throw new GuideStop(`The wizard stopped at an unexpected step (${guide.view().step}).`, 1);
}

/** Every step has a handler: a new step is a type error here until the guide handles it. */
export const STEP_HANDLERS: Record<WizardStep, StepHandler> = {
  start: transient,
  loadingWorkflow: transient,
  loadingWorkflows: transient,
  choosingWorkflow,
  loadingNames: transient,
  naming,
  loadingKeys: transient,
  noKeys,
  choosingKey,
  pastingPat,
  extras,
  confirming,
  createFailed: failed,
  unavailable: failed,
  creating: transient,
  revealing: transient,
  awaitingReveal: reveal,
  handingOver: handOver,
  waitingForTest: transient,
  sendingTest: transient,
  testReported,
  done: transient,
  cancelled: transient,
};
