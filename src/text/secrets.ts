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
