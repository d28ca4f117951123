/** Environment variables the curl template reads; their values are never written into it. */
export const CURL_ENV = {
  signingSecret: "AGENTRUNTIME_SIGNING_SECRET",
  pat: "AGENTRUNTIME_PAT",
} as const;

/** Quotes a string for bash so that it is passed through byte for byte, with no expansion. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * Builds a bash snippet that signs `body` with `$AGENTRUNTIME_SIGNING_SECRET` and POSTs exactly
 * those bytes to `ingressUrl` with `$AGENTRUNTIME_PAT` as the bearer, printing the response
 * followed by `HTTP <status>` on its own line. Neither secret ever appears in a process's
 * arguments: the HMAC is built from bash built-ins and plain SHA-256 runs of `openssl dgst`
 * (its `-hmac` flag would show the key in `ps`), and curl reads the Authorization header from a
 * file descriptor. The snippet refuses to run if either variable is unset or empty. Throws if
 * `ingressUrl` is not an http(s) URL or `body` contains a NUL character (a bash variable
 * cannot hold one).
 */
export function buildCurlTemplate(options: { ingressUrl: string; body: string }): string {
  const { ingressUrl, body } = options;
  let protocol: string;
  try {
    protocol = new URL(ingressUrl).protocol;
  } catch {
    throw new Error(`ingressUrl is not a valid URL: ${ingressUrl}`);
  }
  if (protocol !== "http:" && protocol !== "https:") {
    throw new Error(`ingressUrl must be an http(s) URL: ${ingressUrl}`);
  }
  if (body.includes("\0")) {
    throw new Error("body contains a NUL character, which cannot be sent from a shell variable");
  }
  const secretVar = CURL_ENV.signingSecret;
  const patVar = CURL_ENV.pat;
  // The subshell keeps a failed check from running the remaining pasted lines, and its `exit`
  // from closing the terminal.
  // The body goes to curl on stdin: an argument starting with "@" would be read as a file name,
  // and one argument is capped at 128 KiB by Linux.
  // HMAC-SHA256 (RFC 2104) by hand: the key's bytes reach od and openssl only on stdin.
  return [
    "(",
    "  set -euo pipefail",
    `  : "\${${secretVar}:?set ${secretVar} to the subscription signing secret}"`,
    `  : "\${${patVar}:?set ${patVar} to the automation PAT (pat_...)}"`,
    `  BODY=${shellQuote(body)}`,
    "  sha256() { openssl dgst -sha256 | awk '{print $NF}'; }",
    `  KEY=$(printf '%s' "$${secretVar}" | od -An -tx1 -v | tr -d ' \\n')`,
    `  (( \${#KEY} <= 128 )) || KEY=$(printf '%s' "$${secretVar}" | sha256)`,
    `  while (( \${#KEY} < 128 )); do KEY+=00; done`,
    "  IPAD=; OPAD=",
    "  for ((i = 0; i < 128; i += 2)); do",
    `    printf -v IPAD '%s\\\\x%02x' "$IPAD" $(( 16#\${KEY:i:2} ^ 0x36 ))`,
    `    printf -v OPAD '%s\\\\x%02x' "$OPAD" $(( 16#\${KEY:i:2} ^ 0x5c ))`,
    "  done",
    `  INNER=$( { printf "$IPAD"; printf '%s' "$BODY"; } | sha256)`,
    `  SIG=$( { printf "$OPAD"; printf "$(printf '%s' "$INNER" | sed 's/../\\\\x&/g')"; } | sha256)`,
    `  [[ $SIG =~ ^[0-9a-f]{64}$ ]] || { echo "openssl did not produce a SHA-256 digest" >&2; exit 1; }`,
    `  printf '%s' "$BODY" | curl -sS -X POST ${shellQuote(ingressUrl)} \\`,
    "    -H 'Content-Type: application/json' \\",
    `    -H @<(printf 'Authorization: Bearer %s\\n' "$${patVar}") \\`,
    '    -H "X-Agentruntime-Signature: sha256=$SIG" \\',
    "    --data-binary @- \\",
    "    -w '\\nHTTP %{http_code}\\n'",
    ")",
    "",
  ].join("\n");
}
