import type { SignatureDiagnosis } from "../contract/schemas.js";
import { parseSignatureHeader, verifySignature } from "./signature.js";

export interface Diagnosis {
  category: SignatureDiagnosis;
  explanation: string;
  fix: string;
}

const RECIPE =
  "sign the exact bytes you send: HMAC-SHA256 of the raw body, keyed with the signing secret, written as sha256=<64 lowercase hex characters>";

/** Non-ASCII characters written as \uXXXX, as Python's json.dumps does by default. */
function asciiEscaped(text: string): string {
  return text.replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** The ways of changing a signed body that the doctor recognises. */
type VariantCategory = "trailing_newline" | "reserialized_json" | "encoding";

/** What the doctor says when the signed body is a variant of the body sent. */
const VARIANT_DIAGNOSES: Record<VariantCategory, Diagnosis> = {
  trailing_newline: {
    category: "trailing_newline",
    explanation:
      "The body that was signed differs from the body that was sent only by a trailing newline.",
    fix: "Sign and send the same bytes: drop the newline from one side (for example printf '%s' instead of echo).",
  },
  reserialized_json: {
    category: "reserialized_json",
    explanation:
      "The signed body is the same JSON written with other spacing or indentation than the body sent.",
    fix: "Serialize the body once, sign those bytes, and send exactly those bytes (do not let the HTTP library re-serialize it).",
  },
  encoding: {
    category: "encoding",
    explanation:
      "The signed body is the same text in another encoding (Latin-1, or non-ASCII characters escaped as \\uXXXX).",
    fix: "Encode the body as UTF-8 once, sign those bytes, and send them as they are.",
  },
};

/** Ways a sender commonly turns the body it signed into a different body it sends. */
function variants(body: string): { category: VariantCategory; bytes: Buffer }[] {
  const found: { category: VariantCategory; bytes: Buffer }[] = [];
  const add = (category: VariantCategory, text: string) => {
    if (text !== body) found.push({ category, bytes: Buffer.from(text, "utf8") });
  };
  add("trailing_newline", `${body}\n`);
  add("trailing_newline", `${body}\r\n`);
  add("trailing_newline", body.replace(/\r?\n$/, ""));
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  if (parsed !== undefined) {
    const compact = JSON.stringify(parsed);
    const pythonDefault = JSON.stringify(parsed, null, 1)
      .replace(/\n\s*/g, " ")
      .replace(/\[ /g, "[")
      .replace(/ \]/g, "]")
      .replace(/\{ /g, "{")
      .replace(/ \}/g, "}");
    for (const text of [
      compact,
      pythonDefault,
      JSON.stringify(parsed, null, 2),
      JSON.stringify(parsed, null, 4),
    ]) {
      add("reserialized_json", text);
      add("encoding", asciiEscaped(text));
    }
  }
  found.push({ category: "encoding", bytes: Buffer.from(body, "latin1") });
  add("encoding", asciiEscaped(body));
  return found;
}

/**
 * Why a signature does not verify, by category, from the body and header a sender used and
 * the subscription's secrets. It never returns or hints at the expected signature.
 */
export function diagnoseSignature(
  body: string,
  header: string,
  secrets: { current: string; previous?: string | undefined; retired: readonly string[] },
): Diagnosis {
  const unreadable = headerDiagnosis(header);
  if (unreadable) return unreadable;
  const check = (bytes: Buffer, secret: string) => verifySignature(bytes, header.trim(), secret).ok;
  const raw = Buffer.from(body, "utf8");
  if (check(raw, secrets.current)) {
    return {
      category: "valid",
      explanation: "The signature matches this body with the current secret.",
      fix: "Nothing to fix in the signature; check the bearer PAT and the Content-Type if requests still fail.",
    };
  }
  if (secrets.previous && check(raw, secrets.previous)) {
    return {
      category: "valid_previous_secret",
      explanation:
        "The signature matches with the secret from before the last rotation, which still verifies until its overlap ends.",
      fix: "Switch the sender to the new signing secret before the overlap ends.",
    };
  }
  for (const secret of [secrets.current, ...(secrets.previous ? [secrets.previous] : [])]) {
    for (const variant of variants(body)) {
      if (check(variant.bytes, secret)) return { ...VARIANT_DIAGNOSES[variant.category] };
    }
  }
  for (const secret of secrets.retired) {
    if (check(raw, secret)) {
      return {
        category: "rotated_out_secret",
        explanation:
          "The signature was made with a signing secret this webhook no longer accepts (it was rotated out).",
        fix: "Update the sender to the current signing secret.",
      };
    }
  }
  return {
    category: "other_secret_or_body",
    explanation:
      "The signature matches neither this body with any of the webhook's secrets nor a common variant of it.",
    fix: `Check that the sender uses this webhook's signing secret (its last four characters are in signing_secret_hint) and ${RECIPE}.`,
  };
}

/** The diagnosis of a header that is missing or not a signature at all; undefined for one that is. */
function headerDiagnosis(header: string): Diagnosis | undefined {
  if (header.trim() === "") {
    return {
      category: "missing",
      explanation: "The request had no X-Agentruntime-Signature header.",
      fix: `Send X-Agentruntime-Signature on every request: ${RECIPE}.`,
    };
  }
  const parsed = parseSignatureHeader(header.trim());
  if (!parsed.ok) {
    const lowered = header
      .trim()
      .replace(/^SHA256=/i, "sha256=")
      .toLowerCase();
    if (parseSignatureHeader(lowered).ok) {
      return {
        category: "wrong_prefix_or_case",
        explanation:
          "The header has the right length but a wrong prefix or letter case (it must be lowercase sha256= and lowercase hex).",
        fix: "Write it as sha256= followed by the lowercase hex digest.",
      };
    }
    return {
      category: "malformed",
      explanation:
        "The header is not sha256= followed by 64 hexadecimal characters (a base64 digest, a cut value, or a second value in the same header?).",
      fix: `Send exactly one value: ${RECIPE}.`,
    };
  }
  return undefined;
}
