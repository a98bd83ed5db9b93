/**
 * The columns a table opens on: a running axis for x (time, frequency, cycle, index) and a
 * measured quantity for y — never an identifier column such as Arbin's constant 'test id', which
 * made a statistics table open on a vertical line.
 */
const X_PREFERRED = ['time', 'Test Time', 'freq', 'cycle number', 'cycle', 'index'];
const Y_PREFERRED = ['Ewe', 'Ecell', 'Voltage', 'Re(Z)'];
const ID_LIKE = /^(test id|id|index|record|data point|step|step index)$/i;

export function defaultTableAxes(names: readonly string[]): { x: string; y: string } {
  const x = X_PREFERRED.find((n) => names.includes(n)) ?? names[0] ?? '';
  const y = Y_PREFERRED.find((n) => n !== x && names.includes(n)) ?? names.find((n) => n !== x && !ID_LIKE.test(n)) ?? names.find((n) => n !== x) ?? '';
  return { x, y };
}
