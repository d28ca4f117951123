import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../src/package-root.js";

const root = packageRoot();

/** README.md and every Markdown file under docs/, as paths from the package root. */
function pages(): string[] {
  const found = ["README.md"];
  const walk = (folder: string) => {
    for (const name of readdirSync(join(root, folder))) {
      const path = join(folder, name);
      if (statSync(join(root, path)).isDirectory()) walk(path);
      else if (name.endsWith(".md")) found.push(path);
    }
  };
  walk("docs");
  return found;
}

/** The targets of Markdown links and images, `[text](target)`, outside code. */
function linkTargets(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");
  return [...prose.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map(
    (match) => match[1] ?? "",
  );
}

/** The anchors GitHub gives a page's headings: lowercased, punctuation dropped, spaces as hyphens. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const found = new Set<string>();
  const prose = markdown.replace(/```[\s\S]*?```/g, "");
  for (const match of prose.matchAll(/^#{1,6} (.+)$/gm)) {
    const slug = (match[1] ?? "")
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, "")
      .replaceAll(" ", "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    found.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return found;
}

/** Patterns that date a page: a time of day, an ISO date or timestamp, a dated run. */
const DATED = [
  { what: "a time of day", pattern: /(?<![\d.:])(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?(?![\d:])/ },
  { what: "an ISO date", pattern: /\b(?:19|20)\d\d-[01]\d-[0-3]\d\b/ },
  {
    what: "a written date",
    pattern:
      /\b\d{1,2} (?:January|February|March|April|May|June|July|August|September|October|November|December) \d{4}\b|\b(?:January|February|March|April|May|June|July|August|September|October|November|December) \d{1,2},? \d{4}\b/,
  },
  { what: "a dated run", pattern: /\b(?:ran|run|measured) (?:on|at) (?:19|20)\d\d\b/i },
];

describe("the docs", () => {
  it("find README.md and the audience pages", () => {
    const found = pages();
    for (const page of [
      "docs/mcp.md",
      "docs/hosted.md",
      "docs/autopilot.md",
      "docs/sandbox.md",
      "docs/support.md",
      "docs/architecture.md",
      "docs/benchmarks.md",
      "docs/hardening.md",
    ]) {
      expect(found).toContain(page);
    }
  });

  it.each(pages())("%s links only to files in the repository", (page) => {
    const text = readFileSync(join(root, page), "utf8");
    const broken = linkTargets(text)
      .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith("#"))
      .map((target) => decodeURIComponent(target.split("#")[0] ?? ""))
      .filter((target) => !existsSync(join(root, dirname(page), target)));
    expect(broken, `links in ${page} that resolve to no file`).toEqual([]);
  });

  it.each(pages())("%s links only to headings that exist", (page) => {
    const text = readFileSync(join(root, page), "utf8");
    const missing = linkTargets(text)
      .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target) && target.includes("#"))
      .filter((target) => {
        const [file, anchor] = target.split("#");
        const path = file ? join(root, dirname(page), file) : join(root, page);
        if (!path.endsWith(".md") || !existsSync(path)) return false;
        return !anchors(readFileSync(path, "utf8")).has(decodeURIComponent(anchor ?? ""));
      });
    expect(missing, `links in ${page} to headings that do not exist`).toEqual([]);
  });

  it.each(pages())("%s carries no time of day and no dated run", (page) => {
    const text = readFileSync(join(root, page), "utf8");
    const found = DATED.flatMap(({ what, pattern }) => {
      const match = pattern.exec(text);
      return match ? [`${what}: "${match[0]}"`] : [];
    });
    expect(found, page).toEqual([]);
  });

  it("keep every link inside the repository", () => {
    for (const page of pages()) {
      for (const target of linkTargets(readFileSync(join(root, page), "utf8"))) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("#")) continue;
        const resolved = relative(root, join(root, dirname(page), target.split("#")[0] ?? ""));
        expect(resolved.startsWith(".."), `${page} → ${target}`).toBe(false);
      }
    }
  });
});

describe("the README", () => {
  const readme = readFileSync(join(root, "README.md"), "utf8");

  it("is at most 15,000 bytes", () => {
    expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(15_000);
  });

  it("holds both set-up lines", () => {
    expect(readme).toContain("npm install && npm start");
    expect(readme).toMatch(/^npm test$/m);
  });

  it("lists every command of the CLI", () => {
    const main = readFileSync(join(root, "src", "cli", "main.ts"), "utf8");
    const table = /const COMMANDS[^{]*\{([\s\S]*?)\n\};/.exec(main)?.[1] ?? "";
    const commands = [...table.matchAll(/^\s+(\w+): async/gm)].map((match) => match[1]);
    expect(commands.length).toBeGreaterThan(5);
    for (const command of commands) {
      expect(readme, command).toMatch(new RegExp(`\\| \`(?:agentruntime-webhooks )?${command}\\b`));
    }
  });
});

describe("the dating rules", () => {
  const dated = (text: string) => DATED.some(({ pattern }) => pattern.test(text));

  it("catch times of day, dates and dated runs", () => {
    expect(dated("Run on the machine (20:42 UTC)")).toBe(true);
    expect(dated("at 9:05")).toBe(true);
    expect(dated("2026-11-29T20:12:00Z")).toBe(true);
    expect(dated("latest output (2026-11-29)")).toBe(true);
    expect(dated("on 29 November 2026")).toBe(true);
  });

  it("leave addresses, ratios and versions alone", () => {
    expect(dated("http://127.0.0.1:8787/v1/inbound-webhooks")).toBe(false);
    expect(dated("db.internal:5432, PostgreSQL 15, 1:1 replies")).toBe(false);
    expect(dated("Node.js 20.19 or newer; p99 12.77 ms")).toBe(false);
  });
});

describe("heading anchors", () => {
  it("are made as GitHub makes them", () => {
    const page =
      '# Title\n## The "Inbound webhook" card (MCP App)\n### `list_workflows`\n## Title\n';
    expect([...anchors(page)]).toEqual([
      "title",
      "the-inbound-webhook-card-mcp-app",
      "list_workflows",
      "title-1",
    ]);
  });
});
