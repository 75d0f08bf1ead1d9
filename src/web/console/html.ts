/**
 * An `html` tagged template that escapes every interpolated value unless it is already Html.
 * Everything an event, the model or a user wrote goes through it; nothing is concatenated raw.
 */

export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"'`]/g, (c) => ESCAPES[c] ?? c);
}

function render(value: unknown): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(value);
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

/** For markup this code wrote itself (never for data). */
export function trusted(markup: string): Html {
  return new Html(markup);
}

export const STYLE = `
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2328;background:#f3f4f6}
a{color:#0b5cad}a:focus-visible,button:focus-visible,summary:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible{outline:3px solid #0b5cad;outline-offset:2px}
header{background:#1f2933;color:#fff;padding:.5rem 1rem;display:flex;gap:.25rem 1rem;flex-wrap:wrap;align-items:center}
header a{color:#fff;text-decoration:none;padding:.2rem .1rem}header a.brand{font-weight:700;margin-right:.5rem}
header nav{display:flex;gap:.9rem;flex-wrap:wrap}header nav a{color:#d0d7de}header nav a[aria-current=page]{color:#fff;border-bottom:2px solid #7cc0ff}
header form{margin-left:auto;display:flex;gap:.5rem;align-items:center}header .who{color:#d0d7de;font-size:.9rem}
header button{background:transparent;color:#fff;border-color:#57606a;padding:.2rem .6rem}
main{max-width:74rem;margin:0 auto;padding:1rem}
h1{font-size:1.35rem;margin:.2rem 0 .8rem}h2{font-size:1.1rem;margin:1rem 0 .5rem}h3{font-size:1rem;margin:.2rem 0}
.card>h2:first-child,section.card>h2{margin-top:0}
.card{background:#fff;border:1px solid #d8dee4;border-radius:8px;padding:.9rem 1rem;margin:0 0 1rem}
.card.flush{padding:0}.card.calm{color:#1a5c2a;background:#f0faf2;border-color:#b7e2c1}
.meta{color:#59636e;font-size:.88rem}.count{display:inline-block;min-width:1.6rem;padding:0 .45rem;border-radius:1rem;background:#e6e9ed;color:#1f2328;font-size:.85rem;text-align:center;vertical-align:middle}
.score{font-weight:700}
.status{display:inline-block;padding:.05rem .5rem;border-radius:1rem;font-size:.82rem;background:#eaeef2;color:#24292f;white-space:nowrap}
.s-wait{background:#fff1c2;color:#5c3b00}.s-go{background:#ddf0ff;color:#0a3d6e}.s-ok{background:#dafbe1;color:#0f5223}.s-bad{background:#ffe4e1;color:#8a1120}.s-off{background:#eaeef2;color:#424a53}
.risk{display:inline-block;padding:.1rem .5rem;border-radius:4px;font-weight:700;font-size:.85rem;white-space:nowrap}
.risk.low{background:#dafbe1;color:#0f5223}.risk.mid{background:#fff1c2;color:#5c3b00}.risk.high{background:#ffe4e1;color:#8a1120}
.head{display:flex;gap:.6rem;align-items:baseline;flex-wrap:wrap}.head h1,.head h2{margin:0;flex:1 1 12rem;word-break:break-word}.head .left{font-size:.88rem;color:#59636e}
time{text-decoration:underline dotted #8c959f;text-underline-offset:2px}time.soon{color:#8a1120;font-weight:600}
pre,.pre{white-space:pre-wrap;word-break:break-word;background:#f6f8fa;padding:.5rem .6rem;border-radius:4px;font-size:.88rem;margin:.4rem 0}
.decision .reasoning{max-height:9.5em;overflow:auto}
code{font-size:.88em;word-break:break-word}
table{width:100%;border-collapse:collapse;font-size:.9rem}th,td{text-align:left;padding:.35rem .45rem;border-bottom:1px solid #e6e9ed;vertical-align:top}thead th{color:#424a53;font-weight:600;font-size:.82rem}
table.compact{max-width:24rem}
.badge{background:#5a32a3;color:#fff;border-radius:1rem;padding:.1rem .5rem;font-size:.8rem;vertical-align:middle}.card.shadow{background:#f6f0ff;border-color:#d8c7f5}
.scroll{overflow-x:auto}
input,select,textarea,button{font:inherit;padding:.4rem .55rem;border:1px solid #aeb6bf;border-radius:6px;max-width:100%;background:#fff;color:#1f2328}
button{cursor:pointer}button.approve{background:#1a7f37;color:#fff;border-color:#1a7f37;font-weight:600}button.reject{background:#fff;color:#a40e26;border-color:#a40e26;font-weight:600}
.actions{display:flex;gap:.5rem;flex-wrap:wrap;align-items:center;margin-top:.6rem}.actions input[type=text]{flex:1 1 12rem;min-width:0}
.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end}.filters label{display:flex;flex-direction:column;font-size:.85rem}
.error{background:#fff0ee;border-color:#ff8182}.ok{background:#eefbf1;border-color:#4ac26b}
.note{margin:.35rem 0;padding:.3rem .6rem;border-left:3px solid #8c959f;background:#f6f8fa;font-size:.9rem}
.note.shadow{border-color:#6f42c1;background:#f5f0ff}.note.stale,.note.v-failed,.note.v-reverted{border-color:#cf222e;background:#fff0ee}.note.v-passed{border-color:#1a7f37;background:#eefbf1}
.warn-text{color:#7a4a00}.bad-text{color:#a40e26}
.strip{display:flex;flex-wrap:wrap;gap:.4rem 1.5rem;padding:.55rem 1rem;margin:0 0 1rem;background:#fff;border:1px solid #d8dee4;border-radius:8px;font-size:.9rem}
.strip .k{color:#59636e;margin-right:.25rem}.strip .paused{color:#8a1120}.strip .paused strong{background:#ffe4e1;padding:0 .35rem;border-radius:4px}
.columns{display:grid;grid-template-columns:minmax(0,1.7fr) minmax(0,1fr);gap:1rem;align-items:start}
@media (max-width:52rem){.columns{grid-template-columns:minmax(0,1fr)}}
article.decision{border-left:4px solid #bf8700}
ul.incidents{list-style:none;margin:0;padding:0}ul.incidents li{padding:.45rem 0;border-bottom:1px solid #e6e9ed}ul.incidents li:last-child{border-bottom:0}
.reasoning-now{color:#5c3b00;font-style:italic}
dl.figures{display:grid;grid-template-columns:repeat(auto-fit,minmax(5.5rem,1fr));gap:.5rem;margin:0 0 .6rem}
dl.figures div{background:#f6f8fa;border-radius:6px;padding:.4rem .6rem}dl.figures .sub{display:block;font-size:.82rem;font-weight:600}dl.figures dt{font-size:.8rem;color:#59636e}dl.figures dd{margin:0;font-size:1.15rem;font-weight:600}
dl.params{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.15rem .8rem;margin:0}dl.params div{display:contents}dl.params dt{color:#59636e}dl.params dd{margin:0}
.risk-chart{max-width:46rem}.risk-chart .factor{display:grid;grid-template-columns:minmax(5rem,9rem) minmax(0,1fr) 3rem;gap:0 .6rem;align-items:center;padding:.2rem 0}
.risk-chart .name{font-weight:600;font-size:.88rem;word-break:break-word}.risk-chart .delta{text-align:right;font-variant-numeric:tabular-nums;font-weight:600}
.risk-chart .reason{grid-column:1/-1;color:#59636e;font-size:.85rem;padding:0 0 .2rem}
.risk-chart .total{border-top:1px solid #d8dee4;margin-top:.2rem;padding-top:.4rem}
.risk-chart svg.bar{width:100%;height:1.1rem;display:block}
.risk-chart rect.up{fill:#d1242f}.risk-chart rect.down{fill:#1a7f37}.risk-chart rect.sum{fill:#57606a}.risk-chart rect.sum.over{fill:#9a6700}.risk-chart rect.sum.under{fill:#1a7f37}
.risk-chart line{stroke-width:2;stroke-dasharray:3 2}.risk-chart line.threshold{stroke:#24292f}.risk-chart line.two-person{stroke:#8250df}
.legend .key{display:inline-block;width:1.2rem;border-top:2px dashed #24292f;vertical-align:middle}.legend .key.two-person{border-color:#8250df}
ol.timeline{list-style:none;padding:0;margin:0}
ol.timeline li{border-left:3px solid #d8dee4;padding:.25rem .7rem;margin:.2rem 0;display:grid;grid-template-columns:6.5rem minmax(0,1fr) auto;gap:0 .6rem;align-items:baseline}
ol.timeline li time{font-size:.82rem;color:#59636e}
ol.timeline li.t-ok{border-color:#1a7f37}ol.timeline li.t-bad{border-color:#cf222e}ol.timeline li.t-warn{border-color:#bf8700}ol.timeline li.t-info{border-color:#0969da}
ol.timeline li.t-quiet .what{color:#59636e;font-size:.9rem}
ol.timeline details.raw summary{font-size:.8rem;color:#0b5cad;cursor:pointer}ol.timeline details.raw[open]{grid-column:1/-1}
td time,.meta time{white-space:nowrap}
@media (max-width:40rem){
header{padding:.45rem .7rem}header nav{order:3;flex-basis:100%;gap:.75rem;font-size:.92rem}header form{margin-left:auto}
.head h1,.head h2{flex-basis:100%;order:2}
.actions input[type=text]{flex-basis:100%}.actions button{flex:1 1 0}
.risk-chart .factor{grid-template-columns:minmax(0,1fr) 3rem}.risk-chart svg.bar{grid-column:1/-1;grid-row:2}
ol.timeline li{grid-template-columns:minmax(0,1fr) auto}ol.timeline li time{grid-column:1/-1}main{padding:.6rem}
.incidents-table thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0,0,0,0)}
.incidents-table tr{display:block;border-bottom:1px solid #e6e9ed;padding:.45rem .7rem}
.incidents-table td{display:inline-block;border:0;padding:.1rem .7rem .1rem 0;font-size:.88rem}
.incidents-table td:first-child,.incidents-table td:last-child{display:block;font-size:inherit;padding-right:0}
.incidents-table td[data-label]::before{content:attr(data-label) " ";color:#59636e}
}
header a:focus-visible,header button:focus-visible{outline-color:#7cc0ff}
.skip{position:absolute;left:-999px;top:0;background:#fff;color:#0b5cad;padding:.5rem 1rem;z-index:1}.skip:focus{left:.5rem;top:.5rem}
.sr-only{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}
`;

export function page(title: string, body: Html, opts: { nav?: Html } = {}): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin"><title>${title} · SRE agent</title><style>${trusted(STYLE)}</style></head>
<body>${opts.nav ? html`<a class="skip" href="#main">Skip to content</a>${opts.nav}` : ''}<main id="main">${body}</main></body></html>`.value;
}
