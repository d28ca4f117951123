/**
 * The one definition of what a secret looks like. Refusing them in tool arguments, scrubbing
 * them from chat, redacting them from what a model reads and checking a pasted PAT all use
 * this table, so no two places can disagree about what counts as a secret.
 */

const TOKEN_CHAR = "[A-Za-z0-9_-]";
/** Shorter than anything minted here (43 characters after the prefix), long enough to skip words. */
const MIN_TOKEN_CHARS = 16;
/** Longer pastes are not PATs this project accepts. */
const MAX_TOKEN_CHARS = 256;

// snake_case words after a prefix are this project's error codes (pat_secret_not_in_vault), not tokens.
const NOT_A_WORD_LIST = `(?![a-z]+(?:_[a-z]+)+(?!${TOKEN_CHAR}))`;
const minted = (prefix: string) => `${prefix}${NOT_A_WORD_LIST}${TOKEN_CHAR}{${MIN_TOKEN_CHARS},}`;
// The characters of a bearer credential (RFC 6750's b64token) and of a header value.
const B64_TOKEN = "[A-Za-z0-9._~+/=-]";

/** One kind of secret: its name (for tests and docs) and the regular expression that finds it. */
export interface SecretShape {
  name: string;
  source: string;
}

/**
 * Every secret shape redacted from what a model reads and refused in tool arguments. The
 * provider shapes follow the prefixes their issuers document (and that gitleaks' rules use);
 * a match is replaced whole, and for a labelled value only the value after its label.
 */
export const SECRET_SHAPES: readonly SecretShape[] = [
  { name: "AgentRuntime PAT", source: minted("pat_") },
  { name: "AgentRuntime signing secret", source: minted("whsec_") },
  { name: "AgentRuntime caller token", source: minted("usr_") },
  {
    name: "Bearer token",
    source: `(?<=\\b(?:Bearer|bearer|BEARER)\\s+)${B64_TOKEN}{${MIN_TOKEN_CHARS},}`,
  },
  {
    name: "Authorization header",
    source: `(?<=\\b(?:Authorization|authorization|AUTHORIZATION)["']?\\s*[:=]\\s*["']?)(?:[A-Za-z]+\\s+)?${B64_TOKEN}{12,}`,
  },
  { name: "OpenAI API key", source: `(?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{20,}` },
  { name: "GitHub token", source: `(?<![A-Za-z0-9])gh[pousr]_[A-Za-z0-9]{36,}` },
  { name: "GitHub fine-grained token", source: `(?<![A-Za-z0-9])github_pat_[A-Za-z0-9_]{22,}` },
  { name: "Slack token", source: `(?<![A-Za-z0-9])(?:xox[abposr]|xapp)-[A-Za-z0-9-]{10,}` },
  {
    name: "AWS access key id",
    source: `(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])`,
  },
  {
    name: "JSON Web Token",
    source: `(?<![A-Za-z0-9])eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]*`,
  },
  // A key cut short (no END line) is removed to the end of the text.
  {
    name: "PEM private key",
    source:
      "-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----[\\s\\S]*?(?:-----END[A-Z0-9 ]*PRIVATE KEY-----|$)",
  },
];

const SECRET_SOURCE = SECRET_SHAPES.map((shape) => `(?:${shape.source})`).join("|");
const SECRET_ANYWHERE = new RegExp(SECRET_SOURCE);
const SECRET_EVERYWHERE = new RegExp(SECRET_SOURCE, "g");
const PAT_ONLY = new RegExp(`^pat_${TOKEN_CHAR}{${MIN_TOKEN_CHARS},${MAX_TOKEN_CHARS}}$`);

/** What a removed secret reads as, everywhere. */
export const REDACTED = "[secret removed]";

/** True when a string carries something shaped like any secret in {@link SECRET_SHAPES}. */
export function looksLikeSecret(value: string): boolean {
  return SECRET_ANYWHERE.test(value);
}

/** The text with every secret-shaped run replaced by {@link REDACTED}. */
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
