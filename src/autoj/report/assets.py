# ruff: noqa: E501
"""The report page's stylesheet and item-browser script (plain JS, no dependencies).

The script reads items from a JSON script element and builds the list with `textContent` only.
"""

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#243447;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;opacity:.8;font-size:13px}main{padding:16px 28px;max-width:1400px}
section{background:#fff;border:1px solid #e3e3e3;border-radius:6px;margin:16px 0;padding:12px 16px}
h2{font-size:17px;margin:4px 0 10px}table{border-collapse:collapse;font-size:13px}
th,td{border-bottom:1px solid #eee;padding:5px 10px;text-align:left}th{background:#f3f5f7}
td.num{text-align:right;font-variant-numeric:tabular-nums}.note{color:#666;font-size:13px}
.grid{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:12px}
@media (max-width:1100px){.grid{grid-template-columns:minmax(0,1fr)}}.plot{min-width:0;overflow:hidden}
#filters{display:flex;flex-wrap:wrap;gap:10px;align-items:center;font-size:13px;margin-bottom:8px}
#filters select,#filters input{font-size:13px;padding:3px}
.item{border-top:1px solid #eee;padding:8px 2px}.item .meta{font-size:12px;color:#555}
.item .q{font-weight:600;margin:4px 0}.badge{display:inline-block;padding:1px 7px;border-radius:9px;
font-size:12px;margin-right:6px;background:#eef}.bad{background:#fde2e1}.good{background:#e3f6e8}
pre{white-space:pre-wrap;word-break:break-word;background:#f7f7f9;padding:8px;margin:4px 0;font-size:12px}
details summary{cursor:pointer;font-size:12px;color:#345}
#sort{display:flex;flex-wrap:wrap;gap:4px;align-items:center;font-size:13px;margin-bottom:6px}
#sort button{font-size:13px;padding:3px 9px;border:1px solid #d5d9de;border-radius:4px;background:#f3f5f7;
cursor:pointer}#sort button[aria-sort=ascending],#sort button[aria-sort=descending]{background:#dde6f3;
font-weight:600}
"""

BROWSER_JS = """
(function(){
const data = JSON.parse(document.getElementById('items-data').textContent);
const T = data.texts, items = data.items;
const byId = id => document.getElementById(id);
const fill = (sel, values) => values.forEach(v => { const o = document.createElement('option');
  o.value = v; o.textContent = v; sel.appendChild(o); });
fill(byId('f-run'), [...new Set(items.map(i => i.run))]);
fill(byId('f-scenario'), [...new Set(items.map(i => i.scenario))].sort());
fill(byId('f-verdict'), [...new Set(items.map(i => i.verdict))].sort());
// Sorting: ids compare as people read them ("2" before "10", "q9" before "q10"), so the default,
// by id, follows the input's lines (an input without ids gets its line numbers as ids), whatever
// order the judge finished in; a header clicked again reverses; empty values stay last; ties
// keep id order.
const collator = new Intl.Collator(undefined, {numeric: true});
const runs = [...new Set(items.map(i => i.run))];
const flag = v => v === null || v === undefined ? null : (v ? 1 : 0);
const SORTS = {id: i => i.id, run: i => runs.indexOf(i.run), scenario: i => i.scenario, verdict: i => i.verdict,
  consistent: i => flag(i.consistent), agrees: i => flag(i.agrees), length: i => i.lengths.reduce((a, b) => a + b, 0)};
let sortKey = 'id', sortDir = 1;
const cmp = (a, b) => typeof a === 'number' && typeof b === 'number' ? a - b : collator.compare(String(a), String(b));
function byIdThenRun(a, b){ return cmp(a.id, b.id) || runs.indexOf(a.run) - runs.indexOf(b.run); }
function sortItems(){
  const key = SORTS[sortKey];
  items.sort((a, b) => { const x = key(a), y = key(b);
    if (x === null || y === null) return (x === null) - (y === null) || byIdThenRun(a, b);
    return sortDir * cmp(x, y) || byIdThenRun(a, b); });
  document.querySelectorAll('#sort button').forEach(b => { const on = b.dataset.sort === sortKey;
    b.setAttribute('aria-sort', on ? (sortDir > 0 ? 'ascending' : 'descending') : 'none');
    b.textContent = b.dataset.heading + (on ? (sortDir > 0 ? ' \u25b2' : ' \u25bc') : ''); });
}
document.querySelectorAll('#sort button').forEach(b => { b.dataset.heading = b.textContent;
  if (items.every(i => SORTS[b.dataset.sort](i) === null)) b.style.display = 'none';  // nothing to sort on
  b.addEventListener('click', () => { sortDir = sortKey === b.dataset.sort ? -sortDir : 1;
    sortKey = b.dataset.sort; sortItems(); render(); }); });
sortItems();
let shown = 50;
function el(tag, text, cls){ const e = document.createElement(tag); if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls; return e; }
function matches(i){
  const run = byId('f-run').value, sc = byId('f-scenario').value, v = byId('f-verdict').value;
  const q = byId('f-text').value.toLowerCase();
  if (run && i.run !== run) return false;
  if (sc && i.scenario !== sc) return false;
  if (v && i.verdict !== v) return false;
  if (byId('f-disagree').checked && i.agrees !== false) return false;
  if (q && !(T[i.query] + ' ' + T[i.critique]).toLowerCase().includes(q)) return false;
  return true;
}
function render(){
  const list = byId('items'); list.replaceChildren();
  const hits = items.filter(matches);
  byId('count').textContent = hits.length + ' of ' + items.length + ' items';
  hits.slice(0, shown).forEach(i => {
    const box = el('div', undefined, 'item');
    const meta = el('div', undefined, 'meta');
    meta.appendChild(el('span', i.run, 'badge'));
    meta.appendChild(el('span', i.scenario + ' / ' + i.group, 'badge'));
    meta.appendChild(el('span', 'verdict: ' + i.verdict, 'badge ' + (i.agrees === false ? 'bad' : i.agrees ? 'good' : '')));
    if (i.label) meta.appendChild(el('span', 'label: ' + i.label, 'badge'));
    if (i.consistent !== null) meta.appendChild(el('span', i.consistent ? 'consistent' : 'order-dependent', 'badge'));
    meta.appendChild(el('span', 'length ' + i.lengths.join(' + '), 'badge'));
    meta.appendChild(el('span', 'id ' + i.id, 'id'));
    box.appendChild(meta);
    const query = T[i.query];
    box.appendChild(el('div', query.length > 300 ? query.slice(0, 300) + ' ...' : query, 'q'));
    if (query.length > 300) { const full = el('details'); full.appendChild(el('summary', 'full query'));
      full.appendChild(el('pre', query)); box.appendChild(full); }
    const texts = el('details'); texts.appendChild(el('summary', i.kind === 'pairwise' ? (i.names ? i.names.join(' vs ') : 'responses') : 'response'));
    i.responses.forEach((r, n) => { texts.appendChild(el('div', i.responses.length > 1 ? (i.names ? i.names[n] : 'Response ' + (n + 1)) : '', 'meta'));
      texts.appendChild(el('pre', T[r])); });
    box.appendChild(texts);
    if (i.rubric !== null) { const rubric = el('details');
      rubric.appendChild(el('summary', 'rubric (' + i.rubric_note + '): ' + T[i.rubric].split('\\n')[0].slice(0, 100)));
      rubric.appendChild(el('pre', T[i.rubric], 'rubric')); box.appendChild(rubric); }
    if (i.reference_answer !== null) { const ref = el('details'); ref.open = !data.collapsed;
      ref.appendChild(el('summary', 'reference answer')); ref.appendChild(el('pre', T[i.reference_answer], 'reference'));
      box.appendChild(ref); }
    const crit = el('details'); crit.open = !data.collapsed; crit.appendChild(el('summary', 'critique'));
    crit.appendChild(el('pre', T[i.critique] || '(no critique)'));
    if (i.swapped_critique !== null) { crit.appendChild(el('div', 'swapped order (its Response 1 is the original Response 2):', 'meta'));
      crit.appendChild(el('pre', T[i.swapped_critique] || '(no critique)')); }
    if (i.reason) crit.appendChild(el('div', 'status: ' + i.status + ' - ' + i.reason, 'meta'));
    box.appendChild(crit);
    list.appendChild(box);
  });
  byId('more').style.display = hits.length > shown ? '' : 'none';
}
['f-run','f-scenario','f-verdict','f-disagree','f-text'].forEach(id =>
  byId(id).addEventListener('input', () => { shown = 50; render(); }));
byId('more').addEventListener('click', () => { shown += 100; render(); });
render();
// plots drawn while the page was still loading get their final size now
window.addEventListener('load', () => window.dispatchEvent(new Event('resize')));
})();
"""
