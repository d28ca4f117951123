/** Environment variables the curl template reads; their values are never written into it. */
export const CURL_ENV = {
  signingSecret: "AGENTRUNTIME_SIGNING_SECRET",
  pat: "AGENTRUNTIME_PAT",
} as const;

/** Quotes a string for bash so that it is passed through byte for byte, with no expansion. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The product documentation's own `hmac.new(secret, body, sha256)`, reading the key from the environment. */
const PYTHON_HMAC = `import hashlib, hmac, os, sys; print(hmac.new(os.environ["${CURL_ENV.signingSecret}"].encode(), sys.stdin.buffer.read(), hashlib.sha256).hexdigest())`;

/** The Authorization header as a plain argument, or through a file descriptor (out of `ps`). */
const AUTHORIZATION = {
  readable: `-H "Authorization: Bearer $${CURL_ENV.pat}"`,
  argvSafe: `-H @<(printf 'Authorization: Bearer %s\\n' "$${CURL_ENV.pat}")`,
} as const;

function checkTarget(ingressUrl: string, body: string): void {
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
}

function curlSnippet(ingressUrl: string, body: string, authorization: string): string {
  checkTarget(ingressUrl, body);
  // The subshell with `set -eu` keeps a failed line from running the rest of a paste, and its
  // `exit` from closing the terminal. The body goes to curl on stdin: an argument starting
  // with "@" would be read as a file name.
  return [
    "(",
    "  set -eu",
    `  : "\${${CURL_ENV.signingSecret}:?}" "\${${CURL_ENV.pat}:?}"`,
    `  BODY=${shellQuote(body)}`,
    `  SIG=$(printf '%s' "$BODY" | python3 -c '${PYTHON_HMAC}')`,
    `  printf '%s' "$BODY" | curl -sS ${shellQuote(ingressUrl)} \\`,
    "    -H 'Content-Type: application/json' \\",
    `    ${authorization} \\`,
    '    -H "X-Agentruntime-Signature: sha256=$SIG" \\',
    "    --data-binary @- -w '\\nHTTP %{http_code}\\n'",
    ")",
    "",
  ].join("\n");
}

/**
 * The curl test a person reads and runs: signs `body` with `$AGENTRUNTIME_SIGNING_SECRET`
 * through Python's `hmac` (the recipe the product documentation shows) and POSTs exactly those
 * bytes to `ingressUrl` with `$AGENTRUNTIME_PAT` as the bearer, printing the answer and
 * `HTTP <status>`. It refuses to run if either variable is unset or empty. The signing secret
 * never appears in a process's arguments; the PAT does, in curl's, for the sake of a template
 * anyone can read (`buildArgvSafeCurl` keeps it out). Throws if `ingressUrl` is not an http(s)
 * URL or `body` contains a NUL character (a bash variable cannot hold one).
 */
export function buildCurlTemplate(options: { ingressUrl: string; body: string }): string {
  return curlSnippet(options.ingressUrl, options.body, AUTHORIZATION.readable);
}

/**
 * The same request for shared machines: curl reads the Authorization header from a file
 * descriptor, so neither the signing secret nor the PAT is in any process's arguments.
 */
export function buildArgvSafeCurl(options: { ingressUrl: string; body: string }): string {
  return curlSnippet(options.ingressUrl, options.body, AUTHORIZATION.argvSafe);
}
