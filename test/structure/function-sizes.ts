import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";

/** A function, method or arrow function whose body spans `lines` lines. */
export interface FunctionSize {
  /** `path:line` of the body's first line, relative to the root. */
  at: string;
  name: string;
  lines: number;
}

function nameOf(node: ts.FunctionLikeDeclaration): string {
  if (node.name) return node.name.getText();
  const parent = node.parent;
  if (
    (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) &&
    ts.isIdentifier(parent.name)
  ) {
    return parent.name.text;
  }
  return "(anonymous)";
}

/** Every function body in the `.ts` files of these folders that is longer than `limit` lines. */
export function longFunctions(root: string, folders: string[], limit: number): FunctionSize[] {
  const found: FunctionSize[] = [];
  for (const folder of folders) {
    const files = readdirSync(join(root, folder), { recursive: true, encoding: "utf8" })
      .filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"))
      .map((file) => join(folder, file).split("\\").join("/"));
    for (const file of files) {
      const text = readFileSync(join(root, file), "utf8");
      const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
      const visit = (node: ts.Node): void => {
        if (ts.isFunctionLike(node) && "body" in node && node.body) {
          const body = node.body;
          const first = source.getLineAndCharacterOfPosition(body.getStart()).line;
          const last = source.getLineAndCharacterOfPosition(body.getEnd()).line;
          const lines = last - first + 1;
          if (lines > limit) {
            found.push({ at: `${file}:${first + 1}`, name: nameOf(node), lines });
          }
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
  }
  return found;
}
