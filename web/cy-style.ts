import type { StylesheetJson } from 'cytoscape'

export const STATUS_COLOURS = {
  ok: '#2e7d32',
  warn: '#e0a100',
  breach: '#c62828',
  unknown: '#8a8f98',
} as const

/** Orchestration edges (DAG → task → dbt model), apart from data lineage's grey. */
export const ORCHESTRATION_COLOUR = '#8e44ad'
export const COLUMN_COLOUR = '#00838f'

const byStatus = (kind: string, prop: string): StylesheetJson =>
  Object.entries(STATUS_COLOURS).map(([status, colour]) => ({
    selector: `node[kind = "${kind}"][status = "${status}"]`,
    style: { [prop]: colour },
  }))

const LIGHT = {
  text: '#1d2330',
  jobText: '#4a5366',
  node: '#fff',
  product: '#eef3ff',
  domain: '#f4f6fa',
  dag: '#f6effa',
  edge: '#9aa3b2',
  hl: '#3867d6',
  labelBg: '#fff',
  orchestration: ORCHESTRATION_COLOUR,
  column: COLUMN_COLOUR,
}
const DARK: typeof LIGHT = {
  text: '#e4e8f0',
  jobText: '#c2c9d6',
  node: '#1a1f29',
  product: '#22304a',
  domain: '#1d2330',
  dag: '#2a2035',
  edge: '#7d8594',
  hl: '#8fb0ff',
  labelBg: '#12151c',
  orchestration: '#c39bd3',
  column: '#4dd0e1',
}

/** The colour of data lineage edges in the page's theme (edge-image.ts draws some itself). */
export const edgeColour = (dark = false): string => (dark ? DARK : LIGHT).edge

/**
 * Domains are boxes (compound when expanded), datasets rounded rectangles, jobs small shapes by kind,
 * products bold; orchestration edges dashed; for the page's light or dark theme.
 */
export const cyStyle = (dark = false): StylesheetJson => {
  const c = dark ? DARK : LIGHT
  return [
    {
      selector: 'node',
      style: {
        label: 'data(label)',
        'font-size': 11,
        'font-family': 'system-ui, sans-serif',
        color: c.text,
        'text-valign': 'center',
        'text-halign': 'center',
        'min-zoomed-font-size': 7,
      },
    },
    {
      selector: 'node[kind = "dataset"]',
      style: {
        shape: 'round-rectangle',
        padding: '6px',
        'background-color': c.node,
        'border-width': 2,
      },
    },
    {
      selector: 'node[kind = "job"]',
      style: {
        shape: 'ellipse',
        width: 16,
        height: 16,
        label: 'data(label)',
        'text-wrap': 'wrap',
        'text-valign': 'bottom',
        'text-margin-y': 3,
        'font-size': 9,
        color: c.jobText,
        'border-width': 2,
        'border-color': c.text,
      },
    },
    // Job kinds by shape (and their label's second line): dbt models diamonds, Airflow tasks
    // hexagons, DAGs wide barrels, other OpenLineage producers triangles.
    {
      selector:
        'node[jobType = "dbt_model"], node[jobType = "dbt_seed"], node[jobType = "dbt_snapshot"]',
      style: { shape: 'diamond', width: 18, height: 18 },
    },
    {
      selector: 'node[jobType = "airflow_task"]',
      style: { shape: 'hexagon', width: 20, height: 16 },
    },
    {
      selector: 'node[jobType = "airflow_dag"]',
      style: { shape: 'barrel', width: 28, height: 16 },
    },
    {
      selector: 'node[jobType = "dbt_project"]',
      style: { shape: 'round-rectangle', width: 24, height: 14 },
    },
    { selector: 'node[jobType = "other"]', style: { shape: 'triangle', width: 18, height: 16 } },
    ...byStatus('dataset', 'border-color'),
    ...byStatus('job', 'background-color'),
    {
      selector: 'node[?product]',
      style: {
        'border-width': 4,
        'font-weight': 'bold',
        'font-size': 13,
        'background-color': c.product,
      },
    },
    {
      selector: 'node[kind = "domain"]',
      style: {
        shape: 'round-rectangle',
        'background-color': c.domain,
        'border-width': 3,
        'text-wrap': 'wrap',
        'font-size': 13,
        'font-weight': 'bold',
        'text-max-width': '240px',
        padding: '16px',
      },
    },
    ...byStatus('domain', 'border-color'),
    // Sizes are measured from the label in the page (node-size.ts); compound domains size to their children.
    { selector: 'node[w]', style: { width: 'data(w)', height: 'data(h)' } },
    {
      selector: 'node[kind = "domain"][?expanded]',
      style: {
        'text-valign': 'top',
        'text-halign': 'center',
        'background-opacity': 0.5,
        'border-width': 2,
        padding: '14px',
        'font-size': 14,
      },
    },
    // A big opened domain's box is a plain node behind its datasets and jobs (lineage-view.ts).
    { selector: 'node.backdrop', style: { 'z-index': 0, 'z-compound-depth': 'bottom' } },
    {
      selector: 'node[?root]',
      style: {
        'border-style': 'double',
        'border-width': 6,
        'underlay-color': '#5b8def',
        'underlay-opacity': 0.25,
        'underlay-padding': 6,
      },
    },
    {
      selector: 'edge',
      style: {
        width: 1.5,
        'line-color': c.edge,
        'target-arrow-color': c.edge,
        'target-arrow-shape': 'triangle',
        'curve-style': 'bezier',
        'arrow-scale': 0.8,
      },
    },
    {
      selector: 'edge[label]',
      style: {
        label: 'data(label)',
        'font-size': 10,
        color: c.text,
        'text-background-color': c.labelBg,
        'text-background-opacity': 1,
        'text-background-padding': '2px',
        width: 'mapData(count, 1, 50, 1.5, 6)',
      },
    },
    // Many edges: straight haystack lines render an order of magnitude faster than beziers.
    {
      selector: 'edge.dense',
      style: { label: '', opacity: 0.35, 'curve-style': 'haystack', 'haystack-radius': 0 },
    },
    // An opened big domain: its edges into collapsed domains are drawn one per domain pair, and a node's
    // own cross-domain edges appear when it is selected (hl).
    { selector: 'edge.cross', style: { display: 'none' } },
    { selector: 'edge.cross.hl', style: { display: 'element' } },
    {
      selector: 'edge.summary',
      style: {
        label: 'data(label)',
        opacity: 0.7,
        'curve-style': 'straight',
        width: 'mapData(count, 1, 100, 1.5, 8)',
        'font-size': 12,
        color: c.text,
        'text-background-color': c.labelBg,
        'text-background-opacity': 1,
      },
    },
    { selector: '.faded', style: { opacity: 0.15 } },
    {
      selector: 'node:selected',
      style: { 'overlay-color': '#5b8def', 'overlay-opacity': 0.2, 'overlay-padding': 6 },
    },
    {
      selector: 'edge.hl',
      style: { 'line-color': c.hl, 'target-arrow-color': c.hl, width: 2.5 },
    },
    // Orchestration beside data lineage: dashed, in its own colour, with an open arrow.
    {
      selector:
        'edge[kind = "contains"], edge[kind = "runs"], edge[kind = "tests"], edge[kind = "after"]',
      style: {
        'line-style': 'dashed',
        'line-dash-pattern': [6, 4],
        'line-color': c.orchestration,
        'target-arrow-color': c.orchestration,
        'target-arrow-shape': 'vee',
        width: 1.8,
      },
    },
    { selector: 'edge[kind = "tests"]', style: { 'line-dash-pattern': [2, 4] } },
    { selector: 'edge[kind = "after"]', style: { 'line-dash-pattern': [3, 3], width: 1.2 } },
    // An expanded Airflow DAG: a box of its tasks, inside its domain's box.
    {
      selector: 'node[?dag][?expanded]',
      style: {
        shape: 'round-rectangle',
        'background-color': c.dag,
        'background-opacity': 0.7,
        'border-color': c.orchestration,
        'border-style': 'dashed',
        'border-width': 2,
        'text-valign': 'top',
        'text-halign': 'center',
        'text-margin-y': 0,
        'font-size': 11,
        'font-weight': 'bold',
        color: c.text,
        padding: '10px',
      },
    },
    // Column level: each dataset a box of its columns, column edges in their own colour.
    {
      selector: 'node[kind = "dataset"][?expanded]',
      style: {
        'text-valign': 'top',
        'text-halign': 'center',
        'font-weight': 'bold',
        'font-size': 12,
        padding: '10px',
        'background-opacity': 0.6,
      },
    },
    {
      selector: 'node[kind = "column"]',
      style: {
        shape: 'round-rectangle',
        width: 'label',
        height: 16,
        padding: '4px',
        'font-size': 10,
        'font-family': 'ui-monospace, monospace',
        'background-color': c.node,
        'border-width': 1,
        'border-color': c.column,
      },
    },
    {
      selector: 'edge[kind = "column"]',
      style: {
        'line-color': c.column,
        'target-arrow-color': c.column,
        'curve-style': 'bezier',
        width: 1.5,
      },
    },
    {
      selector: 'edge[kind = "column"][label]',
      style: { width: 1.5, 'font-size': 9 },
    },
    {
      selector: 'edge[?indirect]',
      style: { 'line-style': 'dotted', opacity: 0.6 },
    },
    // Highlighting and fading win over the column styles above.
    {
      selector: 'edge[kind = "column"].hl',
      style: { 'line-color': c.hl, 'target-arrow-color': c.hl, width: 2.5 },
    },
    { selector: 'edge[kind = "column"].faded', style: { opacity: 0.15 } },
  ]
}
