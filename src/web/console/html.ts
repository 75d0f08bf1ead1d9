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
*{box-sizing:border-box}body{font:16px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}
header{background:#1b1f24;color:#fff;padding:.6rem 1rem;display:flex;gap:1rem;flex-wrap:wrap;align-items:center}
header a{color:#fff;text-decoration:none;font-weight:600}header form{margin-left:auto}
main{max-width:60rem;margin:0 auto;padding:1rem}
.card{background:#fff;border:1px solid #d7dbe0;border-radius:8px;padding:1rem;margin:0 0 1rem}
.badge{background:#5a32a3;color:#fff;border-radius:1rem;padding:.1rem .5rem;font-size:.8rem;vertical-align:middle}.card.shadow{background:#f6f0ff}.meta{color:#57606a;font-size:.9rem}.score{font-weight:700}.status{display:inline-block;padding:.1rem .5rem;border-radius:1rem;background:#eef;font-size:.85rem}
pre,.pre{white-space:pre-wrap;word-break:break-word;background:#f6f8fa;padding:.5rem;border-radius:4px;font-size:.9rem}
table{width:100%;border-collapse:collapse;font-size:.9rem}th,td{text-align:left;padding:.35rem;border-bottom:1px solid #e1e4e8;vertical-align:top}
.scroll{overflow-x:auto}
input,select,textarea,button{font:inherit;padding:.45rem;border:1px solid #c4c9cf;border-radius:6px;max-width:100%}
button{cursor:pointer;background:#fff}button.approve{background:#1a7f37;color:#fff;border-color:#1a7f37}button.reject{background:#cf222e;color:#fff;border-color:#cf222e}
.actions{display:flex;gap:.5rem;flex-wrap:wrap;align-items:center}.actions input[type=text]{flex:1;min-width:10rem}
.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end}.filters label{display:flex;flex-direction:column;font-size:.85rem}
.error{background:#ffebe9;border-color:#ff8182}.ok{background:#dafbe1;border-color:#4ac26b}
ul.timeline{list-style:none;padding:0}ul.timeline li{border-left:3px solid #d7dbe0;padding:.2rem .7rem;margin:.3rem 0}
`;

export function page(title: string, body: Html, opts: { nav?: Html } = {}): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin"><title>${title} · SRE agent</title><style>${trusted(STYLE)}</style></head>
<body>${opts.nav ?? ''}<main>${body}</main></body></html>`.value;
}
