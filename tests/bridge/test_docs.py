#!/usr/bin/env python3
"""The bridge's documentation of the legacy API, checked without starting
the bridge (ctest bridge_docs):

- http-bridge/assets/openapi.json is valid OpenAPI 3.0.x (by
  openapi-spec-validator when installed, else structurally: every $ref
  resolves, every operation answers); it documents every endpoint of
  http-bridge/bridge.c and every action of their tables (parsed from the
  C sources, so that an action added without documentation fails here)
  with its method: POST-only actions on the post operation only, the
  others on get and post; every error_code and fixed message the bridge
  can produce (the envelope_error calls and envelope.c's reasons) is
  documented; the recorded legacy session's responses
  (tests/bridge/fixtures/transcript.jsonl) and the examples validate
  against their actions' schemas (when openapi-schema-validator is
  installed).
- http-bridge/assets/docs.html is what scripts/gen_api_docs.py makes of
  openapi.json, is well-formed (balanced tags, unique ids, internal links
  that resolve), self-contained (no external src=/href=/url(), no
  external scripts or style sheets), names every action and error code
  and points to /openapi.json.
- With GEN_DIR (the build's generated assets), the C sources that
  cmake/embed.cmake made hold exactly the bytes of the two files.

    test_docs.py SOURCE_DIR [GEN_DIR]
"""
import html.parser
import json
import os
import re
import subprocess
import sys
import tempfile

SRC = os.path.abspath(sys.argv[1])
GEN = sys.argv[2] if len(sys.argv) > 2 else None
BRIDGE = os.path.join(SRC, "http-bridge")
ASSETS = os.path.join(BRIDGE, "assets")
OPENAPI = os.path.join(ASSETS, "openapi.json")
DOCS = os.path.join(ASSETS, "docs.html")

FAILS = []


def fail(msg):
    FAILS.append(msg)
    print("FAIL " + msg)


def check(cond, msg):
    if not cond:
        fail(msg)
    return cond


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def strip_comments(c):
    return re.sub(r"/\*.*?\*/", " ", c, flags=re.S)


# --- what the C sources serve -----------------------------------------------
def c_tables():
    """[(path, [(action, post_only)])] of bridge.c's ENDPOINTS, in order."""
    sources = {f: strip_comments(read(os.path.join(BRIDGE, f)))
               for f in sorted(os.listdir(BRIDGE)) if f.endswith(".c")}
    m = re.search(r"ENDPOINTS\[\]\s*=\s*\{(.*?)\};", sources["bridge.c"],
                  re.S)
    if not check(m, "bridge.c: no ENDPOINTS table"):
        return []
    eps = re.findall(r'\{\s*"([^"]+)"\s*,\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}',
                     m.group(1))
    check(eps, "bridge.c: ENDPOINTS is empty")
    out = []
    for path, table in eps:
        body = None
        for c in sources.values():
            t = re.search(r"\bbaction\s+" + re.escape(table) +
                          r"\[\]\s*=\s*\{(.*?)\};", c, re.S)
            if t:
                body = t.group(1)
        if not check(body is not None, f"no table {table} for {path}"):
            continue
        acts = re.findall(r'\{\s*"([^"]+)"\s*,\s*(true|false)\s*,', body)
        check(acts, f"{table}: no actions parsed")
        out.append((path, [(a, p == "true") for a, p in acts]))
    return out


def c_errors():
    """{(error_code, http or None, message or None)} the bridge produces:
    envelope.c's reasons, its fallback, and every envelope_error call with
    literal arguments in http-bridge/*.c."""
    out = set()
    env = strip_comments(read(os.path.join(BRIDGE, "envelope.c")))
    m = re.search(r"REASONS\[\]\s*=\s*\{(.*?)\};", env, re.S)
    if check(m, "envelope.c: no REASONS table"):
        for _, http, code, msg in re.findall(
                r'\{\s*"([A-Z_]+)"\s*,\s*(\d+)\s*,\s*"([a-z_]+)"\s*,\s*'
                r'"([^"]*)"\s*\}', m.group(1)):
            out.add((code, int(http), msg))
    for code in re.findall(r'out->code\s*=\s*"([a-z_]+)"', env):
        out.add((code, None, None))
    for f in sorted(os.listdir(BRIDGE)):
        if f.endswith(".c"):
            c = re.sub(r'"\s*\n\s*"', "", strip_comments(
                read(os.path.join(BRIDGE, f))))  # joined literals
            macros = dict(re.findall(r'#define\s+([A-Z_]+)\s+("[^"]*")',
                                     c))
            for args in calls(c, "envelope_error"):
                args = [macros.get(x, x) for x in args]
                if len(args) != 3 or not re.match(r'^"[a-z_]+"$', args[2]):
                    continue  # the definition, or a code from a table
                http = int(args[0]) if args[0].isdigit() else None
                msg = (args[1][1:-1] if re.match(r'^"[^"]*"$', args[1])
                       else None)
                out.add((args[2][1:-1], http, msg))
    return out


def calls(c, fn):
    """The argument lists (stripped texts) of every call of fn in c."""
    for m in re.finditer(r"\b" + fn + r"\(", c):
        depth, i, args, cur, quoted = 1, m.end(), [], "", False
        while i < len(c) and depth > 0:
            ch = c[i]
            if quoted:
                if ch == "\\":
                    cur += ch
                    i += 1
                    ch = c[i]
                elif ch == '"':
                    quoted = False
            elif ch == '"':
                quoted = True
            elif ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth == 0:
                    break
            elif ch == "," and depth == 1:
                args.append(cur.strip())
                cur = ""
                i += 1
                continue
            cur += ch
            i += 1
        args.append(cur.strip())
        yield args


# --- openapi.json -----------------------------------------------------------
def resolve(doc, ref):
    if not ref.startswith("#/"):
        return None
    node = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def refs(node, path="#"):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                yield path, v
            else:
                yield from refs(v, f"{path}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from refs(v, f"{path}/{i}")


METHODS = ("get", "put", "post", "delete", "options", "head", "patch",
           "trace")


def structural(doc):
    """What openapi-spec-validator would check first, roughly."""
    for key in ("openapi", "info", "paths"):
        check(key in doc, f"openapi.json: no {key}")
    info = doc.get("info", {})
    check(isinstance(info.get("title"), str) and
          isinstance(info.get("version"), str),
          "openapi.json: info needs title and version")
    for where, r in refs(doc):
        check(resolve(doc, r) is not None,
              f"openapi.json: {where}: $ref {r} does not resolve")
    op_ids = []
    for p, item in doc.get("paths", {}).items():
        check(p.startswith("/"), f"path {p} does not start with /")
        for m, op in item.items():
            if m not in METHODS:
                continue
            check(op.get("responses"), f"{m} {p}: no responses")
            if "operationId" in op:
                op_ids.append(op["operationId"])
            for code in op.get("responses", {}):
                check(code == "default" or re.match(r"^[1-5](\d\d|XX)$",
                                                    code),
                      f"{m} {p}: bad response key {code}")
    check(len(op_ids) == len(set(op_ids)), "operationIds are not unique")
    for name in doc.get("components", {}).get("schemas", {}):
        check(re.match(r"^[a-zA-Z0-9.\-_]+$", name),
              f"schema name {name} is not a valid component key")


def validate_spec(doc):
    try:
        from openapi_spec_validator import validate
    except ImportError:
        print("note: openapi-spec-validator not installed: structural "
              "checks only")
        return
    try:
        validate(doc)
    except Exception as e:  # the validator's own error types vary
        fail(f"openapi.json is not valid OpenAPI: {str(e)[:500]}")


def schema_validator(doc):
    """A function (pointer, instance) -> [errors], or None when
    openapi-schema-validator is not installed."""
    try:
        from openapi_schema_validator import OAS30Validator
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT4
    except ImportError:
        print("note: openapi-schema-validator not installed: examples and "
              "the recorded session are not validated")
        return None
    reg = Registry().with_resource(
        "urn:openapi", Resource.from_contents(doc,
                                              default_specification=DRAFT4))

    def errors(pointer, instance):
        v = OAS30Validator({"$ref": "urn:openapi" + pointer}, registry=reg)
        return [f"{list(e.path)}: {e.message[:200]}"
                for e in v.iter_errors(instance)]
    return errors


def action_enum(op):
    for p in op.get("parameters", []):
        if p.get("name") == "action" and p.get("in") == "query":
            return p.get("schema", {}).get("enum")
    return None


def check_openapi(doc, tables, errors):
    check(re.match(r"^3\.0\.\d+$", str(doc.get("openapi"))),
          f"openapi is {doc.get('openapi')!r}, not 3.0.x")
    structural(doc)
    validate_spec(doc)
    paths = doc.get("paths", {})
    schemas = doc.get("components", {}).get("schemas", {})
    text = json.dumps(doc, ensure_ascii=False)

    c_paths = {p for p, _ in tables}
    for p in paths:
        if p.startswith("/api/"):
            check(p in c_paths, f"{p} documented but not in bridge.c")
    for p in ("/healthz", "/metrics", "/openapi.json", "/docs"):
        check(p in paths and "get" in paths[p], f"{p} is not documented")
        if p in paths and "get" in paths[p]:
            check(paths[p]["get"].get("security") == [],
                  f"{p}: must need no API key (security: [])")

    for path, acts in tables:
        item = paths.get(path)
        if not check(item is not None, f"{path} is not documented"):
            continue
        names = [a for a, _ in acts]
        get_names = [a for a, post in acts if not post]
        post = item.get("post")
        if check(post is not None, f"{path}: no post operation"):
            check(sorted(action_enum(post) or []) == sorted(names),
                  f"{path} post: action enum {action_enum(post)} is not "
                  f"{names}")
            body = post.get("requestBody", {}).get("content", {})
            for ct in ("application/x-www-form-urlencoded",
                       "application/json", "multipart/form-data"):
                check(ct in body, f"{path} post: no {ct} body")
        get = item.get("get")
        if get_names:
            if check(get is not None, f"{path}: no get operation"):
                check(sorted(action_enum(get) or []) == sorted(get_names),
                      f"{path} get: action enum {action_enum(get)} is not "
                      f"the GET actions {get_names}")
                check("405" in get.get("responses", {}) or
                      len(get_names) == len(names),
                      f"{path} get: 405 of the POST-only actions missing")
        else:
            check(get is None, f"{path}: get operation without GET actions")
        xa = item.get("x-actions", [])
        check([a.get("name") for a in xa] == names,
              f"{path}: x-actions {[a.get('name') for a in xa]} are not "
              f"the table's {names} (in order)")
        by_name = {a.get("name"): a for a in xa}
        for name, post_only in acts:
            a = by_name.get(name)
            if a is None:
                continue
            what = f"{path}?action={name}"
            check(a.get("post_only") is post_only,
                  f"{what}: post_only is {a.get('post_only')}, the table "
                  f"says {post_only}")
            for key in ("summary", "description"):
                check(isinstance(a.get(key), str) and a[key].strip(),
                      f"{what}: no {key}")
            params = resolve(doc, a.get("parameters", ""))
            if check(isinstance(params, dict),
                     f"{what}: parameters schema missing"):
                check(params.get("properties", {}).get("action", {})
                      .get("enum") == [name],
                      f"{what}: its parameters schema is not for {name}")
                check({"$ref": a["parameters"]} in
                      post["requestBody"]["content"]["application/json"]
                      ["schema"].get("anyOf", []),
                      f"{what}: not in the post request body")
                for pname, ps in params.get("properties", {}).items():
                    check(isinstance(ps.get("description"), str) or
                          pname == "action",
                          f"{what}: parameter {pname} has no description")
            check(resolve(doc, a.get("result", "")) is not None,
                  f"{what}: result schema missing")
            if post_only and get is not None:
                check(name not in (action_enum(get) or []),
                      f"{what}: POST-only but on the get operation")
            op = post if post_only else get
            if op is not None:
                check(f"**{name}**" in op.get("description", ""),
                      f"{what}: not described in its operation")
            for e in a.get("errors", []):
                check(e.get("error_code") in schemas.get("Error", {})
                      .get("properties", {}).get("error_code", {})
                      .get("enum", []),
                      f"{what}: unknown error_code {e.get('error_code')}")
            ex = a.get("example", {})
            check(resolve(doc, ex.get("response", "")) is not None,
                  f"{what}: example response missing")

    enum = (schemas.get("Error", {}).get("properties", {})
            .get("error_code", {}).get("enum", []))
    info = doc.get("info", {}).get("description", "")
    statuses = set()
    for item in paths.values():
        for m, op in item.items():
            if m in METHODS:
                statuses |= set(op.get("responses", {}))
    for code, http, msg in sorted(errors, key=str):
        check(code in enum, f"error_code {code} not in the Error schema")
        check(re.search(r"\| `" + re.escape(code) + r"` \|", info),
              f"error_code {code} not in info.description's table")
        if msg is not None:
            check(msg in text, f"message {msg!r} ({code}) not documented")
        if http is not None and http not in (200, 404):
            check(str(http) in statuses,
                  f"HTTP {http} ({code}) is no documented response")
    check("503" in statuses, "503 (RPC server unreachable) not documented")
    check("X-Billing-Now" in text, "the X-Billing-Now header is missing")
    sec = doc.get("components", {}).get("securitySchemes", {})
    check({(s.get("in"), s.get("name")) for s in sec.values()} >=
          {("header", "X-Api-Key"), ("query", "api_key")},
          "security schemes X-Api-Key (header) and api_key (query) missing")
    for needle in ("0000-00-00 00:00:00", "YYYY-MM-DD HH:MM:SS", "Berlin"):
        check(needle in text, f"rendering rule {needle!r} not documented")


def check_examples(doc, errors_of):
    if errors_of is None:
        return
    for path, item in doc.get("paths", {}).items():
        for a in item.get("x-actions", []):
            ex = resolve(doc, a.get("example", {}).get("response", ""))
            if ex is None:
                continue
            for e in errors_of(a["result"], ex.get("value"))[:3]:
                fail(f"{path}?action={a['name']}: example: {e}")
    transcript = os.path.join(SRC, "tests", "bridge", "fixtures",
                              "transcript.jsonl")
    if not os.path.exists(transcript):
        return
    n = 0
    for line in open(transcript, encoding="utf-8"):
        step = json.loads(line)
        rq, rs = step["request"], step["response"]
        body = rq["body"] if isinstance(rq["body"], dict) else {}
        action = body.get("action") or (rq["query"] or {}).get("action")
        item = doc["paths"].get(rq["path"], {})
        acts = {a["name"]: a for a in item.get("x-actions", [])}
        j = rs["json"]
        ptr = (acts[action]["result"]
               if isinstance(j, dict) and j.get("success") and
               action in acts else "#/components/schemas/Error")
        for e in errors_of(ptr, j)[:3]:
            fail(f"transcript step {step['step']} ({rq['path']} {action}): "
                 f"{e}")
        n += 1
    print(f"{n} recorded responses validated")


# --- docs.html --------------------------------------------------------------
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
        "meta", "source", "track", "wbr"}


class Strict(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.ids, self.hrefs, self.problems = [], [], [], []
        self.tags, self.text, self.doctype = [], [], False

    def handle_decl(self, decl):
        self.doctype = decl.lower() == "doctype html"

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        for k in ("src", "href", "action", "srcset", "poster", "data"):
            if k in a:
                self.hrefs.append((tag, k, a[k] or ""))
        if tag not in VOID:
            self.stack.append((tag, self.getpos()))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in VOID:
            self.problems.append(f"end tag </{tag}> of a void element at "
                                 f"{self.getpos()}")
            return
        if not self.stack or self.stack[-1][0] != tag:
            top = self.stack[-1] if self.stack else None
            self.problems.append(f"</{tag}> at {self.getpos()} closes "
                                 f"{top}")
            return
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def check_docs(doc, tables, errors):
    page = read(DOCS)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "docs.html")
        r = subprocess.run(
            [sys.executable, os.path.join(SRC, "scripts", "gen_api_docs.py"),
             "--openapi", OPENAPI, "--out", out],
            capture_output=True, text=True)
        if check(r.returncode == 0,
                 f"gen_api_docs.py failed: {r.stderr[-800:]}"):
            check(read(out) == page,
                  "docs.html is not what scripts/gen_api_docs.py makes of "
                  "openapi.json: run it and commit the result")

    p = Strict()
    p.feed(page)
    p.close()
    check(p.doctype, "docs.html: no <!DOCTYPE html>")
    for problem in p.problems:
        fail("docs.html: " + problem)
    check(not p.stack, f"docs.html: unclosed tags {p.stack[:5]}")
    dup = {i for i in p.ids if p.ids.count(i) > 1}
    check(not dup, f"docs.html: duplicate ids {sorted(dup)[:10]}")
    ids = set(p.ids)
    for tag, attr, v in p.hrefs:
        low = v.strip().lower()
        check(not re.match(r"^(https?:)?//", low),
              f"docs.html: external {tag} {attr}={v}")
        check(not low.startswith(("javascript:", "data:")),
              f"docs.html: {tag} {attr}={v[:40]}")
        if v.startswith("#"):
            check(v[1:] in ids, f"docs.html: link {v} has no target")
    tags = [t for t, _ in p.tags]
    for t, a in p.tags:
        check(not (t == "script" and "src" in a),
              "docs.html: an external script")
        check(t != "link" or "stylesheet" not in a.get("rel", ""),
              "docs.html: an external style sheet")
        check(t not in ("iframe", "object", "embed", "img"),
              f"docs.html: a <{t}>")
    check("style" in tags, "docs.html: no inline <style>")
    check(any(t == "meta" and a.get("charset", "").lower() == "utf-8"
              for t, a in p.tags), "docs.html: no <meta charset=\"utf-8\">")
    for m in re.finditer(r"<style[^>]*>(.*?)</style>", page, re.S):
        check(not re.search(r"url\s*\(|@import", m.group(1), re.I),
              "docs.html: the CSS loads resources (url() or @import)")
    check(re.search(r'href="/openapi.json"', page),
          "docs.html does not link to /openapi.json")
    text = "".join(p.text)
    for path, acts in tables:
        file = path.rsplit("/", 1)[1]
        check(path in text, f"docs.html does not name {path}")
        for name, post_only in acts:
            aid = f"{file[:-4]}-{name}"
            check(aid in ids, f"docs.html: no section #{aid}")
            check(f"{file}?action={name}" in text,
                  f"docs.html does not name {file}?action={name}")
    check("curl " in text, "docs.html: no curl example")
    for code, _, msg in errors:
        check(code in text, f"docs.html does not name error_code {code}")
        if msg is not None:
            check(msg in text, f"docs.html does not name message {msg!r}")
    for p_ in ("/healthz", "/metrics", "/openapi.json", "/docs",
               "X-Billing-Now", "X-Api-Key", "api_key"):
        check(p_ in text, f"docs.html does not mention {p_}")


# --- the embedded copies ----------------------------------------------------
def check_embedded():
    if GEN is None:
        return
    for name, path in (("asset_openapi_json", OPENAPI),
                       ("asset_docs_html", DOCS)):
        c_file = os.path.join(GEN, name + ".c")
        if not check(os.path.exists(c_file),
                     f"{c_file} missing: build billing-bridge first"):
            continue
        c = read(c_file)
        m = re.search(r"const unsigned char " + name + r"\[\] = \{(.*?)\};",
                      c, re.S)
        n = re.search(r"const size_t " + name + r"_len = (\d+);", c)
        if not check(m and n, f"{c_file}: no {name} or {name}_len"):
            continue
        data = bytes(int(x, 16) for x in re.findall(r"0x([0-9a-f]{2})",
                                                    m.group(1)))
        with open(path, "rb") as f:
            want = f.read()
        check(data == want + b"\0" and int(n.group(1)) == len(want),
              f"{c_file} does not hold {os.path.basename(path)} (stale "
              f"build?)")


def main():
    try:
        doc = json.loads(read(OPENAPI))
    except (OSError, ValueError) as e:
        fail(f"openapi.json: {e}")
        return 1
    tables = c_tables()
    errors = c_errors()
    check(len(errors) >= 9, f"too few error codes parsed: {errors}")
    check_openapi(doc, tables, errors)
    check_examples(doc, schema_validator(doc))
    check_docs(doc, tables, errors)
    check_embedded()
    n = sum(len(a) for _, a in tables)
    if FAILS:
        print(f"{len(FAILS)} failures")
        return 1
    print(f"ok: {len(tables)} endpoints, {n} actions, "
          f"{len({c for c, _, _ in errors})} error codes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
