/** An automation PAT as AgentRuntime issues it: `pat_`, then 16 to 256 URL-safe characters. */
export const PAT_SHAPE = /^pat_[A-Za-z0-9_-]{16,256}$/;

/**
 * What is wrong with a pasted value that should be a PAT, in one sentence for the person, or
 * nothing when it has a PAT's shape. It never repeats the value: it may be a real secret.
 */
export function patShapeProblem(value: string): string | undefined {
  if (PAT_SHAPE.test(value)) return undefined;
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
  if (/[^A-Za-z0-9_-]/.test(rest)) {
    return "It has a character a PAT never has: after pat_ come only letters, digits, - and _.";
  }
  if (rest.length < 16) {
    return `It is too short for a PAT: after pat_ come at least 16 characters, and this has ${rest.length}. Copy the whole token.`;
  }
  return `It is too long for a PAT: after pat_ come at most 256 characters, and this has ${rest.length}. Paste one token only.`;
}
