/**
 * Arbin .res result files (MITS Pro 4.x–7.x): a Microsoft Access / Jet 4 database. The records are
 * in Channel_Normal_Table (Test_ID, Data_Point, Test_Time, Step_Time, DateTime, Step_Index,
 * Cycle_Index, Is_FC_Data, Current, Voltage, Charge/Discharge_Capacity, Charge/Discharge_Energy,
 * dV/dt, Internal_Resistance, AC_Impedance, ACI_Phase_Angle), per-cycle statistics in
 * Channel_Statistic_Table, test-level metadata in Global_Table (Test_Name, Channel_Index,
 * Start_DateTime as Excel serial days, Creator, Schedule_File_Name, Software_Version, MASS …).
 * Table and column names as listed by mdbtools and cellpy's Arbin loader (the shared corpus
 * manifest records both). The Jet pages are decoded by `mdb-reader` (pure JS, MIT).
 */
import { Buffer } from 'node:buffer';
import MDBReader from 'mdb-reader';
import type { MetaTree, MetaValue } from '../../api/dataset.js';
import { checkedSize, FormatDeclined, FormatError, MAX_ALLOCATION_BYTES } from '../format-error.js';
import { excelDaysToIso, mapArbinLabels, type ArbinColumn } from './columns.js';
import { READER_ID } from './parse-csv.js';

/** "Standard Jet DB" / "Standard ACE DB" at byte 4 (Access 97–2016 file header). */
export function hasJetMagic(head: Uint8Array): boolean {
  if (head.length < 19) return false;
  if (head[0] !== 0 || head[1] !== 1 || head[2] !== 0 || head[3] !== 0) return false;
  const s = String.fromCharCode(...head.subarray(4, 19));
  return s === 'Standard Jet DB' || s === 'Standard ACE DB';
}

export interface ArbinTable {
  columns: ArbinColumn[];
  data: Float64Array[];
  rowCount: number;
}

export interface ArbinRes {
  data: ArbinTable;
  statistics?: ArbinTable;
  global: MetaTree[];
  version?: string;
  tables: string[];
  startIso?: string;
  title?: string;
  warnings: string[];
}

const ROW_CHUNK = 20_000;

function toNumber(v: unknown): number {
  if (v === null || v === undefined) return NaN;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Date) return v.getTime() / 1000;
  if (typeof v === 'string') return v.trim() === '' ? NaN : Number(v);
  return NaN;
}

function toMeta(v: unknown): MetaValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.toISOString();
  return null;
}

const NUMERIC_TYPES = new Set(['boolean', 'byte', 'integer', 'long', 'currency', 'float', 'double', 'numeric', 'bigint', 'datetime']);

function readTable(reader: MDBReader, name: string, warnings: string[], file: string, fileSize: number): ArbinTable {
  const table = reader.getTable(name);
  const all = table.getColumns();
  const numeric = all.filter((c) => NUMERIC_TYPES.has(c.type));
  const skipped = all.filter((c) => !NUMERIC_TYPES.has(c.type)).map((c) => `${c.name} (${c.type})`);
  if (skipped.length) warnings.push(`${name}: non-numeric columns not in the table: ${skipped.join(', ')}`);
  // The row count comes from the table definition page: a Jet row takes more than one byte of a
  // data page, so a count above the file size is a lie — checked before the columns are allocated.
  const n = checkedSize(table.rowCount, file, 0, `${name} row count (within the file size)`, Math.min(fileSize, Math.floor(MAX_ALLOCATION_BYTES / 8 / Math.max(1, numeric.length))));
  const names = numeric.map((c) => c.name);
  const data = names.map(() => new Float64Array(n));
  let filled = 0;
  for (let off = 0; off < n; off += ROW_CHUNK) {
    const rows = table.getData({ columns: names, rowOffset: off, rowLimit: ROW_CHUNK });
    for (const row of rows) {
      if (filled >= n) break;
      for (let j = 0; j < names.length; j++) data[j]![filled] = toNumber((row as Record<string, unknown>)[names[j]!]);
      filled++;
    }
  }
  const columns = mapArbinLabels(names);
  numeric.forEach((c, j) => {
    const col = columns[j]!;
    if (col.isDate) {
      col.units = c.type === 'datetime' ? 's' : 'd';
      col.sourceName = c.type === 'datetime' ? `${c.name} (Unix seconds)` : `${c.name} (Excel serial days since 1899-12-30, local time)`;
    }
  });
  return { columns, data: data.map((a) => (filled === n ? a : a.slice(0, filled))), rowCount: filled };
}

/** Sort by (Test_ID, Data_Point) when the table is not already in that order. */
function sortByDataPoint(t: ArbinTable, warnings: string[]): ArbinTable {
  const dp = t.columns.findIndex((c) => c.name === 'index');
  if (dp < 0) return t;
  const tid = t.columns.findIndex((c) => c.name === 'test id');
  const key = (i: number): [number, number] => [tid >= 0 ? t.data[tid]![i]! : 0, t.data[dp]![i]!];
  let sorted = true;
  for (let i = 1; i < t.rowCount && sorted; i++) {
    const a = key(i - 1);
    const b = key(i);
    if (a[0] > b[0] || (a[0] === b[0] && a[1] > b[1])) sorted = false;
  }
  if (sorted) return t;
  const order = Array.from({ length: t.rowCount }, (_, i) => i);
  order.sort((x, y) => {
    const a = key(x);
    const b = key(y);
    return a[0] - b[0] || a[1] - b[1];
  });
  warnings.push('Channel_Normal_Table rows were not in Data_Point order; sorted');
  return { ...t, data: t.data.map((a) => Float64Array.from(order, (i) => a[i]!)) };
}

export function parseArbinRes(bytes: Uint8Array, file: string): ArbinRes {
  let reader: MDBReader;
  let tables: string[];
  try {
    reader = new MDBReader(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    tables = reader.getTableNames();
  } catch (e) {
    throw new FormatError(file, 0, `a readable Jet/Access database (${(e as Error).message})`, READER_ID);
  }
  if (!tables.includes('Channel_Normal_Table')) {
    throw new FormatDeclined(READER_ID, `an Access database without Channel_Normal_Table (tables: ${tables.slice(0, 20).join(', ')})`);
  }
  const warnings: string[] = [];
  let data: ArbinTable;
  let statistics: ArbinTable | undefined;
  const global: MetaTree[] = [];
  let version: string | undefined;
  try {
    data = sortByDataPoint(readTable(reader, 'Channel_Normal_Table', warnings, file, bytes.length), warnings);
    if (tables.includes('Channel_Statistic_Table')) {
      const s = readTable(reader, 'Channel_Statistic_Table', warnings, file, bytes.length);
      if (s.rowCount > 0) statistics = s;
    }
    if (tables.includes('Global_Table')) {
      for (const row of reader.getTable('Global_Table').getData({ rowLimit: 1000 })) {
        const m: MetaTree = {};
        for (const [k, v] of Object.entries(row)) m[k] = toMeta(v);
        global.push(m);
      }
    }
    if (tables.includes('Version_Table')) {
      const v = reader.getTable('Version_Table').getData({ rowLimit: 1 })[0];
      const s = v?.Version_Schema_Field;
      if (typeof s === 'string') version = s;
    }
  } catch (e) {
    if (e instanceof FormatError || e instanceof FormatDeclined) throw e;
    throw new FormatError(file, null, `readable Arbin tables (${(e as Error).message})`, READER_ID);
  }
  const tid = data.columns.findIndex((c) => c.name === 'test id');
  if (tid >= 0) {
    const ids = new Set(data.data[tid]);
    if (ids.size > 1) warnings.push(`Channel_Normal_Table holds ${ids.size} tests (Test_ID ${[...ids].join(', ')}); see the "test id" column`);
  }
  for (const t of ['Auxiliary_Table', 'Smart_Battery_Data_Table', 'Can_BMS_Data_Table', 'Event_Table']) {
    if (tables.includes(t)) {
      const n = reader.getTable(t).rowCount;
      if (n > 0) warnings.push(`${t} has ${n} rows that this reader does not map`);
    }
  }
  const g = global[0];
  const start = g?.Start_DateTime;
  const startIso = typeof start === 'number' ? excelDaysToIso(start) : undefined;
  const title = typeof g?.Test_Name === 'string' && g.Test_Name ? g.Test_Name : undefined;
  return { data, statistics, global, version, tables, startIso, title, warnings };
}
