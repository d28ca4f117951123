import { randomBytes } from "node:crypto";
import { newToken } from "../../src/sandbox/secrets.js";

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0234567";

function pick(alphabet: string, length: number): string {
  return [...randomBytes(length)].map((byte) => alphabet[byte % alphabet.length]).join("");
}

const b64url = (bytes: number) => randomBytes(bytes).toString("base64url");
const jwtPart = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");

/**
 * A fresh example of each secret shape, made at run time so no file in the repository holds
 * anything a secret scanner would flag. Keyed by the shape's name in SECRET_SHAPES.
 */
export const SECRET_SAMPLES: Readonly<Record<string, () => string>> = {
  "AgentRuntime PAT": () => newToken("pat_"),
  "AgentRuntime signing secret": () => newToken("whsec_"),
  "AgentRuntime caller token": () => newToken("usr_"),
  "Bearer token": () => `Bearer ${b64url(24)}`,
  "Authorization header": () => `Authorization: Basic ${b64url(18)}`,
  "OpenAI API key": () => `sk-${"proj"}-${b64url(60)}`,
  "GitHub token": () => `${"gh"}p_${pick(ALNUM, 36)}`,
  "GitHub fine-grained token": () => `${"github"}_pat_${pick(ALNUM, 22)}_${pick(ALNUM, 59)}`,
  "Slack token": () =>
    `${"xo"}xb-${pick("0123456789", 12)}-${pick("0123456789", 12)}-${pick(ALNUM, 24)}`,
  "AWS access key id": () => `${"AK"}IA${pick(UPPER, 16)}`,
  "JSON Web Token": () =>
    `${jwtPart({ alg: "HS256", typ: "JWT" })}.${jwtPart({ sub: "1234567890", iat: 1 })}.${b64url(32)}`,
  "PEM private key": () =>
    `-----BEGIN ${"RSA PRIVATE"} KEY-----\n${b64url(48)}\n${b64url(48)}\n-----END ${"RSA PRIVATE"} KEY-----`,
};

/** One sample of every shape, with its long runs: none of them may be seen again once redacted. */
export function everySample(): { shape: string; text: string; pieces: string[] }[] {
  return Object.entries(SECRET_SAMPLES).map(([shape, make]) => {
    const text = make();
    return { shape, text, pieces: text.match(/[A-Za-z0-9_+/=.-]{16,}/g) ?? [] };
  });
}
