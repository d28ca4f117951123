import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

/** The least a page key may hold: 32 characters (e.g. `openssl rand -base64 32`). */
export const MIN_PAGE_KEY_LENGTH = 32;

/** Seals and opens what one-time pages hold, so the shared database never has it in plain text. */
export interface Sealer {
  /** AES-256-GCM with `bound` (e.g. the page id) as associated data; a row moved to another id fails to open. */
  seal(plain: string, bound: string): string;
  /** The plain text, or undefined when the key or the bound id is not the one it was sealed with. */
  open(sealed: string, bound: string): string | undefined;
}

/**
 * A sealer keyed by `AGENTRUNTIME_PAGE_KEY`, which every replica is given. The key is stretched
 * with HKDF, so any long random string works.
 */
export function createSealer(pageKey: string): Sealer {
  if (pageKey.length < MIN_PAGE_KEY_LENGTH) {
    throw new Error(
      `AGENTRUNTIME_PAGE_KEY must be at least ${MIN_PAGE_KEY_LENGTH} characters of random text (openssl rand -base64 32)`,
    );
  }
  const key = Buffer.from(
    hkdfSync("sha256", pageKey, "agentruntime-webhooks", "one-time pages v1", 32),
  );
  return {
    seal(plain, bound) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      cipher.setAAD(Buffer.from(bound));
      const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      return `v1.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url")}`;
    },
    open(sealed, bound) {
      if (!sealed.startsWith("v1.")) return undefined;
      const raw = Buffer.from(sealed.slice(3), "base64url");
      if (raw.length < 28) return undefined;
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
        decipher.setAAD(Buffer.from(bound));
        decipher.setAuthTag(raw.subarray(12, 28));
        return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString(
          "utf8",
        );
      } catch {
        return undefined;
      }
    },
  };
}
