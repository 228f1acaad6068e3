#!/usr/bin/env python3
"""Writes http-bridge/assets/docs.html, the human-readable page of the
legacy API that billing-bridge serves at /docs, from
http-bridge/assets/openapi.json (served at /openapi.json).

Run it by hand after editing openapi.json and commit both files; the
build only embeds them (cmake/embed.cmake), and ctest bridge_docs fails
when docs.html is not what this script makes of openapi.json.

    scripts/gen_api_docs.py [--openapi FILE] [--out FILE]

The page is self-contained: inline CSS, no scripts, no external
resources. Descriptions in openapi.json are Markdown (the subset below:
headings, paragraphs, lists, tables, `code` and **strong**).
"""
import argparse
import html
import json
import os
import re
import shlex
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_IN = os.path.join(ROOT, "http-bridge", "assets", "openapi.json")
DEFAULT_OUT = os.path.join(ROOT, "http-bridge", "assets", "docs.html")
BASE_URL = "http://127.0.0.1:8091"  # billing-bridge's default --listen

CSS = """
:root { --fg: #1d232b; --muted: #5b6570; --bg: #fff; --panel: #f5f7f9;
  --line: #d9dee3; --accent: #1f5fa8; --get: #1d7a46; --post: #9a5b00;
  --code: #f0f2f4; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e3e7eb; --muted: #9aa4ae; --bg: #14181c; --panel: #1c2127;
    --line: #313840; --accent: #7ab3f0; --get: #5fcf8e; --post: #f0b35c;
    --code: #232a31; }
}
* { box-sizing: border-box; }
html { scroll-padding-top: 1rem; }
body { margin: 0; color: var(--fg); background: var(--bg);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto,
  "Helvetica Neue", Arial, sans-serif; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas,
  "Liberation Mono", monospace; font-size: 0.9em; }
code { background: var(--code); padding: 0.05em 0.3em; border-radius: 3px;
  overflow-wrap: anywhere; }
pre { background: var(--code); padding: 0.75rem 1rem; border-radius: 6px;
  overflow-x: auto; line-height: 1.4; }
pre code { background: none; padding: 0; overflow-wrap: normal; }
.layout { display: grid; grid-template-columns: 16rem minmax(0, 1fr);
  max-width: 84rem; margin: 0 auto; }
nav { position: sticky; top: 0; align-self: start; max-height: 100vh;
  overflow-y: auto; padding: 1.25rem 1rem; border-right: 1px solid
  var(--line); font-size: 0.9em; }
nav ul { list-style: none; margin: 0; padding: 0; }
nav ul ul { padding-left: 0.9rem; }
nav li { margin: 0.15rem 0; }
nav .title { font-weight: 600; margin-bottom: 0.75rem; }
main { padding: 1.25rem 2.25rem 4rem; min-width: 0; }
h1 { font-size: 1.7rem; margin: 0.2rem 0 0.8rem; }
h2 { font-size: 1.35rem; margin-top: 2.6rem; padding-top: 0.6rem;
  border-top: 2px solid var(--line); }
h3 { font-size: 1.12rem; margin-top: 2rem; }
h4 { font-size: 1rem; margin: 1.2rem 0 0.4rem; }
.lead { color: var(--muted); }
table { border-collapse: collapse; width: 100%; margin: 0.6rem 0 1rem;
  font-size: 0.93em; }
th, td { border: 1px solid var(--line); padding: 0.35rem 0.55rem;
  text-align: left; vertical-align: top; }
th { background: var(--panel); font-weight: 600; }
.action { border: 1px solid var(--line); border-radius: 8px;
  padding: 0.2rem 1.1rem 0.6rem; margin: 1.2rem 0; background: var(--bg); }
.action h3 { margin-top: 0.9rem; }
.badge { display: inline-block; font-size: 0.75em; font-weight: 700;
  letter-spacing: 0.03em; border-radius: 4px; padding: 0.05rem 0.45rem;
  margin-left: 0.5rem; vertical-align: middle; border: 1px solid; }
.badge.get { color: var(--get); }
.badge.post { color: var(--post); }
.muted { color: var(--muted); }
.note { background: var(--panel); border-left: 3px solid var(--accent);
  padding: 0.5rem 0.9rem; margin: 1rem 0; }
@media (max-width: 52rem) {
  .layout { display: block; }
  nav { position: static; max-height: none; border-right: 0;
    border-bottom: 1px solid var(--line); }
  main { padding: 1rem; }
}
"""


# --- a small Markdown subset ----------------------------------------------
def inline(text):
    """`code`, **strong** and arrows; everything else escaped."""
    out = []
    for i, part in enumerate(text.split("`")):
        if i % 2 == 1:
            out.append("<code>" + html.escape(part, quote=False) + "</code>")
            continue
        s = html.escape(part, quote=False)
        s = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", s)
        s = s.replace(" -&gt; ", " → ").replace(" &gt;= ", " ≥ ")
        s = s.replace(" &lt;= ", " ≤ ")
        out.append(s)
    return "".join(out)


def slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def markdown(text, shift=0):
    """HTML of a Markdown text; headings shifted down by shift levels."""
    lines = text.split("\n")
    out = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        m = re.match(r"^(#{1,6}) (.*)$", line)
        if m:
            level = min(6, len(m.group(1)) + shift)
            out.append(f'<h{level} id="{slug(m.group(2))}">'
                       f"{inline(m.group(2))}</h{level}>")
            i += 1
            continue
        if line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                rows.append([c.strip() for c in
                             lines[i].strip().strip("|").split(" | ")])
                i += 1
            out.append(table(rows[0], rows[2:]))
            continue
        m = re.match(r"^(- |\d+\. )", line)
        if m:
            tag = "ul" if m.group(1) == "- " else "ol"
            items = []
            while i < len(lines) and lines[i].strip():
                m2 = re.match(r"^(- |\d+\. )(.*)$", lines[i])
                if m2:
                    items.append(m2.group(2))
                else:
                    items[-1] += " " + lines[i].strip()
                i += 1
            out.append(f"<{tag}>" + "".join(
                f"<li>{inline(it)}</li>" for it in items) + f"</{tag}>")
            continue
        para = []
        while i < len(lines) and lines[i].strip() and not re.match(
                r"^(#{1,6} |\||- |\d+\. )", lines[i]):
            para.append(lines[i].strip())
            i += 1
        out.append("<p>" + inline(" ".join(para)) + "</p>")
    return "\n".join(out)


def table(head, rows, raw=False):
    """A table; cells are Markdown (inline) unless raw (HTML)."""
    cell = (lambda c: c) if raw else inline
    h = "".join(f"<th>{cell(c)}</th>" for c in head)
    b = "".join("<tr>" + "".join(f"<td>{cell(c)}</td>" for c in r) + "</tr>"
                for r in rows)
    return f"<table><thead><tr>{h}</tr></thead><tbody>{b}</tbody></table>"


# --- the OpenAPI document ------------------------------------------------
class Doc:
    def __init__(self, d):
        self.d = d

    def get(self, pointer):
        node = self.d
        for p in pointer.lstrip("#/").split("/"):
            node = node[p.replace("~1", "/").replace("~0", "~")]
        return node

    def schema(self, s):
        """s with a lone $ref (or a one-element allOf) resolved."""
        while True:
            if "$ref" in s:
                s = self.get(s["$ref"])
            elif "allOf" in s and len(s["allOf"]) == 1 and \
                    "$ref" in s["allOf"][0] and "properties" not in s:
                merged = dict(self.get(s["allOf"][0]["$ref"]))
                merged.update({k: v for k, v in s.items() if k != "allOf"})
                s = merged
            else:
                return s

    def rule(self, s):
        """A short human rule of a parameter's schema."""
        if "title" in s:
            return s["title"]
        if "allOf" in s and "$ref" in s["allOf"][0]:
            return self.get(s["allOf"][0]["$ref"]).get("title", "")
        if "$ref" in s:
            return self.get(s["$ref"]).get("title", "")
        if "enum" in s:
            return "one of " + ", ".join(f"`{v}`" for v in s["enum"])
        if "maxLength" in s:
            return f"text, at most {s['maxLength']} bytes"
        if "pattern" in s and len(s["pattern"]) <= 24:
            return f"text `{s['pattern'][1:-1]}`"
        return "text"

    def out_type(self, s):
        """A short human type of a response field's schema: the title of
        a value kind, or a link to an object's table."""
        if "anyOf" in s:
            return " or ".join(
                "null" if x["$ref"].endswith("/Null") else
                objlink(x["$ref"].rsplit("/", 1)[1]) for x in s["anyOf"])
        ref = s.get("$ref") or (s["allOf"][0].get("$ref")
                                if len(s.get("allOf", [])) == 1 else None)
        target = self.get(ref) if ref else s
        if ref and "title" not in target:
            t = objlink(ref.rsplit("/", 1)[1])
        elif "title" in target:
            t = target["title"]
        elif target.get("type") == "array":
            t = "array of " + self.out_type(target["items"])
        elif "enum" in target:
            vals = [v for v in target["enum"] if v is not None]
            t = target.get("type", "") + " " + ", ".join(
                "`" + (str(v).lower() if isinstance(v, bool) else str(v)) +
                "`" for v in vals)
        else:
            t = {"integer": "number (integer)"}.get(
                target.get("type"), target.get("type", "any"))
        if (s.get("nullable") or target.get("nullable")) and \
                "null" not in t:
            t += " or null"
        return t.strip()


def objlink(name):
    return f"[{name}](#schema-{slug(name)})"


def links(text):
    """[name](#anchor) links made by objlink, after inline()."""
    return re.sub(r"\[([^\]]+)\]\((#[a-z0-9-]+)\)",
                  r'<a href="\2">\1</a>', text)


def cell(text):
    return links(inline(text))


def pre(text):
    return "<pre><code>" + html.escape(text, quote=False) + "</code></pre>"


def pretty(value):
    return json.dumps(value, indent=2, ensure_ascii=False)


def curl(path, req):
    """A curl command of a recorded request (X-Billing-Now left out)."""
    query = "&".join(f"{k}={v}" for k, v in _urlencode(req["query"]))
    url = BASE_URL + path + ("?" + query if query else "")
    first = "curl -sS"
    if req["method"] not in ("GET", "POST") or (
            req["method"] == "POST" and req.get("body") is None):
        first += " -X " + req["method"]
    first += " " + shlex.quote(url)
    opts = []
    for h, v in req.get("headers", {}).items():
        if h.lower() != "x-billing-now":
            opts.append(("-H", f"{h}: {v}"))
    body = req.get("body")
    if body is not None:
        if req.get("content_type") == "application/json":
            opts.append(("-H", "Content-Type: application/json"))
            opts.append(("-d", json.dumps(body, ensure_ascii=False)))
        else:
            opts += [("--data-urlencode", f"{k}={v}")
                     for k, v in body.items()]
    return " \\\n".join([first] + [f"  {o} {shlex.quote(v)}"
                                     for o, v in opts])


def _urlencode(q):
    from urllib.parse import quote
    return [(quote(k, safe="[]"), quote(str(v), safe="")) for k, v in
            q.items()]


# --- the page ---------------------------------------------------------------
def split_sections(md):
    """(intro, [(title, body)]) of a Markdown text with ## sections."""
    parts = re.split(r"^## (.*)$", md, flags=re.M)
    return parts[0], [(parts[i], parts[i + 1])
                      for i in range(1, len(parts), 2)]


OBJECTS = ["User", "Plan", "Subscription", "Invoice", "InvoiceWithItems",
           "InvoiceItem", "Payment", "SubscriptionResult", "PaymentResult",
           "Deleted", "RunCounts", "ListMeta", "Error"]
MODEL_SECTION = "How this document models the API"


def render(d):
    doc = Doc(d)
    info = d["info"]
    intro, sections = split_sections(info["description"])
    api_paths = [p for p in d["paths"] if "x-actions" in d["paths"][p]]
    own_paths = [p for p in d["paths"] if p not in api_paths]
    nav = []
    body = []

    body.append(f'<h1 id="overview">{html.escape(info["title"])}</h1>')
    body.append(markdown(intro))
    body.append(
        '<p class="note">The machine-readable version of this page is the '
        'OpenAPI ' + html.escape(d["openapi"]) + ' document at <a href="'
        '/openapi.json"><code>/openapi.json</code></a>; this page is '
        'generated from it (scripts/gen_api_docs.py).</p>')

    nav.append('<li><a href="#overview">Overview</a><ul>')
    for title, text in sections:
        if title == MODEL_SECTION:
            continue
        sid = slug(title)
        nav.append(f'<li><a href="#{sid}">{html.escape(title)}</a></li>')
        body.append(f'<h2 id="{sid}">{inline(title)}</h2>')
        body.append(markdown(text, shift=1))
    nav.append("</ul></li>")

    # Endpoints and actions.
    nav.append('<li><a href="#endpoints">Endpoints</a><ul>')
    body.append('<h2 id="endpoints">Endpoints</h2>')
    body.append(markdown(
        "Every endpoint takes `action` and the action's parameters from the "
        "query string and the body (the body wins per key), and the API key "
        "in `X-Api-Key` or `api_key`. Actions marked **POST only** answer "
        "405 to other methods; the others accept every method. Parameters "
        "are listed in the order they are checked; the errors listed per "
        "action are the lookups and state checks that follow, in order. "
        "Every action may also answer `server_error` (500, or 503 while "
        "the RPC server is unreachable)."))
    summary_rows = []
    for path in api_paths:
        item = d["paths"][path]
        file = path.rsplit("/", 1)[1]
        for a in item["x-actions"]:
            aid = f"{file[:-4]}-{a['name']}"
            summary_rows.append([
                f'<a href="#{aid}"><code>{file}?action={a["name"]}</code></a>',
                "POST only" if a["post_only"] else "any",
                inline(a["summary"])])
    body.append(table(["request", "method", "what"], summary_rows, raw=True))

    for path in api_paths:
        item = d["paths"][path]
        file = path.rsplit("/", 1)[1]
        eid = file[:-4]
        nav.append(f'<li><a href="#{eid}">{file}</a><ul>')
        body.append(f'<h2 id="{eid}"><code>{html.escape(path)}</code> '
                    f'<span class="muted">— '
                    f'{inline(item["summary"].split(": ", 1)[1])}</span></h2>')
        body.append(markdown(item.get("description", "")))
        for a in item["x-actions"]:
            aid = f"{eid}-{a['name']}"
            nav.append(f'<li><a href="#{aid}">{a["name"]}</a></li>')
            body.append(render_action(doc, path, file, aid, a))
        nav.append("</ul></li>")
    nav.append("</ul></li>")

    # Objects.
    nav.append('<li><a href="#objects">Objects</a><ul>')
    body.append('<h2 id="objects">Objects</h2>')
    body.append(markdown(
        "The values as the legacy app rendered them (see "
        "[Value rendering](#value-rendering)): ids, integers and money are "
        "strings, datetimes Europe/Berlin wall clock, \"never\" the zero "
        "date."))
    body[-1] = links(body[-1])
    schemas = d["components"]["schemas"]
    for name in OBJECTS:
        s = schemas[name]
        sid = f"schema-{slug(name)}"
        nav.append(f'<li><a href="#{sid}">{name}</a></li>')
        body.append(f'<h3 id="{sid}">{name}</h3>')
        if s.get("description"):
            body.append(links(markdown(s["description"])))
        props, req = {}, []
        for part in s.get("allOf", [s]):
            part = doc.schema(part)
            props.update(part.get("properties", {}))
            req += part.get("required", [])
        rows = []
        for k, v in props.items():
            rv = doc.schema(v) if ("$ref" in v or "allOf" in v) else v
            desc = v.get("description") or (
                rv.get("description", "") if "$ref" not in v and
                "allOf" not in v else "")
            rows.append([f"<code>{k}</code>", cell(doc.out_type(v)),
                         cell(desc)])
        body.append(table(["key", "JSON", "notes"], rows, raw=True))
    nav.append("</ul></li>")

    # The bridge's own paths.
    nav.append('<li><a href="#operations">Operations</a><ul>')
    body.append('<h2 id="operations">Operations: health, metrics, this '
                'documentation</h2>')
    body.append(markdown(
        "The bridge's own paths, outside the legacy app; no API key."))
    for path in own_paths:
        item = d["paths"][path]
        op = item["get"]
        pid = "op-" + slug(path)
        nav.append(f'<li><a href="#{pid}">{html.escape(path)}</a></li>')
        methods = " ".join(
            f'<span class="badge get">{m.upper()}</span>' for m in item)
        body.append(f'<h3 id="{pid}"><code>{html.escape(path)}</code>'
                    f"{methods}</h3>")
        body.append(markdown(op["summary"] + ". " +
                             op.get("description", "")))
        rows = []
        for code, r in op["responses"].items():
            ctype = ", ".join(f"`{c}`" for c in r.get("content", {}))
            rows.append([code, ctype or "—", r["description"]])
        body.append(table(["status", "content type", "when"], rows))
        for code, r in op["responses"].items():
            for ctype, media in r.get("content", {}).items():
                if "example" in media:
                    ex = media["example"]
                    text = ex if isinstance(ex, str) else pretty(ex)
                    body.append(f"<h4>Example ({code})</h4>")
                    body.append(pre(text))
        body.append(pre(curl(path, {"method": "GET", "query": {}})))
    nav.append("</ul></li>")

    # The machine-readable version.
    model = dict(sections).get(MODEL_SECTION)
    nav.append('<li><a href="#openapi">The OpenAPI document</a></li>')
    body.append('<h2 id="openapi">The OpenAPI document</h2>')
    body.append(markdown(
        "`GET /openapi.json` answers the OpenAPI " + d["openapi"] +
        " document this page is made from, for client generators, "
        "validators and API browsers."))
    if model:
        body.append(markdown(model, shift=1))

    return PAGE.format(
        title=html.escape(info["title"]),
        css=CSS.strip(),
        nav="\n".join(nav),
        body="\n".join(body),
        version=html.escape(info["version"]))


def render_action(doc, path, file, aid, a):
    out = ['<section class="action">']
    badge = ('<span class="badge post">POST only</span>' if a["post_only"]
             else '<span class="badge get">GET / any</span>')
    out.append(f'<h3 id="{aid}"><code>{html.escape(file)}?action='
               f'{html.escape(a["name"])}</code>{badge}</h3>')
    out.append(f"<p><strong>{inline(a['summary'])}.</strong></p>")
    out.append(markdown(a["description"]))

    params = doc.get(a["parameters"])
    alts = [r["required"][0] for r in params.get("anyOf", [])]
    rows = []
    for name, s in params["properties"].items():
        if name in ("action", "api_key"):
            continue
        if name in params.get("required", []):
            req = "yes"
        elif name in alts:
            req = "one of " + " / ".join(f"`{x}`" for x in alts)
        else:
            req = "no"
        default = s.get("default")
        rows.append([f"`{name}`", req, doc.rule(s),
                     f"`{default}`" if default is not None else "",
                     s.get("description", "")])
    out.append("<h4>Parameters</h4>")
    if rows:
        out.append(table(["name", "required", "rule", "default", "notes"],
                         rows))
    else:
        out.append("<p>None besides <code>action</code> and the key.</p>")

    out.append("<h4>Errors after the parameter checks</h4>")
    if a["errors"]:
        out.append(table(["error_code", "error", "when"], [
            [f"`{e['error_code']}`", f"`{e['error']}`", e["when"]]
            for e in a["errors"]]))
    else:
        out.append("<p>None (besides <code>server_error</code>).</p>")

    result = doc.get(a["result"])
    data = None
    for part in result.get("allOf", []):
        if "properties" in part:
            data = part["properties"]["data"]
    kind = "list" if "ListSuccess" in json.dumps(result) else "object"
    dtype = doc.out_type(data) if data else "?"
    out.append("<h4>Result</h4>")
    out.append(links(markdown(
        f"`data`: {dtype}" + (", with `meta` `{total, page, per_page}`"
                              if kind == "list" else "") + ".")))

    ex = a.get("example")
    if ex:
        req = ex["request"]
        now = req.get("headers", {}).get("X-Billing-Now")
        out.append("<h4>Example</h4>")
        out.append(pre(curl(path, req)))
        value = doc.get(ex["response"])["value"]
        note = f"HTTP {ex['status']}"
        if now:
            note += (f", recorded against the legacy app with the test "
                     f"clock at {now} (header <code>X-Billing-Now</code>)")
        out.append(f'<p class="muted">{note}:</p>')
        out.append(pre(pretty(value)))
    out.append("</section>")
    return "\n".join(out)


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
{css}
</style>
</head>
<body>
<div class="layout">
<nav aria-label="Contents">
<div class="title">Legacy billing API
<span class="muted">v{version}</span></div>
<ul>
{nav}
</ul>
</nav>
<main>
{body}
</main>
</div>
</body>
</html>
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--openapi", default=DEFAULT_IN)
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    with open(args.openapi, encoding="utf-8") as f:
        d = json.load(f)
    page = render(d)
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        f.write(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
