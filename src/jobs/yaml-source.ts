/**
 * YAML files read the way users need errors reported: every problem names the file, the line
 * and the key. Wraps the `yaml` package's document model with a line counter.
 */
import fs from 'node:fs';
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { invalid } from '../util/errors.ts';

export class YamlSource {
  readonly data: Record<string, unknown>;
  private doc: Document;
  private lines: LineCounter;

  constructor(readonly file: string, text: string) {
    this.lines = new LineCounter();
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false });
    if (this.doc.errors.length) {
      const e = this.doc.errors[0];
      const pos = this.lines.linePos(e.pos[0]);
      throw invalid(`${file}:${pos.line}: invalid YAML: ${e.message.split('\n')[0]}`);
    }
    const data = this.doc.toJS();
    if (!data || typeof data !== 'object' || Array.isArray(data)) {
      throw invalid(`${file}:1: expected a mapping of keys such as 'command:' and 'environment:' at the top level.`);
    }
    this.data = data as Record<string, unknown>;
  }

  static read(file: string): YamlSource {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw invalid(`Cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}.`);
    }
    return new YamlSource(file, text);
  }

  /** The line of a key path such as ['inputs', 'iris', 'path'] (the nearest existing parent's line otherwise). */
  lineOf(path: (string | number)[]): number {
    for (let n = path.length; n > 0; n--) {
      const parent = n > 1 ? this.doc.getIn(path.slice(0, n - 1), true) : this.doc.contents;
      if (isMap(parent)) {
        const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(path[n - 1]));
        const range = (pair?.key as Node | undefined)?.range;
        if (range) return this.lines.linePos(range[0]).line;
      }
    }
    return 1;
  }

  /** An error pointing at `file:line` and the key. */
  error(path: (string | number)[], message: string) {
    return invalid(`${this.file}:${this.lineOf(path)}: '${path.join('.')}': ${message}`);
  }
}
