/**
 * Arbin Excel exports (.xlsx, Office Open XML SpreadsheetML, ECMA-376 Part 1 §18): a ZIP holding
 * xl/workbook.xml (sheet names → relationship ids), xl/_rels/workbook.xml.rels (ids → sheet
 * parts), xl/sharedStrings.xml (the string table cells of type "s" index into) and one
 * xl/worksheets/sheetN.xml per sheet. MITS Pro / DataPro write a "Global_Info" sheet (test name,
 * channel, start time, schedule …) and the records in "Channel_<ch>_<k>" sheets (split every
 * ~65 000 rows, same header), optionally followed by statistics sheets.
 *
 * The sheet XML is read by a small bounded scanner — rows, cells, their `r`, `t` attributes and
 * `<v>`/inline `<t>` values only — rather than an XML library: no DTD or entity expansion, row and
 * column references capped at Excel's limits (1 048 576 × 16 384) before anything is allocated.
 */
import type { MetaTree, MetaValue } from '../../api/dataset.js';
import { FormatDeclined, FormatError } from '../format-error.js';
import type { ZipArchive } from '../zip-archive.js';
import { excelDaysToIso, mapArbinLabels, type ArbinColumn } from './columns.js';
import { isArbinHeader, parseArbinDate, READER_ID } from './parse-csv.js';
import { decodeXmlEntities } from '../xml-entities.js';

export const MAX_SHEET_BYTES = 256 * 1024 * 1024;
const MAX_PART_BYTES = 64 * 1024 * 1024;
export const EXCEL_MAX_ROWS = 1_048_576;
export const EXCEL_MAX_COLS = 16_384;

type Cell = string | number | boolean | null;

export interface ArbinXlsx {
  columns: ArbinColumn[];
  data: Float64Array[];
  rowCount: number;
  sheets: string[];
  dataSheets: string[];
  globalInfo: MetaTree;
  startIso?: string;
  warnings: string[];
}


function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`(?:^|\\s)${name}\\s*=\\s*("([^"]*)"|'([^']*)')`).exec(tag);
  return m ? decodeXmlEntities(m[2] ?? m[3] ?? '') : undefined;
}

/** Concatenate every <t>…</t> inside `xml` (rich-text runs and phonetic runs skipped). */
function textRuns(xml: string): string {
  let out = '';
  const re = /<t(?:\s[^>]*)?>([\s\S]*?)<\/t>|<t(?:\s[^>]*)?\/>|<rPh\b[\s\S]*?<\/rPh>/g;
  for (let m = re.exec(xml); m; m = re.exec(xml)) if (m[1] !== undefined) out += decodeXmlEntities(m[1]);
  return out;
}

const utf8 = new TextDecoder('utf-8');

async function part(zip: ZipArchive, name: string, limit: number): Promise<string | null> {
  const m = zip.find(name);
  return m ? utf8.decode(await zip.read(m, limit)) : null;
}

export function parseSharedStrings(xml: string): string[] {
  const out: string[] = [];
  const re = /<si>([\s\S]*?)<\/si>|<si\/>/g;
  for (let m = re.exec(xml); m; m = re.exec(xml)) out.push(m[1] !== undefined ? textRuns(m[1]) : '');
  return out;
}

/** "AB12" → column index 27 (0-based); null when not a cell reference. */
export function columnOf(ref: string): number | null {
  let c = 0;
  let i = 0;
  for (; i < ref.length; i++) {
    const ch = ref.charCodeAt(i);
    if (ch >= 65 && ch <= 90) c = c * 26 + (ch - 64);
    else break;
  }
  return i === 0 ? null : c - 1;
}

/**
 * Scan a worksheet, calling `onRow(rowIndex, cells)` for each <row>. Cells are sparse (holes are
 * undefined). Row/column references beyond Excel's limits raise a FormatError.
 */
export function scanSheet(xml: string, sst: readonly string[], file: string, onRow: (r: number, cells: Cell[]) => void): void {
  let i = xml.indexOf('<sheetData');
  if (i < 0) return;
  const end = xml.indexOf('</sheetData>', i);
  const stop = end < 0 ? xml.length : end;
  let rowIdx = -1;
  let cells: Cell[] | null = null;
  let colCursor = 0;
  const flush = (): void => {
    if (cells) onRow(rowIdx, cells);
    cells = null;
  };
  while (i < stop) {
    const lt = xml.indexOf('<', i);
    if (lt < 0 || lt >= stop) break;
    const gt = xml.indexOf('>', lt);
    if (gt < 0) throw new FormatError(file, null, `a complete tag in the sheet XML (character ${lt})`, READER_ID);
    const tag = xml.slice(lt + 1, gt);
    const self = tag.endsWith('/');
    if (tag.startsWith('row') && (tag.length === 3 || /\s|\//.test(tag[3]!))) {
      flush();
      const r = attr(tag, 'r');
      const n = r !== undefined ? Number(r) - 1 : rowIdx + 1;
      if (!Number.isInteger(n) || n < 0 || n >= EXCEL_MAX_ROWS) throw new FormatError(file, null, `a row number within 1…${EXCEL_MAX_ROWS} (got "${r}")`, READER_ID);
      rowIdx = n;
      cells = [];
      colCursor = 0;
      if (self) flush();
      i = gt + 1;
    } else if (tag === '/row') {
      flush();
      i = gt + 1;
    } else if (tag.startsWith('c') && (tag.length === 1 || /\s|\//.test(tag[1]!))) {
      const ref = attr(tag, 'r');
      const col = ref !== undefined ? columnOf(ref) : colCursor;
      if (col === null || col < 0 || col >= EXCEL_MAX_COLS) throw new FormatError(file, null, `a cell reference within column A…XFD (got "${ref}")`, READER_ID);
      colCursor = col + 1;
      let value: Cell = null;
      if (self) i = gt + 1;
      else {
        const close = xml.indexOf('</c>', gt);
        if (close < 0) throw new FormatError(file, null, `a closing </c> for cell ${ref ?? col}`, READER_ID);
        const inner = xml.slice(gt + 1, close);
        i = close + 4;
        const t = attr(tag, 't') ?? 'n';
        const vm = /<v(?:\s[^>]*)?>([\s\S]*?)<\/v>/.exec(inner);
        const v = vm ? decodeXmlEntities(vm[1]!) : undefined;
        if (t === 's') {
          const k = v !== undefined ? Number(v) : NaN;
          value = Number.isInteger(k) && k >= 0 && k < sst.length ? sst[k]! : null;
        } else if (t === 'inlineStr') value = textRuns(inner);
        else if (t === 'str') value = v ?? '';
        else if (t === 'b') value = v === '1';
        else if (t === 'e') value = null;
        else value = v !== undefined && v.trim() !== '' ? Number(v) : null;
      }
      if (!cells) {
        // A cell outside any <row>: malformed, but harmless to skip.
        continue;
      }
      (cells as Cell[])[col] = value;
    } else i = gt + 1;
  }
  flush();
}

/** Global_Info: label rows followed by value rows → { label: value }. */
function globalInfoTree(rows: Cell[][]): MetaTree {
  const out: MetaTree = {};
  for (let r = 0; r + 1 < rows.length; r++) {
    const labels = rows[r]!;
    const values = rows[r + 1]!;
    const filled = labels.filter((x) => x !== undefined && x !== null);
    if (filled.length === 0 || !filled.every((x) => typeof x === 'string')) continue;
    let used = false;
    labels.forEach((l, j) => {
      if (typeof l !== 'string' || !l.trim()) return;
      const v = values[j];
      if (v === undefined) return;
      out[l.trim()] = v as MetaValue;
      used = true;
    });
    if (used) r++;
  }
  return out;
}

export async function parseArbinXlsx(zip: ZipArchive, file: string): Promise<ArbinXlsx> {
  const warnings: string[] = [];
  const wb = await part(zip, 'xl/workbook.xml', MAX_PART_BYTES);
  if (wb === null) throw new FormatError(file, null, 'an xl/workbook.xml member (an .xlsx workbook)', READER_ID);
  const rels = (await part(zip, 'xl/_rels/workbook.xml.rels', MAX_PART_BYTES)) ?? '';
  const target = new Map<string, string>();
  for (const m of rels.matchAll(/<Relationship\b([^>]*)\/?>/g)) {
    const id = attr(m[1]!, 'Id');
    const t = attr(m[1]!, 'Target');
    if (id && t) target.set(id, t.startsWith('/') ? t.slice(1) : `xl/${t}`);
  }
  const sheets: { name: string; path: string }[] = [];
  for (const m of wb.matchAll(/<sheet\b([^>]*)\/?>/g)) {
    const name = attr(m[1]!, 'name') ?? '';
    const rid = attr(m[1]!, 'r:id');
    const p = rid ? target.get(rid) : undefined;
    if (p) sheets.push({ name, path: p });
  }
  if (sheets.length === 0) throw new FormatError(file, null, 'at least one worksheet listed in xl/workbook.xml', READER_ID);
  const sstXml = await part(zip, 'xl/sharedStrings.xml', MAX_SHEET_BYTES);
  const sst = sstXml ? parseSharedStrings(sstXml) : [];

  let columns: ArbinColumn[] | null = null;
  let header: string[] | null = null;
  let bufs: Float64Array[] = [];
  let rows = 0;
  const dataSheets: string[] = [];
  let globalInfo: MetaTree = {};
  let textCells = 0;
  for (const s of sheets) {
    const xml = await part(zip, s.path, MAX_SHEET_BYTES);
    if (xml === null) {
      warnings.push(`sheet "${s.name}" (${s.path}) is listed but missing`);
      continue;
    }
    const where = `${file}!${s.path}`;
    if (/^global/i.test(s.name)) {
      const grid: Cell[][] = [];
      scanSheet(xml, sst, where, (r, cells) => {
        if (r < 200) grid[r] = cells;
      });
      globalInfo = globalInfoTree(Array.from(grid, (x) => x ?? []));
      continue;
    }
    let sheetHeader: string[] | null = null;
    let isData = false;
    let dateCol = -1;
    scanSheet(xml, sst, where, (r, cells) => {
      if (sheetHeader === null) {
        sheetHeader = Array.from(cells, (c) => (c === undefined || c === null ? '' : String(c)));
        if (!isArbinHeader(sheetHeader.join(','))) return;
        if (header === null) {
          header = sheetHeader;
          columns = mapArbinLabels(header);
          bufs = columns.map(() => new Float64Array(1024));
        } else if (sheetHeader.join('\u0000') !== (header as string[]).join('\u0000')) {
          warnings.push(`sheet "${s.name}" has a different header from the first data sheet; skipped`);
          return;
        }
        isData = true;
        dataSheets.push(s.name);
        dateCol = columns!.findIndex((c) => c.isDate);
        return;
      }
      if (!isData) return;
      if (rows === bufs[0]!.length) {
        bufs = bufs.map((a) => {
          const n = new Float64Array(a.length * 2);
          n.set(a);
          return n;
        });
      }
      for (let j = 0; j < bufs.length; j++) {
        const c = cells[j];
        let v: number;
        if (typeof c === 'number') v = c;
        else if (typeof c === 'boolean') v = c ? 1 : 0;
        else if (typeof c === 'string') {
          // Text dates ("10/20/2020 11:31:46") appear when the export kept them as strings; they
          // are brought to Excel serial days like the numeric date cells of the same column.
          v = j === dateCol ? parseArbinDate(c) / 86400 + 25569 : Number(c);
          if (Number.isNaN(v)) textCells++;
        } else v = NaN;
        bufs[j]![rows] = v;
      }
      rows++;
    });
  }
  // Any workbook can reach here by extension: without an Arbin header it is not ours.
  if (!columns || !header) throw new FormatDeclined(READER_ID, `no worksheet starts with an Arbin header (sheets: ${sheets.map((s) => s.name).join(', ')})`);
  const cols = columns as ArbinColumn[];
  if (textCells) warnings.push(`${textCells} text cell(s) in numeric columns read as NaN`);
  const dc = cols.find((c) => c.isDate);
  if (dc) {
    dc.units = 'd';
    dc.sourceName = `${dc.sourceName} (Excel serial days since 1899-12-30, local time)`;
  }
  const unknown = cols.filter((c) => !c.known).map((c) => c.sourceName);
  if (unknown.length) warnings.push(`columns kept under their raw labels: ${unknown.join(', ')}`);
  const start = globalInfo['Start DateTime'];
  const startIso = typeof start === 'number' ? excelDaysToIso(start) : undefined;
  return {
    columns: cols,
    data: bufs.map((a) => a.slice(0, rows)),
    rowCount: rows,
    sheets: sheets.map((s) => s.name),
    dataSheets,
    globalInfo,
    startIso,
    warnings,
  };
}
