import type { StylesheetJson } from 'cytoscape'

export const STATUS_COLOURS = {
  ok: '#2e7d32',
  warn: '#e0a100',
  breach: '#c62828',
  unknown: '#8a8f98',
} as const

const byStatus = (kind: string, prop: string): StylesheetJson =>
  Object.entries(STATUS_COLOURS).map(([status, colour]) => ({
    selector: `node[kind = "${kind}"][status = "${status}"]`,
    style: { [prop]: colour },
  }))

/** Domains are boxes (compound when expanded), datasets rounded rectangles, jobs small ellipses, products bold. */
export const CY_STYLE: StylesheetJson = [
  {
    selector: 'node',
    style: {
      label: 'data(label)',
      'font-size': 11,
      'font-family': 'system-ui, sans-serif',
      color: '#1d2330',
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
      'background-color': '#fff',
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
      color: '#4a5366',
      'border-width': 2,
      'border-color': '#1d2330',
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
  { selector: 'node[jobType = "airflow_dag"]', style: { shape: 'barrel', width: 28, height: 16 } },
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
      'background-color': '#eef3ff',
    },
  },
  {
    selector: 'node[kind = "domain"]',
    style: {
      shape: 'round-rectangle',
      'background-color': '#f4f6fa',
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
      'line-color': '#9aa3b2',
      'target-arrow-color': '#9aa3b2',
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
      'text-background-color': '#fff',
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
      'text-background-color': '#fff',
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
    style: { 'line-color': '#3867d6', 'target-arrow-color': '#3867d6', width: 2.5 },
  },
]
