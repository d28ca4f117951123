/** Loopback and private-network hosts: a model server there often needs no key. */
export function isLocalModelServer(baseUrl: string | undefined): boolean {
  if (!baseUrl || !URL.canParse(baseUrl)) return false;
  const host = new URL(baseUrl).hostname.replace(/^\[|\]$/g, "");
  return (
    host === "localhost" ||
    host.endsWith(".localhost") ||
    host.endsWith(".local") ||
    host === "::1" ||
    /^(127|10)\./.test(host) ||
    /^192\.168\./.test(host) ||
    /^172\.(1[6-9]|2\d|3[01])\./.test(host)
  );
}

/**
 * The warning to show before the first message when a hosted model has no API key (it would
 * refuse that message), or nothing. No base URL means OpenAI itself.
 */
export function missingKeyWarning(
  baseUrl: string | undefined,
  apiKey: string | undefined,
): string | undefined {
  if (apiKey || isLocalModelServer(baseUrl)) return undefined;
  return `⚠ OPENAI_API_KEY is not set, and ${baseUrl ?? "OpenAI (the default, https://api.openai.com/v1)"} is not a local server: it will most likely refuse the first message. Set OPENAI_API_KEY, or point --base-url at a local server (Ollama: http://127.0.0.1:11434/v1).`;
}
