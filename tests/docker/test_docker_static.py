"""docker/ without a Docker engine: the compose file, the Dockerfile and
the monitoring configuration name only services, scripts, binaries,
flags, ports, paths, variables and metrics that exist.

    test_docker_static.py SOURCE_DIR BUILD_DIR

Needs PyYAML (python3-yaml, from scripts/install-deps.sh): when the
python3 on PATH lacks it, the test runs itself again with Debian's.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

try:
    import yaml
except ImportError:
    if sys.executable != "/usr/bin/python3" and \
            os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bridge"))
from bridgelib import free_port  # noqa: E402

SRC, BUILD = sys.argv[1:3]
DOCKER = os.path.join(SRC, "docker")
FAILS = []
CHECKS = [0]

# Each image target of docker/Dockerfile: its program (in BUILD), the
# sources that read its variables, and where it serves HTTP.
PROGRAMS = {
    "server": ("billing-server", ["server"]),
    "bridge": ("billing-bridge", ["http-bridge"]),
    "migrate": ("migrate/billing-migrate", ["migrate"]),
    "billctl": ("billctl", ["client/billctl"]),
}
# Packages every runtime stage may add besides the libraries: the
# certificates, the time zones (BILLING_TIMEZONE) and curl (healthchecks).
EXTRA_PACKAGES = {"ca-certificates", "tzdata", "curl"}
# In every Debian image already; and the sanitizers' runtimes of a
# sanitized test build (scripts/test.sh), which images never are.
BASE_PACKAGES = {"libc6", "libgcc-s1", "libasan8", "libubsan1"}


def check(what, ok, detail=""):
    CHECKS[0] += 1
    if not ok:
        FAILS.append(what)
        print(f"FAIL {what}: {detail}")
    return ok


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def sources(dirs):
    text = ""
    for d in dirs + ["util"]:
        for root, _, files in os.walk(os.path.join(SRC, d)):
            for f in files:
                if f.endswith((".c", ".h")):
                    text += read(os.path.join(root, f))
    return text


# ------------------------------------------------------------ compose

COMPOSE_TEXT = read(os.path.join(DOCKER, "docker-compose.yml"))
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
SERVICES = COMPOSE["services"]
ENV_EXAMPLE = {}
for line in read(os.path.join(DOCKER, ".env.example")).splitlines():
    if line.strip() and not line.startswith("#"):
        k, _, v = line.partition("=")
        ENV_EXAMPLE[k] = v
INTERP = re.compile(r'(?<!\$)\$\{([A-Z_][A-Z0-9_]*)(?:(:?[-?])([^}]*))?\}')


def interpolate(s):
    """A compose value with .env.example's values."""
    return INTERP.sub(lambda m: ENV_EXAMPLE.get(m.group(1), m.group(3) or ""),
                      str(s)).replace("$$", "$")


def check_interpolation():
    used = {}
    for m in INTERP.finditer(COMPOSE_TEXT):
        used.setdefault(m.group(1), set()).add((m.group(2), m.group(3)))
    for name, forms in sorted(used.items()):
        check(f"${{{name}}} is in .env.example", name in ENV_EXAMPLE)
        for op, default in forms:
            if op == ":-":
                check(f"${{{name}}}'s default matches .env.example",
                      ENV_EXAMPLE.get(name) == default,
                      f"{default!r} vs {ENV_EXAMPLE.get(name)!r}")
    for name in ENV_EXAMPLE:
        check(f".env.example's {name} is used", name in used)


def check_services():
    declared = set(COMPOSE.get("volumes") or {})
    for name, svc in SERVICES.items():
        profiles = set(svc.get("profiles", []))
        one_shot = svc.get("restart") == "no"
        if "profiles" not in svc or profiles & {"legacy", "monitoring"}:
            check(f"{name}: a healthcheck, or one-shot",
                  one_shot or "healthcheck" in svc)
        check(f"{name}: an image or a build", "image" in svc)
        for dep, cond in (svc.get("depends_on") or {}).items():
            check(f"{name} depends on an existing service {dep}",
                  dep in SERVICES)
            if dep not in SERVICES:
                continue
            target = SERVICES[dep]
            c = cond.get("condition")
            check(f"{name} -> {dep}: a known condition", c in (
                "service_started", "service_healthy",
                "service_completed_successfully"), c)
            if c == "service_healthy":
                check(f"{name} -> {dep}: {dep} has a healthcheck",
                      "healthcheck" in target)
            if c == "service_completed_successfully":
                check(f"{name} -> {dep}: {dep} is one-shot",
                      target.get("restart") == "no")
            dprof = set(target.get("profiles", []))
            check(f"{name} -> {dep}: no dependency on a service of "
                  "another profile", not dprof or dprof & profiles, dprof)
        for v in svc.get("volumes", []):
            src, dst = interpolate(v).split(":")[:2]
            if src.startswith((".", "/")):
                check(f"{name}: mounted {src} exists",
                      os.path.exists(os.path.join(DOCKER, src)))
            else:
                check(f"{name}: volume {src} is declared", src in declared)
    for prof, members in (("legacy", {"mariadb", "legacy-migrate"}),
                          ("monitoring", {"prometheus", "grafana"})):
        have = {n for n, s in SERVICES.items()
                if prof in s.get("profiles", [])}
        check(f"profile {prof}: {sorted(members)}", have == members, have)
    check("postgres 15 on a named volume",
          SERVICES["postgres"]["image"] == "postgres:15" and
          any(v.startswith("pgdata:") for v in SERVICES["postgres"]["volumes"]))
    for svc, port in (("bridge", 8091), ("pgadmin", 8092)):
        published = [interpolate(p).split(":")[0]
                     for p in SERVICES[svc].get("ports", [])]
        check(f"{svc} published on {port}", str(port) in published, published)


# ---------------------------------------------------------- Dockerfile

def dockerfile_stages():
    stages, cur = {}, None
    text = read(os.path.join(DOCKER, "Dockerfile")).replace("\\\n", " ")
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        if word == "FROM":
            m = re.match(r'(\S+) AS (\S+)', rest)
            cur = {"from": m.group(1), "lines": []}
            stages[m.group(2)] = cur
        else:
            cur["lines"].append((word, rest))
    return stages


def json_or_words(rest):
    return json.loads(rest) if rest.startswith("[") else rest.split()


def needed_packages(binary):
    """The Debian packages of the shared libraries binary needs directly,
    and the libraries no package provides."""
    out = subprocess.run(["readelf", "-d", binary], capture_output=True,
                         text=True, check=True).stdout
    needed = re.findall(r'\(NEEDED\)\s+Shared library: \[([^\]]+)\]', out)
    paths = {}
    for line in subprocess.run(["ldd", binary], capture_output=True,
                               text=True, check=True).stdout.splitlines():
        m = re.match(r'\s*(\S+) => (\S+)', line)
        if m:
            paths[m.group(1)] = m.group(2)
    pkgs, own = set(), set()
    for lib in needed:
        path = os.path.realpath(paths.get(lib, lib))
        r = subprocess.run(["dpkg", "-S", path], capture_output=True,
                           text=True)
        if r.returncode != 0:  # /usr/lib vs /lib: try the other
            alt = re.sub(r'^/usr/lib/', '/lib/', path)
            r = subprocess.run(["dpkg", "-S", alt], capture_output=True,
                               text=True)
        if r.returncode == 0:
            pkgs.add(r.stdout.split(":")[0])
        else:
            own.add(lib)
    return pkgs - BASE_PACKAGES, own


def check_dockerfile(stages):
    check("the build stage runs on debian:bookworm",
          stages.get("build", {}).get("from") == "debian:bookworm")
    runs = " ".join(r for w, r in stages["build"]["lines"] if w == "RUN")
    for script in re.findall(r'scripts/[\w-]+\.sh', runs):
        path = os.path.join(SRC, script)
        check(f"{script} exists and is executable",
              os.access(path, os.X_OK))
    for flag in re.findall(r'install-deps\.sh (--[\w-]+)', runs):
        check(f"install-deps.sh takes {flag}",
              flag in read(os.path.join(SRC, "scripts/install-deps.sh")))
    check("the build installs with cmake --install",
          "cmake --install" in runs)
    for c in [r for w, r in stages["build"]["lines"] if w == "COPY"]:
        src = c.split()[0]
        check(f"the build stage copies {src}, which exists",
              os.path.exists(os.path.join(SRC, src)))
    cmake = read(os.path.join(SRC, "CMakeLists.txt")) + \
        read(os.path.join(SRC, "migrate/CMakeLists.txt"))
    installed = set()
    for m in re.finditer(r'install\(TARGETS ([^)]*?) (?:RUNTIME|LIBRARY)',
                         cmake):
        installed |= set(m.group(1).split())
    soversion = re.search(r'SOVERSION (\d+)', cmake).group(1)
    ignore = read(os.path.join(SRC, ".dockerignore")).split()
    check(".dockerignore leaves out the build folders and .git",
          {"build", "build-*", ".git", "data"} <= set(ignore), ignore)

    for target, (binary, _) in PROGRAMS.items():
        st = stages.get(target)
        if not check(f"Dockerfile stage {target}", st is not None):
            continue
        check(f"{target}: runs on debian:bookworm-slim",
              st["from"] == "debian:bookworm-slim")
        words = dict((w, r) for w, r in st["lines"])
        check(f"{target}: runs as the user billing",
              words.get("USER") == "billing" and
              any("useradd" in r for w, r in st["lines"] if w == "RUN"))
        prog = os.path.basename(binary)
        check(f"{target}: ENTRYPOINT is {prog}",
              json_or_words(words.get("ENTRYPOINT", "[]")) == [prog])
        copied = [r for w, r in st["lines"] if w == "COPY"]
        names = set()
        for c in copied:
            m = re.match(r'--from=build (\S+) (\S+)', c)
            if not check(f"{target}: copies from the build stage only",
                         m is not None, c):
                continue
            src = m.group(1)
            names.add(os.path.basename(src))
            if src.startswith("/opt/billing/bin/"):
                check(f"{target}: {src} is installed by CMake",
                      os.path.basename(src) in installed)
            else:
                check(f"{target}: {src} is libbilling-client's soname",
                      src == "/opt/billing/lib/libbilling-client.so."
                      + soversion)
        check(f"{target}: copies {prog}", prog in names)
        apt = re.search(r'apt-get install -y --no-install-recommends ([^&]*)',
                        " ".join(r for w, r in st["lines"] if w == "RUN"))
        listed = set(apt.group(1).split()) if apt else set()
        pkgs, own = needed_packages(os.path.join(BUILD, binary))
        for lib in list(own):  # the project's library needs its own
            more, _ = needed_packages(os.path.join(BUILD, lib))
            pkgs |= more
        check(f"{target}: installs every library package {prog} needs",
              pkgs <= listed, f"add {sorted(pkgs - listed)} to the "
              f"apt-get install of stage {target} in docker/Dockerfile")
        check(f"{target}: installs no other package",
              listed <= pkgs | EXTRA_PACKAGES,
              sorted(listed - pkgs - EXTRA_PACKAGES))
        check(f"{target}: copies the project's own libraries",
              own <= names, sorted(own - names))
        if ("libbilling-client.so." + soversion) in names:
            check(f"{target}: runs ldconfig after copying the library",
                  "ldconfig" in [r for w, r in st["lines"] if w == "RUN"])
        st["packages"] = listed


# ------------------------------------------- our services, run for real

def help_text(binary):
    r = subprocess.run([binary, "--help"], capture_output=True, text=True)
    return r.stdout + r.stderr


def starts(binary, args, env, port):
    """True when binary, given env, listens on 127.0.0.1:port."""
    p = subprocess.Popen([binary] + args, env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    ok = False
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 0.1).close()
            ok = True
            break
        except OSError:
            if p.poll() is not None:
                break
            time.sleep(0.05)
    p.terminate()
    err = p.communicate(timeout=10)[1]
    return ok, err


def listen_port(value):
    m = re.search(r':(\d+)$', value)
    return int(m.group(1)) if m else None


def check_our_services(stages):
    for name, svc in SERVICES.items():
        target = (svc.get("build") or {}).get("target")
        if target is None:
            continue
        if not check(f"{name}: its build target is a Dockerfile stage",
                     target in PROGRAMS and target in stages, target):
            continue
        binary, dirs = PROGRAMS[target]
        path = os.path.join(BUILD, binary)
        helps = help_text(path)
        src = sources(dirs)
        env = {k: interpolate(v) for k, v in
               (svc.get("environment") or {}).items()}
        for var in env:
            check(f"{name}: {os.path.basename(binary)} reads {var}",
                  f'"{var}"' in src)
        cmd = svc.get("command", [])
        for word in cmd:
            check(f"{name}: {os.path.basename(binary)} knows '{word}'",
                  re.search(r'(^|[\s|\[])' + re.escape(word) + r'\b', helps)
                  is not None)
        # The ports the service listens on.
        ports = set()
        for var in ("BILLING_LISTEN", "BILLING_METRICS_LISTEN",
                    "BILLING_HTTP_LISTEN"):
            for v in env.get(var, "").split(","):
                if v:
                    ports.add(listen_port(v))
                    check(f"{name}: {var} listens on every address",
                          "0.0.0.0" in v, v)
        exposed = {int(str(p)) for p in svc.get("expose", [])} | \
            {int(interpolate(p).split(":")[1]) for p in svc.get("ports", [])}
        check(f"{name}: exposes what it listens on", ports == exposed,
              (ports, exposed))
        hc = svc.get("healthcheck", {}).get("test", [])
        if hc:
            tool = hc[1]
            check(f"{name}: the healthcheck's {tool} is in the image",
                  tool in stages[target].get("packages", set()))
            url = [w for w in hc if w.startswith("http://")][0]
            m = re.match(r'http://127\.0\.0\.1:(\d+)(/\S*)', url)
            check(f"{name}: the healthcheck asks a port it listens on",
                  int(m.group(1)) in ports, url)
            check(f"{name}: {m.group(2)} is served",
                  f'"{m.group(2)}"' in src)
        # URLs to other services.
        for var, svc_name, port_var in (
                ("BILLING_SERVER", "server", "BILLING_LISTEN"),
                ("BILLING_DATABASE_URL", "postgres", None),
                ("BILLING_LEGACY_URL", "mariadb", None)):
            if var not in env:
                continue
            m = re.match(r'\w+://(?:[^@/]*@)?([\w-]+)(?::(\d+))?', env[var])
            check(f"{name}: {var} names the service {svc_name}",
                  m.group(1) == svc_name, env[var])
            if port_var:
                theirs = interpolate(
                    SERVICES[svc_name]["environment"][port_var])
                check(f"{name}: {var} dials {svc_name}'s port",
                      listen_port(theirs) == int(m.group(2)), env[var])
        # The values are accepted: the program starts with them (its
        # listeners moved to a free local port, the database to none).
        tmp = tempfile.mkdtemp()
        run_env = dict(os.environ, **env)
        port = free_port()
        if target == "server":
            run_env.update(BILLING_LISTEN=f"ipc://{tmp}/s.sock",
                           BILLING_METRICS_LISTEN=f"127.0.0.1:{port}",
                           BILLING_DATABASE_URL="postgresql:///none?host="
                           + tmp)
            ok, err = starts(path, cmd if cmd != ["migrate"] else ["serve"],
                             run_env, port)
            check(f"{name}: billing-server starts with its variables", ok,
                  err[-500:])
        elif target == "bridge":
            run_env.update(BILLING_HTTP_LISTEN=f"127.0.0.1:{port}",
                           BILLING_SERVER=f"ipc://{tmp}/none.sock")
            ok, err = starts(path, cmd, run_env, port)
            check(f"{name}: billing-bridge starts with its variables", ok,
                  err[-500:])
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------- the other services

def exported_metrics():
    text = read(os.path.join(SRC, "server/metrics.c")) + \
        read(os.path.join(SRC, "http-bridge/metrics.c"))
    return set(re.findall(r'\bbilling_[a-z_]+', text))


def check_monitoring():
    prom = yaml.safe_load(read(os.path.join(DOCKER,
                                            "prometheus/prometheus.yml")))
    scraped = set()
    for job in prom["scrape_configs"]:
        check(f"prometheus {job['job_name']}: /metrics",
              job.get("metrics_path") == "/metrics")
        for sd in job["dns_sd_configs"]:
            for n in sd["names"]:
                scraped.add(n)
                env = {k: interpolate(v) for k, v in
                       (SERVICES.get(n, {}).get("environment") or {}).items()}
                ports = {listen_port(env.get(v, "")) for v in
                         ("BILLING_METRICS_LISTEN", "BILLING_HTTP_LISTEN")}
                check(f"prometheus scrapes {n} on a port it listens on",
                      sd["port"] in ports, (sd["port"], ports))
    check("prometheus scrapes the bridge, the server and the worker",
          scraped == {"bridge", "server", "worker"}, scraped)
    mounts = [interpolate(v).split(":")[:2] for v in
              SERVICES["prometheus"]["volumes"]]
    check("prometheus.yml is mounted where Prometheus reads it",
          ["./prometheus/prometheus.yml", "/etc/prometheus/prometheus.yml"]
          in mounts)

    gdir = os.path.join(DOCKER, "grafana")
    dsrc = yaml.safe_load(read(os.path.join(
        gdir, "provisioning/datasources/prometheus.yml")))
    url = dsrc["datasources"][0]["url"]
    check("Grafana's datasource is the prometheus service",
          url == "http://prometheus:9090", url)
    prov = yaml.safe_load(read(os.path.join(
        gdir, "provisioning/dashboards/billing.yml")))
    dpath = prov["providers"][0]["options"]["path"]
    mounts = [interpolate(v).split(":")[:2]
              for v in SERVICES["grafana"]["volumes"]]
    check("the dashboards folder is mounted where provisioning reads it",
          ["./grafana/dashboards", dpath] in mounts, mounts)
    check("the provisioning folder is mounted",
          ["./grafana/provisioning", "/etc/grafana/provisioning"] in mounts)
    exported = exported_metrics()
    dash = json.loads(read(os.path.join(gdir, "dashboards/billing.json")))
    exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
    used = set()
    for e in exprs:
        for name in re.findall(r'\bbilling_[a-z_]+', e):
            base = re.sub(r'_(bucket|sum|count)$', '', name)
            used.add(base)
            check(f"the dashboard's {name} is exported",
                  base in exported, e)
            if name != base:
                check(f"{base} is a histogram",
                      f"TYPE {base} histogram" in
                      read(os.path.join(SRC, "server/metrics.c")) +
                      read(os.path.join(SRC, "http-bridge/metrics.c")))
        for ds in [p["datasource"] for p in dash["panels"]]:
            check("panels use the provisioned datasource",
                  ds["uid"] == dsrc["datasources"][0]["uid"])
    titles = " ".join(p["title"] for p in dash["panels"]).lower()
    for want in ("requests by endpoint and status", "latency percentiles",
                 "billing runs", "jobs waiting"):
        check(f"the dashboard shows {want}", want in titles)
    for want in ("billing_bridge_requests_total",
                 "billing_bridge_request_duration_seconds",
                 "billing_server_calls_total",
                 "billing_server_call_duration_seconds",
                 "billing_runs_succeeded_total", "billing_jobs_waiting"):
        check(f"the dashboard uses {want}", want in used)


def check_pgadmin_and_legacy():
    pg = SERVICES["pgadmin"]
    env = {k: interpolate(v) for k, v in pg["environment"].items()}
    mounts = [interpolate(v).split(":")[:2] for v in pg["volumes"]]
    check("pgAdmin reads the mounted servers.json",
          ["./pgadmin/servers.json", env["PGADMIN_SERVER_JSON_FILE"]]
          in mounts)
    servers = json.loads(read(os.path.join(DOCKER, "pgadmin/servers.json")))
    s = list(servers["Servers"].values())[0]
    pgenv = {k: interpolate(v) for k, v in
             SERVICES["postgres"]["environment"].items()}
    check("servers.json names the postgres service and its database",
          s["Host"] == "postgres" and s["Port"] == 5432 and
          s["Username"] == pgenv["POSTGRES_USER"] and
          s["MaintenanceDB"] == pgenv["POSTGRES_DB"], s)
    load = read(os.path.join(DOCKER, "legacy/load.sh"))
    targets = {interpolate(v).split(":")[1]
               for v in SERVICES["mariadb"]["volumes"]}
    for path in re.findall(r'/legacy/[\w.]+', load):
        check(f"legacy/load.sh reads the mounted {path}", path in targets)
    check("legacy/load.sh is executable",
          os.access(os.path.join(DOCKER, "legacy/load.sh"), os.X_OK))
    check("the migration's target is the schema's database",
          interpolate(SERVICES["legacy-migrate"]["environment"]
                      ["BILLING_DATABASE_URL"]) ==
          interpolate(SERVICES["schema"]["environment"]
                      ["BILLING_DATABASE_URL"]))


def check_operations_doc():
    """docs/operations.md names every flag and variable of the server
    and the bridge, as their --help and sources have them."""
    doc = read(os.path.join(SRC, "docs/operations.md"))
    for target in ("server", "bridge"):
        binary, dirs = PROGRAMS[target]
        helps = help_text(os.path.join(BUILD, binary))
        for flag in set(re.findall(r'(?<![\w-])(--[a-z][a-z-]+)', helps)):
            check(f"docs/operations.md names {binary} {flag}",
                  f"`{flag}" in doc, "add it to the configuration "
                  "reference, with its variable and default")
        for var in set(re.findall(r'getenv\("(BILLING_[A-Z_]+)"\)|'
                                  r'env\("(BILLING_[A-Z_]+)"',
                                  sources(dirs))):
            var = var[0] or var[1]
            check(f"docs/operations.md names {var}", f"`{var}`" in doc,
                  "add it to the configuration reference")


def main():
    check_operations_doc()
    check_interpolation()
    check_services()
    stages = dockerfile_stages()
    check_dockerfile(stages)
    check_our_services(stages)
    check_monitoring()
    check_pgadmin_and_legacy()
    if FAILS:
        print(f"test_docker_static: {len(FAILS)} of {CHECKS[0]} checks "
              "failed")
        sys.exit(1)
    print(f"test_docker_static: all {CHECKS[0]} checks passed")


if __name__ == "__main__":
    main()
