import type { Diagnostic, Severity } from './model';
import { toPointer, type ConfigPath } from './config-path';
import type { Anchor, SourcePosition, SourcePositions } from './yaml-positions';

export interface FindingOptions {
  readonly hint?: string | null;
  /** Where in the source the finding points; defaults to the value. */
  readonly anchor?: Anchor;
}

/**
 * Collects findings for one config file, turning config paths into source positions, so checks
 * only have to say *what* is wrong and *which field*, never how to find it in the YAML.
 */
export class DiagnosticList {
  private readonly items: Diagnostic[] = [];
  private readonly seen = new Set<string>();

  constructor(
    readonly file: string,
    private readonly positions: SourcePositions | null,
  ) {}

  error(path: ConfigPath, message: string, options: FindingOptions = {}): void {
    this.add('error', path, message, options);
  }

  warning(path: ConfigPath, message: string, options: FindingOptions = {}): void {
    this.add('warning', path, message, options);
  }

  /** For findings that have a source offset but no config path (YAML syntax errors). */
  atPosition(severity: Severity, position: SourcePosition, message: string, hint: string | null = null): void {
    this.push({ severity, file: this.file, line: position.line, col: position.col, path: '', message, hint });
  }

  /** For findings about the file as a whole (e.g. it cannot be read). */
  aboutFile(severity: Severity, message: string, hint: string | null = null): void {
    this.push({ severity, file: this.file, line: 0, col: 0, path: '', message, hint });
  }

  get errors(): Diagnostic[] {
    return this.sorted().filter((d) => d.severity === 'error');
  }

  get warnings(): Diagnostic[] {
    return this.sorted().filter((d) => d.severity === 'warning');
  }

  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }

  private add(severity: Severity, path: ConfigPath, message: string, options: FindingOptions): void {
    const position = this.positions?.locate(path, options.anchor ?? 'value') ?? { line: 0, col: 0 };
    this.push({
      severity,
      file: this.file,
      line: position.line,
      col: position.col,
      path: toPointer(path),
      message,
      hint: options.hint ?? null,
    });
  }

  /** The same problem can surface through several schema keywords; report it once. */
  private push(diagnostic: Diagnostic): void {
    const key = `${diagnostic.severity}|${diagnostic.path}|${diagnostic.line}|${diagnostic.col}|${diagnostic.message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.items.push(diagnostic);
  }

  private sorted(): Diagnostic[] {
    return [...this.items].sort((a, b) => a.line - b.line || a.col - b.col);
  }
}
