/**
 * A minimal SVG line chart (no dependencies) for the benchmark reports.
 */

/** One line of the chart. */
export interface Series {
  name: string
  color: string
  points: { x: number; y: number }[]
}

/** Options of {@link lineChart}. */
export interface ChartOptions {
  title: string
  xLabel: string
  yLabel: string
  /** Tick labels for the x values. */
  xTicks: { x: number; label: string }[]
  width?: number
  height?: number
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** Round number at or above `v` for the y axis (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k). */
function niceMax(v: number): number {
  const p = 10 ** Math.floor(Math.log10(Math.max(v, 1)))
  return [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].map((m) => m * p).find((n) => n >= v) ?? 10 * p
}

/**
 * Renders `series` as an SVG line chart with linear axes starting at 0.
 *
 * @example
 * ```ts
 * fs.writeFileSync('m.svg', lineChart([{ name: 'streaming', color: '#1f77b4', points: [{ x: 0.2, y: 120 }] }],
 *   { title: 'Peak RSS', xLabel: 'file GB', yLabel: 'MB', xTicks: [{ x: 0.2, label: '0.2' }] }))
 * ```
 */
export function lineChart(series: Series[], o: ChartOptions): string {
  const W = o.width ?? 640
  const H = o.height ?? 400
  const m = { l: 70, r: 40, t: 40, b: 50 }
  const xs = series.flatMap((s) => s.points.map((p) => p.x))
  const xMax = Math.max(...xs, ...o.xTicks.map((t) => t.x))
  const yMax = niceMax(Math.max(...series.flatMap((s) => s.points.map((p) => p.y))) * 1.05)
  const X = (x: number): number => m.l + (x / xMax) * (W - m.l - m.r)
  const Y = (y: number): number => H - m.b - (y / yMax) * (H - m.t - m.b)
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${(m.l + W - m.r) / 2}" y="22" text-anchor="middle" font-size="15">${esc(o.title)}</text>`,
    `<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="black"/>`,
    `<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="black"/>`,
    `<text x="${(m.l + W - m.r) / 2}" y="${H - 12}" text-anchor="middle">${esc(o.xLabel)}</text>`,
    `<text x="18" y="${(m.t + H - m.b) / 2}" text-anchor="middle" transform="rotate(-90 18 ${(m.t + H - m.b) / 2})">${esc(o.yLabel)}</text>`,
  ]
  for (let i = 0; i <= 5; i++) {
    const v = (yMax * i) / 5
    parts.push(`<line x1="${m.l - 4}" y1="${Y(v)}" x2="${W - m.r}" y2="${Y(v)}" stroke="#ddd"/>`,
      `<text x="${m.l - 8}" y="${Y(v) + 4}" text-anchor="end">${Math.round(v)}</text>`)
  }
  for (const t of o.xTicks) parts.push(`<text x="${X(t.x)}" y="${H - m.b + 18}" text-anchor="middle">${esc(t.label)}</text>`)
  const lowest = series.map((s) => Math.min(...s.points.map((p) => p.y)))
  series.forEach((s, i) => {
    const pts = s.points.map((p) => `${X(p.x).toFixed(1)},${Y(p.y).toFixed(1)}`).join(' ')
    parts.push(`<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="2.5"/>`)
    const right = lowest[i] === Math.min(...lowest) // the lowest line labels to the right of its points, the others to the left
    for (const p of s.points) {
      const x = X(p.x) + (right ? 6 : -8)
      parts.push(`<circle cx="${X(p.x).toFixed(1)}" cy="${Y(p.y).toFixed(1)}" r="4" fill="${s.color}"/>`,
        `<text x="${x.toFixed(1)}" y="${(Y(p.y) - 8).toFixed(1)}" text-anchor="${right ? 'start' : 'end'}" fill="${s.color}">${Math.round(p.y)}</text>`)
    }
    parts.push(`<rect x="${m.l + 16}" y="${m.t + 8 + 20 * i}" width="14" height="4" fill="${s.color}"/>`,
      `<text x="${m.l + 36}" y="${m.t + 14 + 20 * i}">${esc(s.name)}</text>`)
  })
  parts.push('</svg>\n')
  return parts.join('\n')
}
