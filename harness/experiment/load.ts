/**
 * Loading experiment files: YAML -> validated, resolved `Experiment`, or an
 * `ExperimentError` listing every problem as `<file>:<line>:<column>: <key>: <message>`.
 *
 * Where an issue points:
 * - unknown or malformed key: at the key itself;
 * - bad value: at the value (at the key when the value is empty);
 * - missing required key: at the mapping that lacks it (at its key, when it has one);
 * - a value that came from a default (so is not in the file): at the nearest enclosing node;
 * - YAML syntax errors and duplicate keys: where the YAML parser found them.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isAlias, isMap, isNode, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { formatPath, validateExperiment, type Experiment, type IssuePath, type SchemaIssue } from './schema.ts';

export interface ExperimentIssue {
  /** the file as given to the loader */
  file: string;
  /** 1-based; 0 when the issue concerns the whole file (e.g. it cannot be read) */
  line: number;
  /** 1-based; 0 when line is 0 */
  column: number;
  /** dotted path such as `profiles[1].producer.acks`; empty for file- or syntax-level issues */
  key: string;
  message: string;
}

/** `<file>:<line>:<column>: <key>: <message>` (parts that do not apply are left out). */
export function formatIssue(issue: ExperimentIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.column}` : issue.file;
  return issue.key === '' ? `${where}: ${issue.message}` : `${where}: ${issue.key}: ${issue.message}`;
}

export class ExperimentError extends Error {
  override readonly name = 'ExperimentError';
  readonly issues: ExperimentIssue[];

  constructor(issues: ExperimentIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.issues = issues;
  }
}

/** Reads, parses and validates an experiment file. Throws `ExperimentError`. */
export function loadExperiment(file: string): Experiment {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const message =
      err.code === 'ENOENT'
        ? `experiment file not found (looked for ${resolve(file)})`
        : err.code === 'EISDIR'
          ? `is a directory, not an experiment file`
          : `cannot read experiment file: ${err.message}`;
    throw new ExperimentError([{ file, line: 0, column: 0, key: '', message }]);
  }
  return parseExperiment(text, file);
}

/** Parses and validates experiment YAML; `file` names it in issues (and is resolved for `Experiment.file`). */
export function parseExperiment(text: string, file: string): Experiment {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const position = (offset: number): { line: number; column: number } => {
    const { line, col } = lineCounter.linePos(Math.max(0, Math.min(offset, text.length)));
    return { line, column: col };
  };

  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e): ExperimentIssue => {
      const offset = e.pos[0];
      if (e.code === 'DUPLICATE_KEY') {
        return { file, ...position(offset), key: formatPath(keyPathAt(doc, offset) ?? []), message: 'duplicate key' };
      }
      return { file, ...position(offset), key: '', message: `YAML syntax error: ${e.message}` };
    });
    throw new ExperimentError(sortIssues(issues));
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new ExperimentError([{ file, line: 1, column: 1, key: '', message: `cannot read the YAML: ${(e as Error).message}` }]);
  }

  const result = validateExperiment(data);
  if (!result.ok) {
    const issues = result.issues.map((issue): ExperimentIssue => ({
      file,
      ...position(locate(doc, issue)),
      key: formatPath(issue.path),
      message: issue.message,
    }));
    throw new ExperimentError(sortIssues(issues));
  }
  return { file: resolve(file), source: text, ...result.experiment };
}

function sortIssues(issues: ExperimentIssue[]): ExperimentIssue[] {
  return issues
    .map((issue, i) => ({ issue, i }))
    .sort((a, b) => a.issue.line - b.issue.line || a.issue.column - b.issue.column || a.i - b.i)
    .map(({ issue }) => issue);
}

// ---------------------------------------------------------------------------------------
// From a data path to a place in the YAML
// ---------------------------------------------------------------------------------------

interface Walked {
  /** how many path segments were found */
  depth: number;
  /** the node at that depth (null: an empty value) */
  node: unknown;
  /** the key node of the pair holding `node`, when it is a mapping value */
  keyNode: unknown;
}

function deref(doc: Document, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

function walk(doc: Document, path: IssuePath): Walked {
  let node: unknown = doc.contents;
  let keyNode: unknown = undefined;
  let depth = 0;
  for (const seg of path) {
    const container = deref(doc, node);
    if (isMap(container)) {
      const pair = container.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      keyNode = pair.key;
      node = pair.value;
    } else if (isSeq(container) && typeof seg === 'number' && seg < container.items.length) {
      keyNode = undefined;
      node = container.items[seg];
    } else {
      break;
    }
    depth++;
  }
  return { depth, node, keyNode };
}

function start(node: unknown): number | undefined {
  return isNode(node) && node.range ? node.range[0] : undefined;
}

/** An empty value (`key:` with nothing after it) has no useful position of its own. */
function isEmptyValue(node: unknown): boolean {
  return node === null || node === undefined || (isScalar(node) && node.value === null && (!node.range || node.range[0] === node.range[1]));
}

/** Where a mapping is: at its key when it is a value in a mapping, else at its first character. */
function mappingPosition(w: Walked): number {
  return start(w.keyNode) ?? start(w.node) ?? 0;
}

function locate(doc: Document, issue: SchemaIssue): number {
  const full = walk(doc, issue.path);
  const found = full.depth === issue.path.length;
  if (found && issue.at === 'key') return start(full.keyNode) ?? start(full.node) ?? 0;
  if (found && issue.at === 'value') {
    if (isEmptyValue(full.node)) return start(full.keyNode) ?? 0;
    return start(full.node) ?? start(full.keyNode) ?? 0;
  }
  // a missing key (or a default-derived value): point at the deepest mapping that exists
  const parentPath = found ? issue.path.slice(0, -1) : issue.path.slice(0, full.depth);
  return mappingPosition(found ? walk(doc, parentPath) : full);
}

/** The data path of the mapping key whose text contains `offset` (for duplicate keys). */
function keyPathAt(doc: Document, offset: number): IssuePath | undefined {
  const visit = (node: unknown, path: IssuePath): IssuePath | undefined => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = pair.key;
        const keyName = isScalar(key) ? String(key.value) : undefined;
        if (keyName !== undefined && isNode(key) && key.range && key.range[0] <= offset && offset < Math.max(key.range[1], key.range[0] + 1)) {
          return [...path, keyName];
        }
        const inner = visit(pair.value, keyName === undefined ? path : [...path, keyName]);
        if (inner) return inner;
      }
    } else if (isSeq(node)) {
      for (const [i, item] of node.items.entries()) {
        const inner = visit(item, [...path, i]);
        if (inner) return inner;
      }
    }
    return undefined;
  };
  return visit(doc.contents, []);
}
