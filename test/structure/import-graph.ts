import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

/** Every module a file imports, by path relative to the root: static, type-only and `import()`. */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

function sourceFiles(root: string, folder: string): string[] {
  return readdirSync(join(root, folder), { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"))
    .map((file) => join(folder, file).split("\\").join("/"));
}

function specifiersOf(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      found.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      found.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The import graph of the TypeScript files under `folders`, keeping only edges between them. */
export function importGraph(root: string, folders: readonly string[]): ImportGraph {
  const files = new Set(folders.flatMap((folder) => sourceFiles(root, folder)));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const targets = specifiersOf(file, readFileSync(join(root, file), "utf8"))
      .filter((specifier) => specifier.startsWith("."))
      .map((specifier) =>
        relative(root, resolve(root, dirname(file), specifier.replace(/\.js$/, ".ts")))
          .split("\\")
          .join("/"),
      )
      .filter((target) => files.has(target));
    graph.set(file, [...new Set(targets)].sort());
  }
  return graph;
}

/**
 * The room a file lives in: its top-level folder under `src/` (or `tools/` as one room), or the
 * file itself when it sits at the top of `src/`.
 */
export function roomOf(file: string): string {
  const parts = file.split("/");
  if (parts[0] === "src" && parts.length > 2) return `src/${parts[1]}`;
  if (parts[0] === "tools") return "tools";
  return file;
}

/** The graph between rooms: an arrow wherever a file of one room imports a file of another. */
export function roomGraph(files: ImportGraph): ImportGraph {
  const rooms = new Map<string, Set<string>>();
  for (const [file, targets] of files) {
    const from = roomOf(file);
    const arrows = rooms.get(from) ?? new Set<string>();
    for (const target of targets) if (roomOf(target) !== from) arrows.add(roomOf(target));
    rooms.set(from, arrows);
  }
  return new Map([...rooms].map(([room, arrows]) => [room, [...arrows].sort()]));
}

/**
 * The import cycles of a graph, one per strongly connected component (Tarjan), each named by
 * a path that walks it: `a.ts → b.ts → a.ts`.
 */
export function importCycles(graph: ImportGraph): string[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const connect = (file: string): void => {
    index.set(file, index.size);
    low.set(file, index.get(file) ?? 0);
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!index.has(target)) {
        connect(target);
        low.set(file, Math.min(low.get(file) ?? 0, low.get(target) ?? 0));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file) ?? 0, index.get(target) ?? 0));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    for (;;) {
      const member = stack.pop() ?? file;
      onStack.delete(member);
      component.push(member);
      if (member === file) break;
    }
    if (component.length > 1 || graph.get(file)?.includes(file)) components.push(component);
  };
  for (const file of [...graph.keys()].sort()) if (!index.has(file)) connect(file);
  return components.map((component) => walkCycle(graph, new Set(component))).sort();
}

/** One closed walk through a component, starting from its first file in sort order. */
function walkCycle(graph: ImportGraph, members: ReadonlySet<string>): string {
  const start = [...members].sort()[0] ?? "";
  const path = [start];
  const seen = new Set(path);
  const extend = (file: string): boolean => {
    for (const target of graph.get(file) ?? []) {
      if (!members.has(target)) continue;
      if (target === start) return true;
      if (seen.has(target)) continue;
      seen.add(target);
      path.push(target);
      if (extend(target)) return true;
      path.pop();
    }
    return false;
  };
  extend(start);
  return [...path, start].join(" → ");
}
