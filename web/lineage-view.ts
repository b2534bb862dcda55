import cytoscape from 'cytoscape'
import dagre from 'cytoscape-dagre'
import { api, ok, type ColumnLineage, type LineageFocus } from './api.ts'
import { cyStyle, edgeColour } from './cy-style.ts'
import { edgeImage } from './edge-image.ts'
import { h, link, navigate } from './dom.ts'
import {
  arrangeDomains,
  crossDomainSummary,
  domainNodeId,
  focusElements,
  foldModelJobs,
  layoutEdges,
  leafNode,
  overviewElements,
  reachable,
  type Box,
  type DomainGraphIn,
  type EdgeData,
  type Element,
  type NodeData,
  type OverviewIn,
} from './graph.ts'
import { columnElements } from './graph-columns.ts'
import { layeredLayout } from './layered-layout.ts'
import { withOrchestration, type OrchestrationIn } from './graph-orchestration.ts'
import { legend, renderSide, runSearch } from './lineage-side.ts'
import { lineageHref, type Route } from './model.ts'
import { sizeNodes } from './node-size.ts'

cytoscape.use(dagre)

type LineageRoute = Extract<Route, { view: 'lineage' }>

const LAYOUT = {
  name: 'dagre',
  rankDir: 'LR',
  nodeSep: 18,
  rankSep: 70,
  padding: 24,
  animate: false,
  fit: true,
} as const
const INNER_LAYOUT = { ...LAYOUT, ranker: 'longest-path', fit: false } as cytoscape.LayoutOptions
/**
 * Past this many nodes a domain is laid out by layeredLayout: dagre's ordering grows much faster than
 * the graph (a 5k-dataset domain took it minutes); below it dagre draws the better picture.
 */
const LAYERED_FROM = 1500
// Job shapes' largest size (cy-style.ts): they carry no measured w/h.
const JOB_BOX = { w: 28, h: 18 }

interface BigLayout {
  id: string
  /** child id → centre, relative to the layout's own centre box */
  pos: Map<string, { x: number; y: number }>
  /** the layout's centre and size */
  box: Box
}

/** layeredLayout for each expanded domain of more than LAYERED_FROM nodes, from its elements. */
function bigDomainLayouts(
  elements: readonly Element[],
  expanded: ReadonlyMap<string, DomainGraphIn>,
): BigLayout[] {
  const out: BigLayout[] = []
  for (const [name, g] of expanded) {
    if (g.nodes.length <= LAYERED_FROM) continue
    const id = domainNodeId(name)
    const nodes: { id: string; w: number; h: number }[] = []
    for (const el of elements)
      if (el.group === 'nodes' && el.data.parent === id)
        nodes.push({ id: el.data.id, w: el.data.w ?? JOB_BOX.w, h: el.data.h ?? JOB_BOX.h })
    const pos = layeredLayout(nodes, g.edges)
    let [x1, y1, x2, y2] = [Infinity, Infinity, -Infinity, -Infinity]
    for (const n of nodes) {
      const p = pos.get(n.id)
      if (!p) continue
      x1 = Math.min(x1, p.x - n.w / 2)
      x2 = Math.max(x2, p.x + n.w / 2)
      y1 = Math.min(y1, p.y - n.h / 2)
      y2 = Math.max(y2, p.y + n.h / 2)
    }
    if (nodes.length === 0) continue
    out.push({ id, pos, box: { x: (x1 + x2) / 2, y: (y1 + y2) / 2, w: x2 - x1, h: y2 - y1 } })
  }
  return out
}

/** cy.fit over boxes already known (centre and size), without measuring the elements. */
function fitBoxes(cy: cytoscape.Core, boxes: readonly Box[], padding: number): void {
  if (boxes.length === 0) return
  const x1 = Math.min(...boxes.map((b) => b.x - b.w / 2))
  const x2 = Math.max(...boxes.map((b) => b.x + b.w / 2))
  const y1 = Math.min(...boxes.map((b) => b.y - b.h / 2))
  const y2 = Math.max(...boxes.map((b) => b.y + b.h / 2))
  const zoom = Math.min(
    cy.maxZoom(),
    Math.max(
      cy.minZoom(),
      Math.min(
        (cy.width() - 2 * padding) / (x2 - x1 || 1),
        (cy.height() - 2 * padding) / (y2 - y1 || 1),
      ),
    ),
  )
  cy.viewport({
    zoom,
    pan: {
      x: cy.width() / 2 - zoom * ((x1 + x2) / 2),
      y: cy.height() / 2 - zoom * ((y1 + y2) / 2),
    },
  })
}

/**
 * The lineage page. Without `node`: the domain overview, a domain expands on click (and collapses on a
 * second click). With `node`: that node's neighbourhood, N dataset hops up and down, across domains.
 * `orchestration=true` in the URL draws the DAGs and tasks beside data lineage (a DAG expands on
 * click); `level=column` draws a dataset's neighbourhood column by column.
 */
export async function renderLineage(root: HTMLElement, route: LineageRoute): Promise<() => void> {
  const params = new URLSearchParams(location.search)
  const container = h('div', { id: 'cy', 'data-testid': 'lineage-graph', 'data-ready': 'false' })
  const side = h(
    'aside',
    { class: 'side', 'data-testid': 'node-panel' },
    h(
      'p',
      { class: 'muted' },
      route.node ? '' : 'Click a domain to expand it; click a dataset or job to see its lineage.',
    ),
  )
  const results = h('ul', { class: 'results', 'data-testid': 'search-results' })
  let timer = 0
  const search = h('input', {
    type: 'search',
    placeholder: 'Jump to a dataset or job…',
    'aria-label': 'search lineage',
    oninput: () => {
      clearTimeout(timer)
      timer = window.setTimeout(() => void runSearch(search.value, results), 150)
    },
  })
  const depth = h(
    'select',
    {
      'aria-label': 'hops',
      onchange: () => route.node && navigate(lineageHref(route.node, Number(depth.value))),
    },
    ...[1, 2, 3, 4, 5].map((d) =>
      h('option', { value: d, selected: d === route.depth }, `${d} hop${d > 1 ? 's' : ''}`),
    ),
  )
  const state = {
    overview: undefined as OverviewIn | undefined,
    expanded: new Map<string, DomainGraphIn>(),
    focus: undefined as LineageFocus | undefined,
    orchestration: params.get('orchestration') === 'true',
    dags: new Set<string>(),
    columns: params.get('level') === 'column' && (route.node ?? '').startsWith('dataset:'),
    columnLineage: undefined as ColumnLineage | undefined,
  }
  const orchToggle = h('input', {
    type: 'checkbox',
    'data-testid': 'orchestration-toggle',
    checked: state.orchestration,
    onchange: () => void setOrchestration(orchToggle.checked),
  })
  const levelButton = h('button', {
    type: 'button',
    'data-testid': 'column-level',
    'aria-pressed': state.columns ? 'true' : 'false',
    onclick: () => void setColumns(!state.columns),
  })
  const setLevelText = () => {
    levelButton.textContent = state.columns ? 'Table level' : 'Column level'
    levelButton.setAttribute('aria-pressed', state.columns ? 'true' : 'false')
  }
  setLevelText()
  root.replaceChildren(
    h(
      'div',
      { class: 'toolbar' },
      h('h1', {}, 'Lineage'),
      h('div', { class: 'search-box' }, search, results),
      h('label', {}, 'focus ', depth),
      h('label', { class: 'toggle' }, orchToggle, ' Orchestration'),
      route.node?.startsWith('dataset:') ? levelButton : null,
      route.node || route.domain
        ? link('/lineage', 'Overview', { class: 'button', 'data-testid': 'overview' })
        : null,
    ),
    legend(),
    h('div', { class: 'lineage' }, container, side),
  )

  const dark = matchMedia('(prefers-color-scheme: dark)').matches
  const cy = cytoscape({
    container,
    style: cyStyle(dark),
    minZoom: 0.05,
    maxZoom: 3,
    wheelSensitivity: 0.3,
  })
  // Exposed for the browser tests (they click nodes at their rendered positions) and for debugging.
  Object.assign(window, { meshwatchCy: cy })

  /** The URL says what is drawn: domain, orchestration, level (a reload draws the same). */
  const syncUrl = () => {
    const q = new URLSearchParams(location.search)
    if (!route.node) {
      q.delete('domain')
      if (state.expanded.size === 1) q.set('domain', [...state.expanded.keys()][0] ?? '')
    }
    if (state.orchestration) q.set('orchestration', 'true')
    else q.delete('orchestration')
    if (state.columns) q.set('level', 'column')
    else q.delete('level')
    const qs = q.toString()
    history.replaceState(null, '', `/lineage${qs ? `?${qs}` : ''}`)
  }

  const finish = (t0: number, center?: string) => {
    const c = center ? cy.getElementById(center) : undefined
    if (c && c.nonempty()) {
      c.select()
      // The whole neighbourhood is fitted; if that is too small to read, zoom in on the focused node.
      if (cy.zoom() < 0.5) cy.zoom({ level: 0.8, position: c.position() })
      showNode(c.data() as NodeData)
    }
    // Past ~60 edges their count labels are noise; the widths still show the heavy flows.
    if (cy.edges('[^kind]').length > 60) cy.edges('[^kind]').addClass('dense')
    container.dataset.nodes = String(cy.nodes().length)
    container.dataset.orchestrationEdges = String(
      cy.edges('[kind = "contains"], [kind = "runs"], [kind = "tests"], [kind = "after"]').length,
    )
    container.dataset.columnEdges = String(cy.edges('[kind = "column"]').length)
    container.dataset.timing = `draw ${(performance.now() - t0).toFixed(0)} ms`
    // ms since navigation start when the graph was drawn and its tap handlers live (the bench reads it).
    container.dataset.readyAt = performance.now().toFixed(0)
    container.dataset.ready = 'true'
  }
  const draw = (elements: Element[], center?: string) => {
    const t0 = performance.now()
    container.dataset.ready = 'false'
    cy.elements().remove()
    cy.add(sizeNodes(elements))
    cy.layout(LAYOUT).run()
    finish(t0, center)
  }
  const orchestrations = (): OrchestrationIn[] =>
    state.orchestration
      ? [...state.expanded.values()].flatMap((g) => (g.orchestration ? [g.orchestration] : []))
      : []
  // The overview: domains are placed once, collapsed; an opened domain's inside is laid out alone and
  // the other boxes make room. Laying out the whole compound graph at once takes dagre tens of seconds
  // on a 250-dataset domain; this takes about a tenth of a second.
  const basePos = new Map<string, Box>()
  // A big domain's inner edges: drawn on its box's image (edge-image.ts), not by Cytoscape; those of a
  // selected node are added as Cytoscape edges (lit) while it is selected.
  let innerEdges: EdgeData[] = []
  let lit = cy.collection()
  let images: string[] = []
  let drawn = 0
  // A big domain without orchestration is drawn with its dbt models folded into dataset → dataset
  // edges (a click on one describes its model); the answer is kept whole for a redraw with them.
  const folds = new WeakMap<DomainGraphIn, ReturnType<typeof foldModelJobs>>()
  const fold = (g: DomainGraphIn) => {
    let f = folds.get(g)
    if (!f) folds.set(g, (f = foldModelJobs(g)))
    return f
  }
  const drawnDomains = () =>
    new Map(
      [...state.expanded].map(([name, g]) => [
        name,
        g.nodes.length > LAYERED_FROM && !state.orchestration ? fold(g).graph : g,
      ]),
    )
  const drawOverview = (center?: string) => {
    if (!state.overview) return
    const t0 = performance.now()
    const gen = ++drawn
    container.dataset.ready = 'false'
    cy.elements().remove()
    innerEdges = []
    lit = cy.collection()
    for (const url of images) URL.revokeObjectURL(url)
    images = []
    if (basePos.size === 0) {
      cy.add(sizeNodes(overviewElements(state.overview, new Map())))
      const domainEdges = layoutEdges(
        cy.edges().map((e) => ({
          id: e.id(),
          source: e.source().id(),
          target: e.target().id(),
          count: Number(e.data('count') ?? 1),
        })),
      )
      const keep = new Set(domainEdges.map((e) => e.id))
      cy.nodes()
        .union(cy.edges().filter((e) => keep.has(e.id())))
        .layout(LAYOUT)
        .run()
      cy.nodes().forEach((n) => {
        basePos.set(n.id(), { ...n.position(), w: n.outerWidth(), h: n.outerHeight() })
      })
      if (state.expanded.size === 0) return finish(t0, center)
      cy.elements().remove()
    }
    const expanded = drawnDomains()
    const elements = sizeNodes(
      withOrchestration(overviewElements(state.overview, expanded), orchestrations(), state.dags),
    )
    // Small enough for dagre to lay out the compound graph whole (the best picture): do that.
    if (elements.length < 600) {
      cy.add(elements)
      cy.layout(LAYOUT).run()
      return finish(t0, center)
    }
    // A big domain's inside is laid out here, before Cytoscape sees it, and added last at its final
    // place: moving the children of a compound node one by one re-measures the whole box each time.
    const big = bigDomainLayouts(elements, expanded)
    const late = new Set(big.flatMap((b) => [...b.pos.keys()]))
    const isLate = (el: Element) =>
      el.group === 'nodes'
        ? late.has(el.data.id)
        : late.has(el.data.source) || late.has(el.data.target)
    const layoutOf = new Map(big.flatMap((b) => [...b.pos.keys()].map((id) => [id, b.id])))
    const collapsed = new Set(
      elements.flatMap((el) =>
        el.group === 'nodes' && el.data.kind === 'domain' && !el.data.expanded ? [el.data.id] : [],
      ),
    )
    // Not given to Cytoscape: edges inside one big layout (drawn on its image) and those from it into
    // collapsed domains (each pair drawn as one summary edge).
    const isInner = (el: Element) => {
      if (el.group !== 'edges' || el.data.kind) return false
      const s = layoutOf.get(el.data.source) ?? (collapsed.has(el.data.source) ? '' : undefined)
      const t = layoutOf.get(el.data.target) ?? (collapsed.has(el.data.target) ? '' : undefined)
      return s !== undefined && t !== undefined && (s === t || s === '' || t === '')
    }
    cy.add(big.length > 0 ? elements.filter((el) => !isLate(el)) : elements)
    const opened: [string, { w: number; h: number }, cytoscape.NodeCollection | null][] = big.map(
      (b) => [b.id, { w: b.box.w + 40, h: b.box.h + 60 }, null],
    )
    for (const name of state.expanded.keys()) {
      if (big.some((b) => b.id === domainNodeId(name))) continue
      const kids = cy.getElementById(domainNodeId(name)).descendants()
      kids.union(kids.edgesWith(kids)).layout(INNER_LAYOUT).run()
      let bb = kids.boundingBox()
      // A domain whose models mostly read other domains ranks into one tall column: wrap it in rank order.
      if (bb.h > 2.5 * bb.w && kids.length > 30) {
        const cols = Math.ceil(Math.sqrt(kids.length * 0.6))
        kids
          .layout({
            name: 'grid',
            fit: false,
            avoidOverlap: true,
            condense: true,
            cols,
            sort: (a, b) => a.position('x') - b.position('x') || a.position('y') - b.position('y'),
          })
          .run()
        bb = kids.boundingBox()
      }
      opened.push([domainNodeId(name), { w: bb.w + 40, h: bb.h + 60 }, kids])
    }
    const pos = arrangeDomains(
      basePos,
      opened.map(([id, size]) => [id, size] as const),
    )
    cy.batch(() => {
      cy.nodes('[kind = "domain"][!expanded]').forEach((n) => {
        const p = pos.get(n.id())
        if (p) n.position({ x: p.x, y: p.y })
      })
      for (const [id, , kids] of opened) {
        const p = pos.get(id)
        if (!kids || !p) continue
        const bb = kids.boundingBox()
        kids.shift({ x: p.x - (bb.x1 + bb.w / 2), y: p.y - (bb.y1 + bb.h / 2) })
      }
    })
    if (big.length > 0) {
      for (const b of big) {
        const p = pos.get(b.id) ?? { x: 0, y: 0 }
        for (const [id, q] of b.pos)
          b.pos.set(id, { x: q.x - b.box.x + p.x, y: q.y - b.box.y + p.y })
      }
      const at = new Map(big.flatMap((b) => [...b.pos]))
      // Not a compound node: Cytoscape re-dirties a compound's whole family for every style property
      // of every child (seconds at 5k), so the box is a plain node drawn behind its nodes.
      for (const b of big) {
        const p = pos.get(b.id)
        cy.getElementById(b.id)
          .data({ w: b.box.w, h: b.box.h })
          .position(p ? { x: p.x, y: p.y } : { x: 0, y: 0 })
          .addClass('backdrop')
      }
      for (const el of elements) if (el.group === 'edges' && isInner(el)) innerEdges.push(el.data)
      // Created dense (finish() would restyle every edge of them a second time).
      cy.add(
        elements
          .filter((el) => isLate(el) && !isInner(el))
          .map((el) => {
            if (el.group !== 'nodes') return el.data.kind ? el : { ...el, classes: 'dense' }
            const { parent: _parent, ...data } = el.data
            return { ...el, data, position: at.get(el.data.id) }
          }),
      )
    }
    cy.batch(() => {
      cy.edges('[source ^= "domain:"], [target ^= "domain:"]').addClass('cross')
      cy.add(crossDomainSummary(elements)).addClass('summary')
    })
    // Fitting measures every element (labels too): from the boxes already known it is one step.
    if (big.length === 0) return (cy.fit(undefined, 24), finish(t0, center))
    fitBoxes(cy, [...pos.values()], 24)
    const at = new Map(big.flatMap((b) => [...b.pos]))
    void Promise.all(
      big.map(async (b) => {
        const p = pos.get(b.id) ?? { x: 0, y: 0 }
        const box = { x: p.x, y: p.y, w: b.box.w, h: b.box.h }
        const mine = innerEdges.filter(
          (e) => layoutOf.get(e.source) === b.id && layoutOf.get(e.target) === b.id,
        )
        const url = await edgeImage(box, at, mine, edgeColour(dark))
        if (!url || gen !== drawn) return url && URL.revokeObjectURL(url)
        images.push(url)
        cy.getElementById(b.id).style({
          'background-image': url,
          'background-width': b.box.w,
          'background-height': b.box.h,
          'background-fit': 'none',
          'background-clip': 'none',
          'background-image-opacity': 1,
        })
      }),
    ).then(() => gen === drawn && finish(t0, center))
  }
  const drawFocus = () => {
    const f = state.focus
    if (!f) return
    if (state.columns && state.columnLineage) {
      const els = columnElements(Number(f.root.slice('dataset:'.length)), state.columnLineage)
      if (els.some((e) => e.group === 'edges')) return draw(els, f.root)
      side.prepend(
        h(
          'p',
          { class: 'muted', 'data-testid': 'no-column-lineage' },
          'No column lineage recorded for this dataset.',
        ),
      )
    }
    const orch = state.orchestration && f.orchestration ? [f.orchestration] : []
    draw(withOrchestration(focusElements(f), orch, state.dags), f.root)
  }
  const redraw = (center?: string) => (route.node ? drawFocus() : drawOverview(center))

  const fetchDomain = async (name: string) =>
    ok(
      await api.api.lineage.domains[':domain'].$get({
        param: { domain: encodeURIComponent(name) },
        query: { orchestration: state.orchestration ? 'true' : 'false' },
      }),
    )
  const fetchFocus = async (node: string) =>
    ok(
      await api.api.lineage.focus.$get({
        query: {
          node,
          depth: String(route.depth * 2),
          orchestration: state.orchestration ? 'true' : 'false',
        },
      }),
    )

  const toggleDomain = async (name: string) => {
    if (state.expanded.has(name)) state.expanded.delete(name)
    else {
      const g = await fetchDomain(name)
      if (g) state.expanded.set(name, g)
    }
    syncUrl()
    redraw()
  }
  const setOrchestration = async (on: boolean) => {
    state.orchestration = on
    if (on) {
      // Fetched once per domain / focus with its orchestration; drawn or hidden from then on.
      if (route.node && state.focus && !state.focus.orchestration)
        state.focus = (await fetchFocus(route.node)) ?? state.focus
      for (const [name, g] of state.expanded)
        if (!g.orchestration) state.expanded.set(name, (await fetchDomain(name)) ?? g)
    }
    syncUrl()
    redraw()
  }
  const setColumns = async (on: boolean) => {
    state.columns = on
    setLevelText()
    if (on && !state.columnLineage && route.node)
      state.columnLineage = await ok(
        await api.api.datasets[':id']['column-lineage'].$get({
          param: { id: route.node.slice('dataset:'.length) },
        }),
      )
    syncUrl()
    redraw()
  }
  const toggleDag = (id: string) => {
    if (state.dags.has(id)) state.dags.delete(id)
    else state.dags.add(id)
    redraw()
    // Not focused (that would fade its tasks, which no data edge reaches): only described.
    const dag = cy.getElementById(id)
    if (dag.nonempty()) void renderSide(side, dag.data() as NodeData, sideActions())
  }
  const sideActions = () => ({
    ...(state.orchestration ? { toggleDag } : {}),
    dagExpanded: (id: string) => state.dags.has(id),
  })

  const showNode = (d: NodeData) => {
    if (d.kind === 'domain') return
    // Column level: the edges join columns, a dataset is the box of its columns. A dataset's lineage
    // is its columns' (each one's path to its ends: the graph holds only this neighbourhood).
    const columnLevel = cy.edges('[kind = "column"]').nonempty()
    const hops = columnLevel ? Infinity : route.depth * 2
    const starts =
      columnLevel && d.kind === 'dataset'
        ? [
            d.id,
            ...cy
              .getElementById(d.id)
              .children()
              .map((n) => n.id()),
          ]
        : [d.id]
    lit.remove()
    const edges = [
      ...cy
        .edges(':not(.summary)')
        .map((e) => ({ source: e.source().id(), target: e.target().id() })),
      ...innerEdges,
    ]
    const near = new Set(
      starts.flatMap((id) => [
        ...reachable(edges, id, hops, 'up'),
        ...reachable(edges, id, hops, 'down'),
      ]),
    )
    lit = cy.add(
      innerEdges
        .filter((e) => near.has(e.source) && near.has(e.target))
        .map((data) => ({ group: 'edges' as const, data, classes: 'dense' })),
    )
    cy.batch(() => {
      cy.elements().removeClass('faded hl')
      // A box's opacity is its children's too: at column level a dataset box is faded only when none
      // of its columns is lit (a domain or DAG box never).
      const litBoxes = new Set(
        cy
          .nodes('[kind = "column"]')
          .map((n) => (near.has(n.id()) ? String(n.data('parent')) : '')),
      )
      cy.nodes().forEach((n) => {
        if (n.data('kind') === 'domain' || near.has(n.id())) return
        if (!n.isParent()) n.addClass('faded')
        else if (columnLevel && !litBoxes.has(n.id())) n.addClass('faded')
      })
      cy.edges().forEach((e) => {
        if (near.has(e.source().id()) && near.has(e.target().id())) e.addClass('hl')
        else e.addClass('faded')
      })
    })
    void renderSide(side, d, sideActions())
  }

  cy.on('tap', 'node', (evt) => {
    const d = evt.target.data() as NodeData
    if (d.kind === 'domain' && !route.node) void toggleDomain(d.id.slice('domain:'.length))
    else if (d.kind === 'job' && d.jobType === 'airflow_dag' && state.orchestration) toggleDag(d.id)
    else showNode(d)
  })
  cy.on('tap', 'edge', (evt) => {
    const job = evt.target.data('job') as string | undefined
    const g = job ? [...state.expanded.values()].find((d) => fold(d).jobs.has(job)) : undefined
    const n = g && job ? fold(g).jobs.get(job) : undefined
    if (!g || !n) return
    // The model's edges highlighted, the model described: it is no node of the graph.
    cy.batch(() => {
      cy.elements().removeClass('faded hl')
      cy.edges()
        .filter((e) => e.data('job') === job)
        .addClass('hl')
    })
    void renderSide(side, leafNode(n, domainNodeId(g.domain)).data as NodeData, sideActions())
  })
  cy.on('tap', (evt) => {
    if (evt.target !== cy) return
    lit.remove()
    cy.elements().removeClass('faded hl')
  })

  if (route.node) {
    const focus = await fetchFocus(route.node)
    if (!focus) side.replaceChildren(h('p', {}, `Unknown node ${route.node}.`))
    else {
      state.focus = focus
      if (state.columns) await setColumns(true)
      else drawFocus()
      if (focus.truncated)
        side.prepend(h('p', { class: 'warn' }, 'Large neighbourhood: truncated.'))
    }
  } else {
    state.overview = await ok(await api.api.lineage.overview.$get())
    if (route.domain) {
      const g = await fetchDomain(route.domain)
      if (g) state.expanded.set(route.domain, g)
    }
    drawOverview()
  }
  return () => cy.destroy()
}
