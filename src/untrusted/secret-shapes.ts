/**
 * The one definition of what a PAT and a signing secret look like. Refusing them in tool
 * arguments, scrubbing them from chat, redacting them from what a model reads and checking a
 * pasted PAT all use these, so no two places can disagree about what counts as a secret.
 */

const TOKEN_CHAR = "[A-Za-z0-9_-]";
/** Shorter than anything minted here (43 characters after the prefix), long enough to skip words. */
const MIN_TOKEN_CHARS = 16;
/** Longer pastes are not PATs this project accepts. */
const MAX_TOKEN_CHARS = 256;

// snake_case words after a prefix are this project's error codes (pat_secret_not_in_vault), not tokens.
const NOT_A_WORD_LIST = `(?![a-z]+(?:_[a-z]+)+(?!${TOKEN_CHAR}))`;
const SECRET_SOURCE = `(?:pat_|whsec_)${NOT_A_WORD_LIST}${TOKEN_CHAR}{${MIN_TOKEN_CHARS},}`;

const SECRET_ANYWHERE = new RegExp(SECRET_SOURCE);
const SECRET_EVERYWHERE = new RegExp(SECRET_SOURCE, "g");
const PAT_ONLY = new RegExp(`^pat_${TOKEN_CHAR}{${MIN_TOKEN_CHARS},${MAX_TOKEN_CHARS}}$`);

/** What a removed secret reads as, everywhere. */
export const REDACTED = "[secret removed]";

/** True when a string carries something shaped like a PAT or a signing secret. */
export function looksLikeSecret(value: string): boolean {
  return SECRET_ANYWHERE.test(value);
}

/** The text with every PAT- or signing-secret-shaped run replaced by {@link REDACTED}. */
export function redactSecrets(value: string): string {
  return value.replace(SECRET_EVERYWHERE, REDACTED);
}

/** True when the whole value could be a pasted PAT. */
export function isPatShaped(value: string): boolean {
  return PAT_ONLY.test(value);
}

/**
 * What is wrong with a pasted value that should be a PAT, in one sentence for the person, or
 * nothing when it has a PAT's shape. It never repeats the value: it may be a real secret.
 */
export function patShapeProblem(value: string): string | undefined {
  if (isPatShaped(value)) return undefined;
  if (/^bearer\s+/i.test(value)) {
    return 'Paste the token alone, without "Bearer " in front of it.';
  }
  if (value.startsWith("whsec_")) {
    return "That is a signing secret (whsec_…), not a PAT: paste the API key's token, which starts with pat_.";
  }
  if (!value.startsWith("pat_")) {
    return "A PAT starts with pat_, and this does not: paste the API key's token (pat_…).";
  }
  const rest = value.slice("pat_".length);
  if (/\s/.test(rest)) {
    return "It has a space or a line break inside: paste the token in one piece.";
  }
  if (new RegExp(`[^${TOKEN_CHAR.slice(1, -1)}]`).test(rest)) {
    return "It has a character a PAT never has: after pat_ come only letters, digits, - and _.";
  }
  if (rest.length < MIN_TOKEN_CHARS) {
    return `It is too short for a PAT: after pat_ come at least ${MIN_TOKEN_CHARS} characters, and this has ${rest.length}. Copy the whole token.`;
  }
  return `It is too long for a PAT: after pat_ come at most ${MAX_TOKEN_CHARS} characters, and this has ${rest.length}. Paste one token only.`;
}
