/**
 * A table that stays fast with thousands of rows: only the visible rows are rendered
 * (@tanstack/react-virtual). Columns sort on click unless the caller sorts on the server.
 */
import { useMemo, useRef, useState, type ReactNode } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';

export interface Column<T> {
  key: string;
  label: string;
  render?: (row: T) => ReactNode;
  value?: (row: T) => string | number | undefined;
  width?: string;
}

export function Table<T>({ rows, columns, rowKey, onEndReached, height = 520, testId, onSort, sort, selectable }: {
  rows: T[];
  columns: Column<T>[];
  rowKey: (row: T) => string;
  onEndReached?: () => void;
  height?: number;
  testId?: string;
  /** Server-side sorting: the caller reloads in the new order. */
  onSort?: (key: string, desc: boolean) => void;
  sort?: { key: string; desc: boolean };
  selectable?: { selected: Set<string>; toggle: (key: string) => void };
}) {
  const [localSort, setLocalSort] = useState<{ key: string; desc: boolean } | undefined>();
  const current = onSort ? sort : localSort;
  const sorted = useMemo(() => {
    if (onSort || !localSort) return rows;
    const col = columns.find((c) => c.key === localSort.key);
    const get = col?.value ?? ((r: T) => (r as Record<string, unknown>)[localSort.key] as string | number | undefined);
    return [...rows].sort((a, b) => {
      const [x, y] = [get(a), get(b)];
      const cmp = x === y ? 0 : x === undefined ? 1 : y === undefined ? -1 : x < y ? -1 : 1;
      return localSort.desc ? -cmp : cmp;
    });
  }, [rows, columns, localSort, onSort]);
  const parent = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({ count: sorted.length, getScrollElement: () => parent.current, estimateSize: () => 34, overscan: 12 });
  const items = virtual.getVirtualItems();
  if (onEndReached && items.length && items[items.length - 1].index >= sorted.length - 5) queueMicrotask(onEndReached);
  const template = [...(selectable ? ['36px'] : []), ...columns.map((c) => c.width ?? 'minmax(120px, 1fr)')].join(' ');
  const clickSort = (key: string) => {
    const next = { key, desc: current?.key === key ? !current.desc : false };
    if (onSort) onSort(next.key, next.desc);
    else setLocalSort(next);
  };
  return (
    <div className="table" data-testid={testId} role="table" aria-rowcount={sorted.length}>
      <div className="thead" style={{ gridTemplateColumns: template }} role="row">
        {selectable && <div />}
        {columns.map((c) => (
          <div key={c.key} className="th" onClick={() => clickSort(c.key)} role="columnheader">
            {c.label}{current?.key === c.key ? (current.desc ? ' ▼' : ' ▲') : ''}
          </div>
        ))}
      </div>
      <div ref={parent} className="tbody" style={{ maxHeight: height }}>
        <div style={{ height: virtual.getTotalSize(), position: 'relative' }}>
          {items.map((item) => {
            const row = sorted[item.index];
            const key = rowKey(row);
            return (
              <div key={key} className="tr" role="row" data-key={key}
                style={{ gridTemplateColumns: template, position: 'absolute', top: 0, left: 0, right: 0, transform: `translateY(${item.start}px)`, height: item.size }}>
                {selectable && <div className="td"><input type="checkbox" aria-label={`select ${key}`} checked={selectable.selected.has(key)} onChange={() => selectable.toggle(key)} /></div>}
                {columns.map((c) => (
                  <div key={c.key} className="td" title={String(c.value?.(row) ?? '')}>
                    {c.render ? c.render(row) : String((row as Record<string, unknown>)[c.key] ?? '')}
                  </div>
                ))}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
