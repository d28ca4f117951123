import * as ui from "@clack/prompts";

/** What a person chose instead of an answer: go back one step. */
export const BACK = Symbol("back");

/** Ctrl+C or Esc: the guide stops and says what happened. */
export class Interrupted extends Error {
  constructor() {
    super("interrupted");
    this.name = "Interrupted";
  }
}

/** A prompt's answer; Ctrl+C or Esc becomes `Interrupted`. */
export async function ask<T>(prompt: Promise<T | symbol>): Promise<Exclude<T, symbol>> {
  const answer = await prompt;
  if (ui.isCancel(answer)) throw new Interrupted();
  if (typeof answer === "symbol") throw new Interrupted();
  return answer as Exclude<T, symbol>;
}

export interface Choice<T extends string> {
  value: T;
  label: string;
  hint?: string | undefined;
}

const BACK_VALUE = "\u0000back";

/** A select list; with `back`, its last option goes back one step. */
export async function choose<T extends string>(
  message: string,
  options: Choice<T>[],
  settings: { back?: boolean; initial?: T | undefined } = {},
): Promise<T | typeof BACK> {
  const all: Choice<string>[] = settings.back
    ? [...options, { value: BACK_VALUE, label: "← Back" }]
    : options;
  const picked = await ask(
    ui.select<string>({
      message,
      options: all.map((option) => ({
        value: option.value,
        label: option.label,
        ...(option.hint ? { hint: option.hint } : {}),
      })),
      ...(settings.initial ? { initialValue: settings.initial } : {}),
    }),
  );
  return options.find((option) => option.value === picked)?.value ?? BACK;
}

/** The typed answer that means "back" in a text prompt, said in each such prompt. */
const BACK_TEXT = "<";

/**
 * A text prompt whose default is explicit: pre-filled and editable, never silently
 * substituted. With `back`, typing `<` goes back one step.
 */
export async function typeIn(
  message: string,
  settings: {
    initial?: string | undefined;
    back?: boolean;
    validate: (value: string) => string | undefined;
  },
): Promise<string | typeof BACK> {
  const typed = await ask(
    ui.text({
      message: settings.back ? `${message} (type ${BACK_TEXT} to go back)` : message,
      ...(settings.initial ? { initialValue: settings.initial } : {}),
      validate: (value) =>
        settings.back && value?.trim() === BACK_TEXT ? undefined : settings.validate(value ?? ""),
    }),
  );
  return settings.back && typed.trim() === BACK_TEXT ? BACK : typed;
}

/** A masked prompt for a PAT; with `back`, typing `<` goes back one step. */
export async function typeSecret(
  message: string,
  settings: { back?: boolean; validate: (value: string) => string | undefined },
): Promise<string | typeof BACK> {
  const typed = await ask(
    ui.password({
      message: settings.back ? `${message} (type ${BACK_TEXT} to go back)` : message,
      validate: (value) =>
        settings.back && value === BACK_TEXT ? undefined : settings.validate(value ?? ""),
    }),
  );
  return settings.back && typed === BACK_TEXT ? BACK : typed;
}

/**
 * Prints what a person copies (a URL, a secret, the curl test) on lines of its own with no
 * border or prefix, so a terminal of any width wraps it without breaking the copy.
 */
export function printCopyable(out: NodeJS.WritableStream, label: string, text: string): void {
  ui.log.step(label);
  out.write(`\n${text}\n\n`);
}
