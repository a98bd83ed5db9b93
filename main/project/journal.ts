/**
 * The operation journal, journal/ops.jsonl (DESIGN.md "The project on disk": "append-only operation
 * log: undo, provenance, and the merge base").
 *
 * One JSON object per line: {seq, time, op, objectType, id, before?, after?}. `before`/`after` are
 * whole objects (state-based, not deltas), so replaying an entry is idempotent: applying it twice
 * gives the same document, which makes crash recovery and three-way merge simple.
 *
 * Every mutation is appended (and fsync'ed) *before* it is applied to the in-memory document, so
 * the journal is never behind what a user has seen. A successful save appends a `save` marker;
 * entries after the last marker are changes that did not reach project.json.
 *
 * Crash tolerance: a kill mid-append can leave the final line torn (no newline, or half a JSON
 * object). Exactly that is tolerated and, on open for writing, truncated away so the next append
 * starts on a clean line. A bad line anywhere else is corruption and is reported with its line
 * number.
 */
import { open, readFile } from 'node:fs/promises';
import * as v from 'valibot';
import { ApiError } from '../api/contract.js';
import type { ProjectDocument } from '../api/project-types.js';
import { appendJournalLine } from './atomic-write.js';

export type JournalObjectType = 'project' | 'cell' | 'sample' | 'lamella' | 'dataset' | 'analysis' | 'figure';
/** create/update/remove change an object; save/discard are markers on the project. */
export type JournalOp = 'create' | 'update' | 'remove' | 'save' | 'discard';

export interface JournalEntry {
  seq: number;
  time: string;
  op: JournalOp;
  objectType: JournalObjectType;
  id: string;
  before?: unknown;
  after?: unknown;
}

export type JournalInput = Omit<JournalEntry, 'seq' | 'time'>;

const JournalEntrySchema = v.object({
  seq: v.pipe(v.number(), v.integer(), v.minValue(1)),
  time: v.pipe(v.string(), v.maxLength(64)),
  op: v.picklist(['create', 'update', 'remove', 'save', 'discard']),
  objectType: v.picklist(['project', 'cell', 'sample', 'lamella', 'dataset', 'analysis', 'figure']),
  id: v.pipe(v.string(), v.maxLength(64)),
  before: v.optional(v.unknown()),
  after: v.optional(v.unknown()),
});

export interface JournalReadResult {
  entries: JournalEntry[];
  /** True when the last line was torn (crash mid-append) and ignored. */
  tornTail: boolean;
  /** Byte length of the well-formed prefix (where the next append must start). */
  validBytes: number;
}

/**
 * Parse journal text. Tolerates an unparsable *final* line (torn append); throws
 * ApiError('bad-request') naming the file and line for a bad line elsewhere or out-of-order seqs.
 */
export function parseJournal(text: string, file = 'journal/ops.jsonl'): JournalReadResult {
  const entries: JournalEntry[] = [];
  let pos = 0;
  let lineNo = 0;
  let tornTail = false;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const isLast = nl === -1 || nl === text.length - 1;
    const line = text.slice(pos, nl === -1 ? text.length : nl);
    lineNo++;
    const parsed = parseLine(line);
    if (nl === -1) {
      // No newline: the append never finished, even if the JSON happens to parse (the newline is
      // written in the same call, so a complete entry always ends with one).
      tornTail = true;
      break;
    }
    if (parsed === null) {
      if (isLast) {
        tornTail = true;
        break;
      }
      throw new ApiError('bad-request', `${file}: line ${lineNo}: not a valid journal entry`, { file, line: lineNo });
    }
    const prev = entries[entries.length - 1];
    if (prev && parsed.seq <= prev.seq) {
      throw new ApiError('bad-request', `${file}: line ${lineNo}: seq ${parsed.seq} does not follow ${prev.seq}`, { file, line: lineNo });
    }
    entries.push(parsed);
    pos = nl + 1;
  }
  return { entries, tornTail, validBytes: Buffer.byteLength(text.slice(0, pos), 'utf8') };
}

function parseLine(line: string): JournalEntry | null {
  if (line.trim() === '') return null;
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return null;
  }
  const r = v.safeParse(JournalEntrySchema, json);
  return r.success ? (r.output as JournalEntry) : null;
}

/** Read a journal file; a missing file is an empty journal. */
export async function readJournal(path: string): Promise<JournalReadResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], tornTail: false, validBytes: 0 };
    throw err;
  }
  return parseJournal(text, path);
}

/** An open journal for appending. Appends are serialised by the caller (ProjectStore's queue). */
export class Journal {
  private constructor(
    readonly path: string,
    private lastSeq: number,
    /** Entries after the last save/discard marker at open time (unsaved changes of a crashed session). */
    readonly pendingAtOpen: JournalEntry[],
  ) {}

  /** Open for appending: read, truncate a torn tail (so the next line starts clean), remember the last seq. */
  static async open(path: string): Promise<Journal> {
    const read = await readJournal(path);
    if (read.tornTail) {
      const handle = await open(path, 'r+');
      try {
        await handle.truncate(read.validBytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    const last = read.entries[read.entries.length - 1];
    let markerAt = -1;
    read.entries.forEach((e, i) => {
      if (e.op === 'save' || e.op === 'discard') markerAt = i;
    });
    return new Journal(path, last ? last.seq : 0, read.entries.slice(markerAt + 1));
  }

  get seq(): number {
    return this.lastSeq;
  }

  async append(input: JournalInput, time = new Date().toISOString()): Promise<JournalEntry> {
    const entry: JournalEntry = { seq: this.lastSeq + 1, time, ...input };
    await appendJournalLine(this.path, JSON.stringify(entry));
    this.lastSeq = entry.seq;
    return entry;
  }
}

const COLLECTIONS = {
  cell: 'cells',
  sample: 'samples',
  lamella: 'lamellae',
  dataset: 'datasets',
  analysis: 'analyses',
  figure: 'figures',
} as const satisfies Record<Exclude<JournalObjectType, 'project'>, keyof ProjectDocument>;

/**
 * Apply entries in order to a document (returns a new document; the input is not modified).
 * create/update upsert `after`, remove deletes by id, project updates replace the project-level
 * fields in `after`; `save` changes nothing; `discard` reverts to the state at the previous marker
 * (or the input document). Idempotent per entry, so replaying entries that are
 * already reflected in the document is harmless (crash recovery relies on this).
 */
export function replayJournal(doc: ProjectDocument, entries: readonly JournalEntry[]): ProjectDocument {
  let out = structuredClone(doc);
  // State at the last save/discard marker: a `discard` drops the changes made since then (changes
  // a crashed or abandoned session journaled but never saved).
  let atMarker: ProjectDocument | null = null;
  for (const e of entries) {
    if (e.op === 'save') {
      atMarker = null;
      continue;
    }
    if (e.op === 'discard') {
      if (atMarker) out = atMarker;
      atMarker = null;
      continue;
    }
    atMarker ??= structuredClone(out);
    if (e.objectType === 'project') {
      if ((e.op === 'update' || e.op === 'create') && e.after && typeof e.after === 'object') {
        const a = e.after as Partial<ProjectDocument>;
        for (const key of ['name', 'modified', 'appVersion'] as const) if (typeof a[key] === 'string') out[key] = a[key];
      }
      continue;
    }
    const list = out[COLLECTIONS[e.objectType]] as { id: string }[];
    const at = list.findIndex((o) => o.id === e.id);
    if (e.op === 'remove') {
      if (at >= 0) list.splice(at, 1);
    } else if (e.after && typeof e.after === 'object') {
      const obj = structuredClone(e.after) as { id: string };
      if (at >= 0) list[at] = obj;
      else list.push(obj);
    }
  }
  return out;
}
