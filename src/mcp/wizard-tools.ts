import { SubscriptionName } from "../contract/schemas.js";
import { looksLikeSecret } from "../untrusted/mark.js";
import type { StepView, WizardAction } from "../wizard/step-view.js";
import type { ToolContext } from "./tool.js";
import { ToolFailure } from "./tool.js";
import type { WizardOutcome } from "./wizards.js";

/** The wizard tools need the guided setup; a host without it gets a clear failure. */
export async function wizardsOf(context: ToolContext) {
  if (!context.wizards) {
    throw new ToolFailure(
      "wizard_unavailable",
      "This server runs without the guided setup; use create_inbound_webhook with an API key that is in Vault.",
    );
  }
  return context.wizards();
}

function legalAnswers(view: StepView): string {
  if (view.answers.length === 0) return `none: the wizard is ${view.status}`;
  return view.answers
    .map((answer) => {
      const options = answer.options?.length
        ? ` (value: ${answer.options.map((option) => option.value).join(" | ")})`
        : "";
      return `${answer.action}${options}`;
    })
    .join(", ");
}

/**
 * For an answer refused before it reached the wizard (a secret-shaped value): where the
 * wizard stays and its legal answers, so a refusal always says what may be answered.
 */
export async function wizardRefusalHint(
  args: Record<string, unknown>,
  wizards: ToolContext["wizards"],
): Promise<string> {
  if (!wizards || typeof args.wizard_id !== "string") return "";
  const outcome = await (await wizards()).get(args.wizard_id);
  if (outcome.kind !== "view") return "";
  return `The wizard stays at step ${outcome.view.step}. Legal answers: ${legalAnswers(outcome.view)}.`;
}

/** Why a refused answer was refused, as precisely as the step allows. */
function refusalReason(view: StepView, action: WizardAction, value: string | undefined): string {
  const offered = view.answers.find((answer) => answer.action === action);
  if (!offered) {
    if (view.step === "awaitingReveal" && action === "finish") {
      return "The person has not opened reveal_url yet, so the signing secret has not been shown; ask them to open it first.";
    }
    return `${action} is not an answer at step ${view.step}.`;
  }
  if (action === "set_name") {
    const free = offered.options?.[0]?.value;
    const instead = free ? ` A free name: ${free}.` : "";
    const parsed = SubscriptionName.safeParse(value ?? "");
    if (!parsed.success)
      return `value: ${parsed.error.issues[0]?.message ?? "invalid name"}.${instead}`;
    if (value && looksLikeSecret(value))
      return `value looks like a secret and cannot be a name.${instead}`;
    return `value is already the name of an inbound webhook on this workflow; pick another (letter case is ignored).${instead}`;
  }
  if (offered.options && !offered.options.some((option) => option.value === value)) {
    return "value must be one of the listed option values.";
  }
  if (action === "set_extras") return `the extras break the rules: ${offered.rules ?? ""}.`;
  return `${action} cannot be answered right now.`;
}

/**
 * Steps where the model hands the curl test to the person; before them it is on the reveal
 * page, and at `done` the step text points to the card and that page.
 */
const CURL_STEPS: readonly string[] = ["handingOver", "testReported"];

/**
 * What the model reads: the step, what to say, the legal answers and the page to send the
 * person to. The card (answers so far, hints, the curl test) is for the host's UI and stays
 * in the structured result; the curl test is read only where the model must hand it over.
 */
export function modelText(view: StepView): string {
  // `person` is the same step in a person's words, for the host's UI: the model has `say`.
  const { card, answers, paste_url, reveal_url, status, person: _person, ...rest } = view;
  const keyOptions = answers.find((answer) => answer.action === "choose_api_key")?.options;
  return JSON.stringify({
    ...rest,
    ...(status !== "active" ? { status } : {}),
    answers: answers.map(({ action, label, rules, options }) => ({
      action,
      // back and cancel say what they do; set_name's rules are in `say`
      ...(SELF_EXPLAINING.includes(action) ? {} : { label }),
      ...(rules && action !== "set_name" ? { rules } : {}),
      ...(options
        ? {
            options:
              action === "paste_instead" && sameOptions(options, keyOptions)
                ? "the same as choose_api_key"
                : options.map(({ value, label: name, detail }) => ({
                    value,
                    ...(name !== value ? { label: name } : {}),
                    ...(detail && detail !== "suggested" ? { detail } : {}),
                  })),
          }
        : {}),
    })),
    ...(paste_url ? { paste_url } : {}),
    ...(reveal_url ? { reveal_url } : {}),
    ...(card.curl_test && CURL_STEPS.includes(view.step)
      ? { card: { curl_test: card.curl_test } }
      : {}),
  });
}

const SELF_EXPLAINING: readonly string[] = ["back", "cancel"];

type Options = NonNullable<StepView["answers"][number]["options"]>;

function sameOptions(options: Options, other: Options | undefined): boolean {
  return (
    other !== undefined &&
    options.length === other.length &&
    options.every((option, at) => option.value === other[at]?.value)
  );
}

/** A wizard outcome as a tool answer: the step view, or a failure that lists the legal answers. */
export async function answerOf(
  outcome: WizardOutcome,
  context: ToolContext,
  attempted?: { action: WizardAction; value: string | undefined },
) {
  const wizards = await wizardsOf(context);
  if (outcome.kind === "missing" || outcome.kind === "expired") {
    throw new ToolFailure(
      outcome.kind === "expired" ? "wizard_expired" : "wizard_not_found",
      `${outcome.kind === "expired" ? "This wizard expired after two idle hours" : "No wizard has this wizard_id"}; start again with start_inbound_webhook_wizard.`,
    );
  }
  const { view } = outcome;
  if (outcome.kind === "refused" && attempted) {
    throw new ToolFailure(
      "answer_not_accepted",
      `${refusalReason(view, attempted.action, attempted.value)} The wizard stays at step ${view.step}. Legal answers: ${legalAnswers(view)}.`,
    );
  }
  const link = view.paste_url ?? view.reveal_url;
  if (link) {
    const pageId = link.slice(link.lastIndexOf("/") + 1);
    wizards.watchPage(pageId, () => context.completeElicitation(pageId));
    const opened = await context.openUrl({
      url: link,
      elicitationId: pageId,
      message:
        view.paste_url !== null
          ? "Open this private page to paste the PAT once. Never paste it into the chat."
          : "Open this private page to copy the signing secret. It is shown once.",
    });
    if (opened) {
      const said = { ...view, say: `The person's client has opened the page. ${view.say}` };
      return { structured: said, text: modelText(said) };
    }
  }
  return { structured: view, text: modelText(view) };
}
