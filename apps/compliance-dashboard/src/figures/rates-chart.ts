import * as echarts from 'echarts';
import type { RatePoint } from './rate-series';

/** A notice version registered within the range: a mark on the chart. */
export interface NoticeMark {
  readonly period: string;
  readonly label: string;
}

const percent = (rate: number | null) => (rate === null ? null : Math.round(rate * 1_000) / 10);

/**
 * The opt-in and revocation rates of one purpose as an SVG chart, drawn on the server by Apache
 * ECharts (no script in the page), with its accessibility options on (decal patterns, so the two
 * lines differ by more than colour). ECharts writes its chart description onto a DOM container,
 * which a server rendering has not: the SVG is given the description as its title and label
 * instead, and the page gives the same figures as a table. Notice versions registered in the
 * range are marked as vertical lines.
 */
export function ratesChartSvg(
  title: string,
  points: readonly RatePoint[],
  notices: readonly NoticeMark[],
  size = { width: 720, height: 320 },
): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, ...size });
  try {
    chart.setOption(chartOptions(title, points, notices));
    const description = escapeXml(describeRates(title, points, notices));
    return chart
      .renderToSVGString()
      .replace(/^<svg /, `<svg role="img" aria-label="${description}" `)
      .replace(/(<svg[^>]*>)/, `$1<title>${description}</title>`);
  } finally {
    chart.dispose();
  }
}

/** The chart in words: what it shows, over which periods, the latest rates and the notice marks. */
export function describeRates(
  title: string,
  points: readonly RatePoint[],
  notices: readonly NoticeMark[],
): string {
  if (points.length === 0) return `${title}: no periods in the range.`;
  const latest = [...points].reverse().find((point) => point.optInRate !== null);
  const parts = [
    `${title}: opt-in and revocation rates per period from ${points[0]!.period} to ${points[points.length - 1]!.period}.`,
    latest
      ? `Latest period with answers, ${latest.period}: opt-in ${percent(latest.optInRate)}%, revocation ${percent(latest.revocationRate) ?? 0}%.`
      : 'Nobody answered in the range.',
  ];
  if (notices.length > 0)
    parts.push(
      `Notice versions published: ${notices.map((n) => `${n.label} (${n.period})`).join(', ')}.`,
    );
  return parts.join(' ');
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function chartOptions(
  title: string,
  points: readonly RatePoint[],
  notices: readonly NoticeMark[],
): echarts.EChartsOption {
  return {
    animation: false,
    aria: { enabled: true, decal: { show: true } },
    title: { text: title, left: 'center', textStyle: { fontSize: 14 } },
    legend: { bottom: 0 },
    grid: { left: 48, right: 24, top: 40, bottom: 56 },
    xAxis: { type: 'category', data: points.map((point) => point.period) },
    yAxis: { type: 'value', name: '%', min: 0, max: 100 },
    series: [
      {
        name: 'Opt-in rate',
        type: 'line',
        data: points.map((point) => percent(point.optInRate)),
        connectNulls: false,
        symbol: 'circle',
        markLine: {
          symbol: 'none',
          label: { formatter: '{b}', position: 'insideEndTop' },
          lineStyle: { type: 'dashed', color: '#555' },
          data: notices.map((notice) => ({ name: notice.label, xAxis: notice.period })),
        },
      },
      {
        name: 'Revocation rate',
        type: 'line',
        data: points.map((point) => percent(point.revocationRate)),
        connectNulls: false,
        symbol: 'triangle',
        lineStyle: { type: 'dotted' },
      },
    ],
  };
}
