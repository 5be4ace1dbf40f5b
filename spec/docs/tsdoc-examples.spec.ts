// Every `@example` of a doc comment in lib/, type-checked against the package, as
// spec/docs/examples.spec.ts does for the guides' code blocks: an example that does not compile,
// or no longer matches the API, fails here with the line it is on.
//
// Each example becomes a module of its own, compiled together in one TypeScript program. In scope:
// what it imports itself; every name the public entries export (`rx-token-http`, `/testing`,
// `/angular`, `/tabs`, `/redis`, resolved to lib/); the names its own file exports (an example on
// an internal symbol); and the free names it assumes (`session`, `api`, `router`, ...), declared in
// spec/docs/tsdoc-stand-ins/ (common.ts, plus angular.ts, testing.ts or redis.ts for the examples
// of that folder). A name the example declares itself is left out of all of these.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRIES: Record<string, string> = {
  'rx-token-http': 'lib/index.ts',
  'rx-token-http/testing': 'lib/testing/index.ts',
  'rx-token-http/angular': 'lib/angular/index.ts',
  'rx-token-http/tabs': 'lib/tabs/index.ts',
  'rx-token-http/redis': 'lib/redis/index.ts',
  'rx-token-http/dpop': 'lib/dpop/index.ts',
};
const STAND_INS = 'spec/docs/tsdoc-stand-ins';
/** The stand-ins of a folder of lib/, besides common.ts. */
const FOLDER_STAND_INS: Record<string, string> = { angular: 'angular.ts', testing: 'testing.ts', redis: 'redis.ts' };
/** The TSDoc tags that end an example; any other `@` (a decorator) belongs to the code. */
const TAGS = /^@(example|default|defaultValue|param|typeParam|returns|throws|see|remarks|deprecated|internal|since)\b/;
const VIRTUAL = join(ROOT, 'spec/docs/.tsdoc-examples/');

const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

function libFiles(dir = 'lib'): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return libFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

interface Example {
  /** `lib/x.ts:LINE`, the line of the `@example` tag. */
  readonly where: string;
  readonly file: string;
  /** The symbol the doc comment belongs to, for the test's name. */
  readonly symbol: string;
  /** The code, and the source line of its first line (1-based). */
  readonly code: string;
  readonly firstLine: number;
}

/** The `@example` blocks of every doc comment of `file`, with the lines they are on. */
function examplesOf(file: string): Example[] {
  const source = read(file);
  const examples: Example[] = [];
  for (const match of source.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
    if (!match[0].includes('@example')) continue;
    const startLine = source.slice(0, match.index).split('\n').length;
    const symbol = /^\s*(?:export\s+)?(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(?:function\*?\s+|const\s+|let\s+|class\s+|interface\s+|type\s+)?(?:readonly\s+)?([\w$]+)/.exec(source.slice(match.index + match[0].length))?.[1] ?? '?';
    const lines = match[0]
      .replace(/^\/\*\*/, '')
      .replace(/\*\/$/, '')
      .split('\n')
      .map((line) => line.replace(/^\s*\* ?/, ''));
    let current: string[] | undefined;
    let first = 0;
    const close = (): void => {
      if (!current) return;
      while (current.length > 0 && current.at(-1)!.trim() === '') current.pop();
      examples.push({ where: `${file}:${first - 1}`, file, symbol, code: current.join('\n'), firstLine: first });
      current = undefined;
    };
    lines.forEach((line, i) => {
      const tag = TAGS.exec(line.trim());
      if (!tag) {
        current?.push(line);
        return;
      }
      close();
      if (tag[1] !== 'example') return;
      current = [];
      first = startLine + i + 1;
      const rest = line.trim().slice('@example'.length).trim();
      // Text on the tag's own line is a title (TSDoc), not code.
      if (rest !== '') current.push(`// ${rest}`), (first -= 1);
    });
    close();
  }
  return examples;
}

/** The names a module declares or imports at its top level (no type check needed). */
function declaredNames(code: string): Set<string> {
  const names = new Set<string>();
  const bind = (name: ts.BindingName): void => {
    if (ts.isIdentifier(name)) names.add(name.text);
    else for (const element of name.elements) if (!ts.isOmittedExpression(element)) bind(element.name);
  };
  for (const statement of ts.createSourceFile('x.ts', code, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS).statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      if (clause?.name) names.add(clause.name.text);
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) names.add(bindings.name.text);
      if (bindings && ts.isNamedImports(bindings)) for (const element of bindings.elements) names.add(element.name.text);
    } else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) bind(declaration.name);
    } else if (
      (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement) || ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement) || ts.isEnumDeclaration(statement)) &&
      statement.name
    ) {
      names.add(statement.name.text);
    }
  }
  return names;
}

/** The names a module exports (declarations and `export { }` lists), read from its syntax. */
function exportedNames(path: string): string[] {
  const names: string[] = [];
  const isExported = (node: ts.Node): boolean => ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  for (const statement of ts.createSourceFile(path, read(path), ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS).statements) {
    if (ts.isExportDeclaration(statement) && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
      for (const element of statement.exportClause.elements) names.push(element.name.text);
    } else if (isExported(statement) && ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) if (ts.isIdentifier(declaration.name)) names.push(declaration.name.text);
    } else if (
      isExported(statement) &&
      (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement) || ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement) || ts.isEnumDeclaration(statement)) &&
      statement.name
    ) {
      names.push(statement.name.text);
    }
  }
  return [...new Set(names)];
}

/** The module an example is compiled as: the example first (so its lines keep their numbers), then the imports of the names it does not declare. */
function moduleFor(example: Example): string {
  const own = declaredNames(example.code);
  const given = new Set<string>();
  const imports: string[] = [];
  const give = (from: string, names: readonly string[]): void => {
    const fresh = names.filter((name) => !own.has(name) && !given.has(name));
    for (const name of fresh) given.add(name);
    if (fresh.length > 0) imports.push(`import { ${fresh.join(', ')} } from '${from}';`);
  };
  for (const [entry, path] of Object.entries(ENTRIES)) give(entry, exportedNames(path));
  const folderFile = FOLDER_STAND_INS[example.file.split('/')[1] ?? ''];
  if (folderFile) give(`../tsdoc-stand-ins/${folderFile.replace(/\.ts$/, '.js')}`, exportedNames(`${STAND_INS}/${folderFile}`));
  give('../tsdoc-stand-ins/common.js', exportedNames(`${STAND_INS}/common.ts`));
  if (!Object.values(ENTRIES).includes(example.file)) give(`../../../${example.file.replace(/\.ts$/, '.js')}`, exportedNames(example.file));
  return `${example.code}\n;\n${imports.join('\n')}\nexport {};\n`;
}

const examples = libFiles().flatMap(examplesOf);
const virtualPath = (index: number): string => `${VIRTUAL}example-${index}.ts`;

/** One program for every example: compiled once, its diagnostics read per example. */
function compile(): { diagnosticsOf: (index: number) => string[]; standInDiagnostics: () => string[] } {
  const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  const paths = Object.fromEntries(Object.entries(ENTRIES).map(([entry, path]) => [entry, [join(ROOT, path)]]));
  const options: ts.CompilerOptions = { ...config!.options, noEmit: true, noUnusedLocals: false, noUnusedParameters: false, verbatimModuleSyntax: false, isolatedModules: false, paths };
  const sources = new Map(examples.map((example, index) => [virtualPath(index), moduleFor(example)]));
  const host = ts.createCompilerHost(options, true);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (name) => sources.has(name) || fileExists.call(host, name);
  host.readFile = (name) => sources.get(name) ?? readFile.call(host, name);
  host.getSourceFile = (name, language, ...rest) => {
    const text = sources.get(name);
    return text === undefined ? getSourceFile.call(host, name, language, ...rest) : ts.createSourceFile(name, text, language, true);
  };
  const standIns = ['common.ts', ...Object.values(FOLDER_STAND_INS)].map((file) => join(ROOT, STAND_INS, file));
  const program = ts.createProgram({ rootNames: [...sources.keys(), ...standIns], options, host });
  const format = (diagnostic: ts.Diagnostic, lineOffset: number): string => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    if (!diagnostic.file || diagnostic.start === undefined) return message;
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    return `line ${line + lineOffset}: ${message}`;
  };
  const diagnosticsOf = (file: string, lineOffset: number): string[] => {
    const sourceFile = program.getSourceFile(file)!;
    return [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)].map((d) => format(d, lineOffset));
  };
  return {
    diagnosticsOf: (index) => diagnosticsOf(virtualPath(index), examples[index]!.firstLine),
    standInDiagnostics: () => standIns.flatMap((file) => diagnosticsOf(file, 1).map((d) => `${relative(ROOT, file)} ${d}`)),
  };
}

describe('the @example blocks of lib/', () => {
  let compiled: ReturnType<typeof compile> | undefined;
  const program = (): ReturnType<typeof compile> => (compiled ??= compile());

  it('are found, on the symbols of every public entry', () => {
    expect(examples.length).toBeGreaterThan(20);
    const folders = new Set(examples.map((example) => example.file.split('/')[1]));
    for (const folder of ['angular', 'testing', 'tabs', 'redis', 'session']) expect(folders, `an example in lib/${folder}/`).toContain(folder);
  });

  it('assume only stand-ins that compile', { timeout: 60_000 }, () => {
    expect(program().standInDiagnostics()).toEqual([]);
  });

  examples.forEach((example, index) => {
    it(`${example.where} (${example.symbol}) compiles against the package`, { timeout: 60_000 }, () => {
      expect(program().diagnosticsOf(index), `${example.where}:\n${example.code}`).toEqual([]);
    });
  });
});
