import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/*
 * One idea per file (issue 22; issue 7 set the first caps). A file of lib/ holds one idea, and
 * one idea fits in about 200 code lines: over that, the spec fails. A function over 40 code lines
 * is a warning printed with the run, not a failure: a long function is worth a second look, but
 * splitting it only to pass a cap (4-line files, classes written around the rule) costs a reader
 * more than it saves. Merge files that exist only to satisfy the old caps.
 *
 * A code line is a non-blank line that is not only a comment (its trimmed text does not start
 * with `//`, `/*` or `*`). A function counts every code line of its body, nested functions
 * included: a factory that returns an object of methods is as long as what a reader has to hold
 * at once.
 */
const MAX_FILE_LINES = 200;
const LONG_FUNCTION_LINES = 40;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

function codeLines(text: string): number {
  return text.split('\n').filter((line) => {
    const trimmed = line.trim();
    return trimmed !== '' && !trimmed.startsWith('//') && !trimmed.startsWith('/*') && !trimmed.startsWith('*');
  }).length;
}

interface Measured {
  /** `lib/x/y.ts:12 name (N lines)`, what a reader acts on. */
  readonly report: string;
  readonly lines: number;
}

function measure(path: string, line: number, name: string, lines: number): Measured {
  return { report: `${path}:${line} ${name} (${lines} lines)`, lines };
}

// The name a reader searches for: the function's own, or the variable or property it is assigned to.
function nameOf(node: ts.FunctionLikeDeclaration): string {
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const { parent } = node;
  const named = node.name ?? (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent) ? parent.name : undefined);
  return named && !ts.isComputedPropertyName(named) ? named.getText() : '(anonymous)';
}

// The body's code lines; a block's braces are not part of it, so `{ return x; }` is one line.
function bodyText(body: ts.ConciseBody): string {
  const text = body.getText();
  return ts.isBlock(body) ? text.slice(1, -1) : text;
}

// Function declarations and expressions, arrow functions, methods, accessors and constructors.
function hasBody(node: ts.Node): node is ts.FunctionLikeDeclaration & { readonly body: ts.ConciseBody } {
  return ts.isFunctionLike(node) && 'body' in node && node.body !== undefined;
}

function functionsOf(file: string): Measured[] {
  const path = relative(ROOT, file);
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: Measured[] = [];
  const visit = (node: ts.Node): void => {
    if (hasBody(node)) {
      const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
      found.push(measure(path, line, nameOf(node), codeLines(bodyText(node.body))));
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const files = filesUnder(join(ROOT, 'lib'));
const longFunctions = files.flatMap(functionsOf).filter((fn) => fn.lines > LONG_FUNCTION_LINES);

describe('the size of lib/: one idea per file', () => {
  it(`keeps every file at or under ${MAX_FILE_LINES} code lines`, () => {
    const long = files.flatMap((file) => {
      const lines = codeLines(readFileSync(file, 'utf8'));
      return lines > MAX_FILE_LINES ? [`${relative(ROOT, file)} (${lines} lines)`] : [];
    });
    expect(long, 'one idea per file: split these where they hold two').toEqual([]);
  });

  it(`warns about functions over ${LONG_FUNCTION_LINES} code lines, nested functions included (a warning, not a failure)`, () => {
    if (longFunctions.length > 0) {
      console.warn(`Functions over ${LONG_FUNCTION_LINES} code lines (worth a second look, not a failure):\n${longFunctions.map((fn) => `  ${fn.report}`).join('\n')}`);
    }
    // What the warning rests on: every function was measured, and none is longer than a file may be.
    expect(longFunctions.filter((fn) => fn.lines > MAX_FILE_LINES).map((fn) => fn.report)).toEqual([]);
  });
});
