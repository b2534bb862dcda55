// The page's entry: a tiny client-side router over three views, and link interception for deep links.
import { renderCatalog } from './catalog-view.ts'
import { syncClock } from './clock.ts'
import { renderDomain } from './domain-view.ts'
import { renderHome } from './home-view.ts'
import { renderTimeline } from './timeline-view.ts'
import { h, navigate } from './dom.ts'
import { renderIncidents } from './incidents-view.ts'
import { renderLineage } from './lineage-view.ts'
import { parseRoute } from './model.ts'
import { renderProduct } from './product-view.ts'
import { mountSearch } from './search-box.ts'

const app = document.getElementById('app')
let cleanup: (() => void) | undefined
let seq = 0
let first = true

async function render(): Promise<void> {
  if (!app) return
  const mine = ++seq
  cleanup?.()
  cleanup = undefined
  const route = parseRoute(location.pathname, location.search)
  document.body.dataset.view = route.view
  document.body.dataset.ready = 'false'
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a')) {
    a.classList.toggle(
      'active',
      a.dataset.nav ===
        (route.view === 'lineage' || route.view === 'incidents'
          ? route.view
          : route.view === 'home' || route.view === 'domain'
            ? 'home'
            : 'catalog'),
    )
  }
  try {
    if (route.view === 'home') await renderHome(app)
    else if (route.view === 'catalog') await renderCatalog(app)
    else if (route.view === 'domain') await renderDomain(app, route.name)
    else if (route.view === 'run') await renderTimeline(app, route)
    else if (route.view === 'product') await renderProduct(app, route.id)
    else if (route.view === 'lineage') cleanup = await renderLineage(app, route)
    else if (route.view === 'incidents') await renderIncidents(app, route.id)
    else app.replaceChildren(h('h1', {}, 'Not found'), h('p', {}, `No page at ${route.path}.`))
  } catch (e) {
    app.replaceChildren(
      h('h1', {}, 'Something went wrong'),
      h('p', { class: 'error' }, e instanceof Error ? e.message : String(e)),
    )
  }
  if (mine !== seq) return
  // The link that was followed went with the old view: start the next Tab at this view's content.
  if (!first && (document.activeElement === document.body || !document.activeElement))
    app.focus({ preventScroll: true })
  first = false
  document.body.dataset.ready = 'true'
}

document.addEventListener('click', (e) => {
  const a = e.target instanceof Element ? e.target.closest('a[data-link]') : null
  if (!(a instanceof HTMLAnchorElement) || e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0)
    return
  e.preventDefault()
  navigate(a.getAttribute('href') ?? '/')
})
addEventListener('popstate', () => void render())
const searchHost = document.getElementById('site-search-host')
if (searchHost) mountSearch(searchHost)
void syncClock().then(render)
