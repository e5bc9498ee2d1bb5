/**
 * YAML files read the way users need errors reported: every problem names the file, the line
 * and the key. Wraps the `yaml` package's document model with a line counter.
 */
import { nearest } from '../util/nearest.ts';
import fs from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';

/** Aliases may repeat a node this many times in all: enough for any real spec, too few for a billion laughs. */
const MAX_ALIAS_COUNT = 100;

/** A spec travels to the server as one JSON body (16 MB at most); no real spec comes near this. */
const MAX_YAML_BYTES = 8_000_000;
import { invalid } from '../util/errors.ts';

export class YamlSource {
  readonly data: Record<string, unknown>;
  private doc: Document;
  private lines: LineCounter;

  constructor(readonly file: string, text: string) {
    this.lines = new LineCounter();
    // The yaml package's own duplicate-key check is quadratic in a mapping's size; ours is linear.
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: false });
    if (this.doc.errors.length) {
      const e = this.doc.errors[0];
      const pos = this.lines.linePos(e.pos[0]);
      throw invalid(`${file}:${pos.line}: invalid YAML: ${e.message.split('\n')[0]}`);
    }
    this.rejectDuplicateKeys();
    let data: unknown;
    try {
      data = this.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      // The yaml package throws a ReferenceError when aliases expand past the bound.
      throw invalid(`${file}: invalid YAML: ${(err as Error).message.split('\n')[0]} (at most ${MAX_ALIAS_COUNT} alias uses).`);
    }
    if (!data || typeof data !== 'object' || Array.isArray(data)) {
      throw invalid(`${file}:1: expected a mapping of keys such as 'command:' and 'environment:' at the top level.`);
    }
    this.data = data as Record<string, unknown>;
  }

  /** Every mapping's keys are distinct, as YAML requires: one pass over the document. */
  private rejectDuplicateKeys(): void {
    const stack: unknown[] = [this.doc.contents];
    while (stack.length) {
      const node = stack.pop();
      if (isMap(node)) {
        const seen = new Set<string>();
        for (const pair of node.items) {
          const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
          if (key !== undefined) {
            if (seen.has(key)) {
              const at = (pair.key as Node).range?.[0] ?? 0;
              throw invalid(`${this.file}:${this.lines.linePos(at).line}: invalid YAML: the key '${key}' appears twice in the same mapping.`);
            }
            seen.add(key);
          }
          stack.push(pair.value);
        }
      } else if (isSeq(node)) {
        for (const item of node.items) stack.push(item);
      }
    }
  }

  static read(file: string): YamlSource {
    let text: string;
    let size: number;
    try {
      size = fs.statSync(file).size;
      text = size > MAX_YAML_BYTES ? '' : fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw invalid(`Cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}.`);
    }
    if (size > MAX_YAML_BYTES) throw invalid(`${file}: ${(size / 1e6).toFixed(1)} MB is too large for a spec (at most ${MAX_YAML_BYTES / 1e6} MB); keep data in data assets, not in the YAML.`);
    return new YamlSource(file, text);
  }

  /** The line of a key path such as ['inputs', 'iris', 'path'] (the nearest existing parent's line otherwise). */
  lineOf(path: (string | number)[]): number {
    return this.positionOf(path).line;
  }

  /**
   * Azure's schema rule for the keys of the mapping at `where`: a key the spec does not know is an
   * error at its file:line:column, with the nearest known key when it looks like a misspelling
   * (`early_terminaton` → "did you mean 'early_termination'?"); a key Azure ML accepts but that
   * changes nothing here (`notApplied`) is a warning that says why. Returns the warnings.
   */
  checkKeys(where: (string | number)[], value: unknown, known: Iterable<string>, notApplied: Record<string, string> = {}): string[] {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return [];
    const knownKeys = [...known];
    const out: string[] = [];
    for (const key of Object.keys(value)) {
      const name = [...where, key].join('.');
      if (key in notApplied) out.push(`${this.file}:${this.lineOf([...where, key])}: '${name}' is accepted but not applied: ${notApplied[key]}.`);
      else if (!knownKeys.includes(key)) {
        const near = nearest(key, [...knownKeys, ...Object.keys(notApplied)]);
        const pos = this.positionOf([...where, key]);
        throw invalid(`${this.file}:${pos.line}:${pos.col}: unknown key '${name}'${near ? ` (did you mean '${near}'?)` : ''}. ` +
          `Known keys here: ${knownKeys.filter((k) => !k.startsWith('$')).join(', ')}.`);
      }
    }
    return out;
  }

  /** Line and column of a key path (the nearest existing parent's when the key is not in the file, e.g. from --set). */
  positionOf(path: (string | number)[]): { line: number; col: number } {
    for (let n = path.length; n > 0; n--) {
      const parent = n > 1 ? this.doc.getIn(path.slice(0, n - 1), true) : this.doc.contents;
      if (isMap(parent)) {
        const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(path[n - 1]));
        const range = (pair?.key as Node | undefined)?.range;
        if (range) return this.lines.linePos(range[0]);
      }
    }
    return { line: 1, col: 1 };
  }

  /** An error pointing at `file:line` and the key. */
  error(path: (string | number)[], message: string) {
    return invalid(`${this.file}:${this.lineOf(path)}: '${path.join('.')}': ${message}`);
  }
}
